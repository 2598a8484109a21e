"""Mirror of org.apache.zookeeper.server.command.ConsCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand


class ConsCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.ConsCommand (cons)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        for c in self.factory.get_connections():
            c.dump_connection_info(self.pw, False)
            self.println()
        self.println()
