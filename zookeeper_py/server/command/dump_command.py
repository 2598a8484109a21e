"""Mirror of org.apache.zookeeper.server.command.DumpCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand
from zookeeper_py.server.nio_server_cnxn_factory import NIOServerCnxnFactory


class DumpCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.DumpCommand (dump)."""

    def command_run(self):
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        self.println("SessionTracker dump:")
        self.zk_server.get_session_tracker().dump_sessions(self.pw)
        self.println("ephemeral nodes dump:")
        self.zk_server.dump_ephemerals(self.pw)
        self.println("Connections dump:")
        # dumpConnections connection is implemented only in NIOServerCnxnFactory
        if isinstance(self.factory, NIOServerCnxnFactory):
            self.factory.dump_connections(self.pw)
