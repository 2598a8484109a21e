"""Mirror of org.apache.zookeeper.server.command.StatCommand (stat and srvr)."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands
from zookeeper_py.version import Version


class StatCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.StatCommand."""

    def __init__(self, pw, server_cnxn, code):
        super().__init__(pw, server_cnxn)
        self.len = code

    def command_run(self):
        zks = self.zk_server
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        self.println("Zookeeper version: " + Version.get_full_version())
        if zks.is_read_only():
            self.println("READ-ONLY mode; serving only read-only clients")
        if self.len == FourLetterCommands.statCmd:
            self.println("Clients:")
            for c in self.factory.get_connections():
                c.dump_connection_info(self.pw, True)
                self.println()
            self.println()
        stats = zks.server_stats()
        self.pw.write(str(stats))
        self.println("Node count: %d" % zks.get_zk_database().get_node_count())
        if stats.get_server_state() == "leader":
            self.println("Proposal sizes last/min/max: %s" % zks.get_leader().get_proposal_stats())
