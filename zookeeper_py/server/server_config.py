"""Mirror of org.apache.zookeeper.server.ServerConfig."""

from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.zoo_keeper_server import DEFAULT_TICK_TIME


class ServerConfig:
    """Mirror of org.apache.zookeeper.server.ServerConfig: what a standalone server needs."""

    def __init__(self):
        self.client_port_address = None
        self.secure_client_port_address = None
        self.data_dir = None
        self.data_log_dir = None
        self.tick_time = DEFAULT_TICK_TIME
        self.max_client_cnxns = 60
        self.client_port_listen_backlog = -1
        self.min_session_timeout = -1
        self.max_session_timeout = -1
        self.initial_config = None
        self.metrics_provider_class_name = None  # None: the default provider
        self.metrics_provider_configuration = {}

    def parse_args(self, args):
        """ServerConfig.parse(String[]): port datadir [ticktime] [maxcnxns]."""
        if len(args) < 2 or len(args) > 4:
            raise ValueError("Invalid number of arguments:%s" % (list(args),))
        self.client_port_address = ("", int(args[0]))
        self.data_dir = args[1]
        self.data_log_dir = self.data_dir
        if len(args) >= 3:
            self.tick_time = int(args[2])
        if len(args) == 4:
            self.max_client_cnxns = int(args[3])

    def parse(self, path):
        config = QuorumPeerConfig()
        config.parse(path)
        self.read_from(config)

    def read_from(self, config):
        self.client_port_address = config.get_client_port_address()
        self.secure_client_port_address = config.get_secure_client_port_address()
        self.data_dir = config.get_data_dir()
        self.data_log_dir = config.get_data_log_dir()
        self.tick_time = config.get_tick_time()
        self.max_client_cnxns = config.get_max_client_cnxns()
        self.client_port_listen_backlog = config.get_client_port_listen_backlog()
        self.min_session_timeout = config.get_min_session_timeout()
        self.max_session_timeout = config.get_max_session_timeout()
        self.initial_config = config.get_initial_config()
        self.metrics_provider_class_name = config.metrics_provider_class_name
        self.metrics_provider_configuration = config.metrics_provider_configuration

    def get_client_port_address(self):
        return self.client_port_address

    def get_secure_client_port_address(self):
        return self.secure_client_port_address

    def get_data_dir(self):
        return self.data_dir

    def get_data_log_dir(self):
        return self.data_log_dir

    def get_tick_time(self):
        return self.tick_time

    def get_max_client_cnxns(self):
        return self.max_client_cnxns

    def get_client_port_listen_backlog(self):
        return self.client_port_listen_backlog

    def get_min_session_timeout(self):
        return self.min_session_timeout

    def get_max_session_timeout(self):
        return self.max_session_timeout

    def get_initial_config(self):
        return self.initial_config
