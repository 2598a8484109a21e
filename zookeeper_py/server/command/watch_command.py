"""Mirror of org.apache.zookeeper.server.command.WatchCommand (wchs, wchc, wchp)."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands


class WatchCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.WatchCommand."""

    def __init__(self, pw, server_cnxn, code):
        super().__init__(pw, server_cnxn)
        self.len = code

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        dt = self.zk_server.get_zk_database().get_data_tree()
        if self.len == FourLetterCommands.wchsCmd:
            dt.dump_watches_summary(self.pw)
        elif self.len == FourLetterCommands.wchpCmd:
            dt.dump_watches(self.pw, True)
        else:
            dt.dump_watches(self.pw, False)
        self.println()
