"""Mirror of org.apache.zookeeper.server.command.MonitorCommand."""

from zookeeper_py.server.command.abstract_four_letter_command import ZK_NOT_SERVING, AbstractFourLetterCommand
from zookeeper_py.server.util.os_mx_bean import OSMXBean
from zookeeper_py.version import Version


class MonitorCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.MonitorCommand (mntr): zk_<key>\\t<value> lines."""

    def command_run(self):
        zks = self.zk_server
        if not self.is_zk_server_running():
            self.println(ZK_NOT_SERVING)
            return
        zkdb = zks.get_zk_database()
        stats = zks.server_stats()
        tree = zkdb.get_data_tree()
        self.print("version", Version.get_full_version())
        self.print("avg_latency", stats.get_avg_latency())
        self.print("max_latency", stats.get_max_latency())
        self.print("min_latency", stats.get_min_latency())
        self.print("packets_received", stats.get_packets_received())
        self.print("packets_sent", stats.get_packets_sent())
        self.print("num_alive_connections", stats.get_num_alive_client_connections())
        self.print("outstanding_requests", stats.get_outstanding_requests())
        self.print("server_state", stats.get_server_state())
        self.print("znode_count", zkdb.get_node_count())
        self.print("watch_count", tree.get_watch_count())
        self.print("ephemerals_count", tree.get_ephemerals_count())
        self.print("approximate_data_size", tree.approximate_data_size())
        os_mbean = OSMXBean()
        if os_mbean.get_unix():
            self.print("open_file_descriptor_count", os_mbean.get_open_file_descriptor_count())
            self.print("max_file_descriptor_count", os_mbean.get_max_file_descriptor_count())
        if stats.get_server_state() == "leader":
            leader = zks.get_leader()
            proposal_stats = leader.get_proposal_stats()
            self.print("followers", len(leader.get_learners()))
            self.print("synced_followers", len(leader.get_forwarding_followers()))
            self.print("pending_syncs", leader.get_num_pending_syncs())
            self.print("last_proposal_size", proposal_stats.get_last_buffer_size())
            self.print("max_proposal_size", proposal_stats.get_max_buffer_size())
            self.print("min_proposal_size", proposal_stats.get_min_buffer_size())
            # 3.6+ names, for monitoring written for Java 3.6-3.9 (zk_learners is zk_followers renamed)
            self.print("learners", len(leader.get_learners()))
            self.print("synced_non_voting_followers", len(leader.get_non_voting_followers()))
            self.print("synced_observers", len(leader.get_observing_learners()))

    def print(self, key, value):
        self.println("zk_%s\t%s" % (key, value))
