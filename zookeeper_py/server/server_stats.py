"""Mirror of org.apache.zookeeper.server.ServerStats."""

from zookeeper_py.common.time import Time
from zookeeper_py.server.quorum.buffer_stats import BufferStats
from zookeeper_py.server.server_metrics import ServerMetrics

_MAX_LONG = (1 << 63) - 1


class ServerStats:
    """Mirror of org.apache.zookeeper.server.ServerStats: the counters srvr, stat and mntr print.

    Counters are plain attributes: under the GIL an increment may, rarely, be lost to a
    race, which statistics can afford; the request path then takes no lock for them.
    """

    def __init__(self, provider):
        self.provider = provider
        self.packets_sent = 0
        self.packets_received = 0
        self.max_latency = 0
        self.min_latency = _MAX_LONG
        self.total_latency = 0
        self.count = 0
        self.fsync_threshold_exceed_count = 0
        self.client_response_stats = BufferStats()
        self.start_time = Time.current_elapsed_time()  # 3.6: the uptime gauge

    def get_min_latency(self):
        return 0 if self.min_latency == _MAX_LONG else self.min_latency

    def get_avg_latency(self):
        """3.5.7's long, for mntr and stat."""
        return self.total_latency // self.count if self.count else 0

    def get_exact_avg_latency(self):
        """3.6+'s getAvgLatency, a double: the avg_latency metric (a fast server's is below 1 ms)."""
        return self.total_latency / self.count if self.count else 0.0

    def get_max_latency(self):
        return self.max_latency

    def get_uptime(self):
        """3.6: milliseconds since this server (this role, in a quorum) started."""
        return Time.current_elapsed_time() - self.start_time

    def get_outstanding_requests(self):
        return self.provider.get_outstanding_requests()

    def get_last_processed_zxid(self):
        return self.provider.get_last_processed_zxid()

    def get_data_dir_size(self):
        return self.provider.get_data_dir_size()

    def get_log_dir_size(self):
        return self.provider.get_log_dir_size()

    def get_packets_received(self):
        return self.packets_received

    def get_packets_sent(self):
        return self.packets_sent

    def get_server_state(self):
        return self.provider.get_state()

    def get_num_alive_client_connections(self):
        return self.provider.get_num_alive_connections()

    def __str__(self):
        lines = [
            "Latency min/avg/max: %d/%d/%d" % (self.get_min_latency(), self.get_avg_latency(), self.get_max_latency()),
            "Received: %d" % self.get_packets_received(),
            "Sent: %d" % self.get_packets_sent(),
            "Connections: %d" % self.get_num_alive_client_connections(),
        ]
        if self.provider is not None:
            lines.append("Outstanding: %d" % self.get_outstanding_requests())
            lines.append("Zxid: 0x%x" % (self.get_last_processed_zxid() & 0xFFFFFFFFFFFFFFFF))
        lines.append("Mode: %s" % self.get_server_state())
        return "\n".join(lines) + "\n"

    def update_latency(self, request_create_time, current_time, is_update=False):
        """is_update: the request has a txn header (3.6's updatelatency, else readlatency).
        current_time: Time.current_elapsed_time(), which the caller has (3.6's signature)."""
        latency = current_time - request_create_time
        (ServerMetrics.UPDATE_LATENCY if is_update else ServerMetrics.READ_LATENCY).add(latency)
        self.total_latency += latency
        self.count += 1
        if latency < self.min_latency:
            self.min_latency = latency
        if latency > self.max_latency:
            self.max_latency = latency

    def reset_latency(self):
        self.total_latency = 0
        self.count = 0
        self.max_latency = 0
        self.min_latency = _MAX_LONG

    def reset_max_latency(self):
        self.max_latency = self.get_min_latency()

    def increment_packets_received(self):
        self.packets_received += 1

    def increment_packets_sent(self):
        self.packets_sent += 1

    def reset_request_counters(self):
        self.packets_received = 0
        self.packets_sent = 0

    def get_fsync_threshold_exceed_count(self):
        return self.fsync_threshold_exceed_count

    def increment_fsync_threshold_exceed_count(self):
        self.fsync_threshold_exceed_count += 1

    def reset_fsync_threshold_exceed_count(self):
        self.fsync_threshold_exceed_count = 0

    def reset(self):
        self.reset_latency()
        self.reset_request_counters()
        self.client_response_stats.reset()

    def update_client_response_size(self, size):
        self.client_response_stats.set_last_buffer_size(size)

    def get_client_response_stats(self):
        return self.client_response_stats
