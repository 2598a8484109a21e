"""Mirror of org.apache.zookeeper.server.command.NopCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import AbstractFourLetterCommand


class NopCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.NopCommand: prints a fixed message."""

    def __init__(self, pw, server_cnxn, msg):
        super().__init__(pw, server_cnxn)
        self.msg = msg

    def command_run(self):
        self.println(self.msg)
