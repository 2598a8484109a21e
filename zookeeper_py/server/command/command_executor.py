"""Mirror of org.apache.zookeeper.server.command.CommandExecutor."""

from zookeeper_py.server.command.conf_command import ConfCommand
from zookeeper_py.server.command.cons_command import ConsCommand
from zookeeper_py.server.command.dirs_command import DirsCommand
from zookeeper_py.server.command.dump_command import DumpCommand
from zookeeper_py.server.command.env_command import EnvCommand
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands as F
from zookeeper_py.server.command.isro_command import IsroCommand
from zookeeper_py.server.command.monitor_command import MonitorCommand
from zookeeper_py.server.command.nop_command import NopCommand
from zookeeper_py.server.command.ruok_command import RuokCommand
from zookeeper_py.server.command.stat_command import StatCommand
from zookeeper_py.server.command.stat_reset_command import CnxnStatResetCommand, StatResetCommand
from zookeeper_py.server.command.trace_mask_command import SetTraceMaskCommand, TraceMaskCommand
from zookeeper_py.server.command.watch_command import WatchCommand

_SIMPLE = {
    F.ruokCmd: RuokCommand,
    F.getTraceMaskCmd: TraceMaskCommand,
    F.enviCmd: EnvCommand,
    F.confCmd: ConfCommand,
    F.srstCmd: StatResetCommand,
    F.crstCmd: CnxnStatResetCommand,
    F.dirsCmd: DirsCommand,
    F.dumpCmd: DumpCommand,
    F.consCmd: ConsCommand,
    F.mntrCmd: MonitorCommand,
    F.isroCmd: IsroCommand,
}
_WITH_CODE = {
    F.statCmd: StatCommand,
    F.srvrCmd: StatCommand,
    F.wchpCmd: WatchCommand,
    F.wchcCmd: WatchCommand,
    F.wchsCmd: WatchCommand,
}


class CommandExecutor:
    """Mirror of org.apache.zookeeper.server.command.CommandExecutor: code -> command, then run it."""

    def execute(self, server_cnxn, pwriter, command_code, zk_server, factory):
        command = self.get_command(server_cnxn, pwriter, command_code)
        if command is None:
            return False
        command.set_zk_server(zk_server)
        command.set_factory(factory)
        command.start()
        return True

    @staticmethod
    def get_command(server_cnxn, pwriter, command_code):
        if command_code in _SIMPLE:
            return _SIMPLE[command_code](pwriter, server_cnxn)
        if command_code in _WITH_CODE:
            return _WITH_CODE[command_code](pwriter, server_cnxn, command_code)
        return None

    @staticmethod
    def nop(server_cnxn, pwriter, msg):
        NopCommand(pwriter, server_cnxn, msg).start()

    @staticmethod
    def set_trace_mask(server_cnxn, pwriter, mask):
        SetTraceMaskCommand(pwriter, server_cnxn, mask).start()
