"""Mirror of org.apache.zookeeper.server.command.RuokCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import AbstractFourLetterCommand


class RuokCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.RuokCommand: "imok", no newline."""

    def command_run(self):
        self.pw.write("imok")
