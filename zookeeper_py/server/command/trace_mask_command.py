"""Mirror of org.apache.zookeeper.server.command.TraceMaskCommand and SetTraceMaskCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import AbstractFourLetterCommand
from zookeeper_py.server.zoo_trace import ZooTrace


class TraceMaskCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.TraceMaskCommand (gtmk): the mask in decimal."""

    def command_run(self):
        self.pw.write(str(ZooTrace.get_text_trace_level()))


class SetTraceMaskCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.SetTraceMaskCommand (stmk): set, then echo the mask."""

    def __init__(self, pw, server_cnxn, trace_mask):
        super().__init__(pw, server_cnxn)
        self.trace_mask = trace_mask

    def command_run(self):
        ZooTrace.set_text_trace_level(self.trace_mask)
        self.pw.write(str(self.trace_mask))
