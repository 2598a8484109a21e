"""Mirror of org.apache.zookeeper.server.command.DirsCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand


class DirsCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.DirsCommand (dirs)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        self.println("datadir_size: %d" % self.zk_server.get_data_dir_size())
        self.println("logdir_size: %d" % self.zk_server.get_log_dir_size())
