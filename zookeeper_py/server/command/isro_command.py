"""Mirror of org.apache.zookeeper.server.command.IsroCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import AbstractFourLetterCommand


class IsroCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.IsroCommand (isro): ro, rw or null, no newline."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.pw.write("null")
        elif self.zk_server.is_read_only():
            self.pw.write("ro")
        else:
            self.pw.write("rw")
