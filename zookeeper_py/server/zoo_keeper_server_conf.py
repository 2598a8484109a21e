"""Mirror of org.apache.zookeeper.server.ZooKeeperServerConf: the `conf` values as a map."""


class ZooKeeperServerConf:
    """Mirror of org.apache.zookeeper.server.ZooKeeperServerConf (what the AdminServer's `conf` shows)."""

    KEY_CLIENT_PORT = "client_port"
    KEY_DATA_DIR = "data_dir"
    KEY_DATA_LOG_DIR = "data_log_dir"
    KEY_TICK_TIME = "tick_time"
    KEY_MAX_CLIENT_CNXNS = "max_client_cnxns"
    KEY_MIN_SESSION_TIMEOUT = "min_session_timeout"
    KEY_MAX_SESSION_TIMEOUT = "max_session_timeout"
    KEY_SERVER_ID = "server_id"

    def __init__(self, client_port, data_dir, data_log_dir, tick_time, max_client_cnxns_per_host,
                 min_session_timeout, max_session_timeout, server_id):
        self.client_port = client_port
        self.data_dir = data_dir
        self.data_log_dir = data_log_dir
        self.tick_time = tick_time
        self.max_client_cnxns_per_host = max_client_cnxns_per_host
        self.min_session_timeout = min_session_timeout
        self.max_session_timeout = max_session_timeout
        self.server_id = server_id

    def get_client_port(self):
        return self.client_port

    def get_data_dir(self):
        return self.data_dir

    def get_data_log_dir(self):
        return self.data_log_dir

    def get_tick_time(self):
        return self.tick_time

    def get_max_client_cnxns_per_host(self):
        return self.max_client_cnxns_per_host

    def get_min_session_timeout(self):
        return self.min_session_timeout

    def get_max_session_timeout(self):
        return self.max_session_timeout

    def get_server_id(self):
        return self.server_id

    def to_map(self):
        return {
            self.KEY_CLIENT_PORT: self.client_port,
            self.KEY_DATA_DIR: self.data_dir,
            self.KEY_DATA_LOG_DIR: self.data_log_dir,
            self.KEY_TICK_TIME: self.tick_time,
            self.KEY_MAX_CLIENT_CNXNS: self.max_client_cnxns_per_host,
            self.KEY_MIN_SESSION_TIMEOUT: self.min_session_timeout,
            self.KEY_MAX_SESSION_TIMEOUT: self.max_session_timeout,
            self.KEY_SERVER_ID: self.server_id,
        }
