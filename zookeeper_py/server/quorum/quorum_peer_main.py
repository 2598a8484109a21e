"""Mirror of org.apache.zookeeper.server.quorum.QuorumPeerMain: the server entry point of zkServer.sh.

    python -m zookeeper_py.server.quorum.quorum_peer_main [-Dname=value ...] zoo.cfg
"""

import logging
import sys
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.logging_setup import configure_logging, install_thread_dump_handler, set_myid
from zookeeper_py.server.datadir_cleanup_manager import DatadirCleanupManager
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.zoo_keeper_server_main import ZooKeeperServerMain, exit_jvm, run_main

LOG = logging.getLogger("QuorumPeerMain")

USAGE = "Usage: QuorumPeerMain configfile"


class QuorumPeerMain:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeerMain.

    Parses zoo.cfg, starts the DatadirCleanupManager, then runs a quorum peer when the
    config is distributed, else hands over to ZooKeeperServerMain.
    """

    def __init__(self):
        self.quorum_peer = None
        self.standalone = None
        self.purge_mgr = None

    def initialize_and_run(self, args):
        config = QuorumPeerConfig()
        if len(args) == 1:
            config.parse(args[0])
            if config.get_server_id() >= 0:
                set_myid(config.get_server_id())
        self.purge_mgr = DatadirCleanupManager(config.get_data_dir(), config.get_data_log_dir(),
                                               config.get_snap_retain_count(), config.get_purge_interval())
        self.purge_mgr.start()
        if len(args) == 1 and config.is_distributed():
            self.run_from_config(config)
        else:
            LOG.warning("Either no config or no quorum defined in config, running  in standalone mode")
            self.standalone = ZooKeeperServerMain()
            self.standalone.initialize_and_run(args)

    def run_from_config(self, config):
        from zookeeper_py.server.quorum.quorum_server import ConfigException

        raise ConfigException("replicated mode (server.N lines) is not available in this build yet")

    def request_shutdown(self):
        if self.standalone is not None:
            self.standalone.request_shutdown()
        if self.quorum_peer is not None:
            self.quorum_peer.request_shutdown()
        if self.purge_mgr is not None:
            self.purge_mgr.shutdown()


def main(argv=None):
    threading.current_thread().name = "main"
    args = system_properties.split_args(sys.argv[1:] if argv is None else argv)
    configure_logging()
    install_thread_dump_handler()
    peer_main = QuorumPeerMain()
    exit_jvm(run_main(peer_main.initialize_and_run, args, peer_main.request_shutdown, USAGE))


if __name__ == "__main__":
    main()
