"""Mirror of org.apache.zookeeper.server.command.StatResetCommand and CnxnStatResetCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand


class StatResetCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.StatResetCommand (srst)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
        else:
            self.zk_server.server_stats().reset()
            self.println("Server stats reset.")


class CnxnStatResetCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.CnxnStatResetCommand (crst)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
        else:
            self.factory.reset_all_connection_stats()
            self.println("Connection stats reset.")
