"""Mirror of org.apache.zookeeper.server.command.ConfCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand


class ConfCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.ConfCommand (conf)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
        else:
            self.zk_server.dump_conf(self.pw)
