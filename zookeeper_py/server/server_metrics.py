"""Mirror of org.apache.zookeeper.server.ServerMetrics (3.6+): the server's metrics provider.

Java's ZooKeeperServer, LeaderZooKeeperServer and QuorumZooKeeperServer register their gauges
(registerMetrics) whenever a server starts and drop them when it stops. Here the same gauges,
under the same names, are registered once by register_server_gauges and read the server that
is running at scrape time (a role change swaps the server object, not the gauges), with the
same getters as mntr. A gauge with no value now (no server yet, not the leader) is left out,
as Java's is while unregistered.
"""

from zookeeper_py.common.time import Time
from zookeeper_py.metrics.impl.metrics_provider_bootstrap import DEFAULT_METRICS_PROVIDER, start_metrics_provider
from zookeeper_py.metrics.impl.null_metrics_provider import NullCounter, NullMetricsProvider, NullSummary
from zookeeper_py.metrics.summary import DetailLevel
from zookeeper_py.server.util.os_mx_bean import OSMXBean


class ServerMetrics:
    """Mirror of org.apache.zookeeper.server.ServerMetrics: the provider the server's metrics go to.

    The summaries of 3.6 that zookeeper_py records (milliseconds, DetailLevel.ADVANCED):
    READ_LATENCY and UPDATE_LATENCY (ServerStats.update_latency: a request's time in the
    server, by whether it has a txn header), PROPOSAL_LATENCY (a follower receiving a
    proposal) and COMMIT_PROPAGATION_LATENCY (a follower committing, an observer applying an
    INFORM), both since the leader stamped the txn header; QUORUM_ACK_LATENCY (the leader
    seeing a quorum of acks, since it stamped the header).

    3.6's summaries and counters of where time goes (names and places as Java's, milliseconds):
    fsynctime (FileTxnLog.commit), snapshottime (ZooKeeperServer.takeSnapshot), dbinittime
    (ZKDatabase.loadDataBase), election_time (a leader or follower done looking),
    follower_sync_time, unavailable_time and leader_unavailable_time (from LOOKING until this
    member serves again: QuorumPeer.setZabState(BROADCAST)), looking_count, diff_count and
    snap_count (a leader syncing a learner), proposal_count and commit_count (the leader).

    Under the default provider they are null, as in Java."""

    provider = NullMetricsProvider()
    READ_LATENCY = NullSummary()
    UPDATE_LATENCY = NullSummary()
    PROPOSAL_LATENCY = NullSummary()
    COMMIT_PROPAGATION_LATENCY = NullSummary()
    QUORUM_ACK_LATENCY = NullSummary()
    FSYNC_TIME = NullSummary()
    SNAPSHOT_TIME = NullSummary()
    DB_INIT_TIME = NullSummary()
    ELECTION_TIME = NullSummary()
    FOLLOWER_SYNC_TIME = NullSummary()
    UNAVAILABLE_TIME = NullSummary()
    LEADER_UNAVAILABLE_TIME = NullSummary()
    LOOKING_COUNT = NullCounter()
    DIFF_COUNT = NullCounter()
    SNAP_COUNT = NullCounter()
    PROPOSAL_COUNT = NullCounter()
    COMMIT_COUNT = NullCounter()

    @staticmethod
    def metrics_provider_initialized(provider):
        ServerMetrics.provider = provider
        context = provider.get_root_context()
        ServerMetrics.READ_LATENCY = context.get_summary("readlatency", DetailLevel.ADVANCED)
        ServerMetrics.UPDATE_LATENCY = context.get_summary("updatelatency", DetailLevel.ADVANCED)
        ServerMetrics.PROPOSAL_LATENCY = context.get_summary("proposal_latency", DetailLevel.ADVANCED)
        ServerMetrics.COMMIT_PROPAGATION_LATENCY = context.get_summary("commit_propagation_latency",
                                                                       DetailLevel.ADVANCED)
        ServerMetrics.QUORUM_ACK_LATENCY = context.get_summary("quorum_ack_latency", DetailLevel.ADVANCED)
        for field, name in (("FSYNC_TIME", "fsynctime"), ("SNAPSHOT_TIME", "snapshottime"),
                            ("DB_INIT_TIME", "dbinittime"), ("ELECTION_TIME", "election_time"),
                            ("FOLLOWER_SYNC_TIME", "follower_sync_time"), ("UNAVAILABLE_TIME", "unavailable_time"),
                            ("LEADER_UNAVAILABLE_TIME", "leader_unavailable_time")):
            setattr(ServerMetrics, field, context.get_summary(name, DetailLevel.BASIC))
        for field, name in (("LOOKING_COUNT", "looking_count"), ("DIFF_COUNT", "diff_count"),
                            ("SNAP_COUNT", "snap_count"), ("PROPOSAL_COUNT", "proposal_count"),
                            ("COMMIT_COUNT", "commit_count")):
            setattr(ServerMetrics, field, context.get_counter(name))

    @staticmethod
    def log_latency(summary, hdr):
        """Request.logLatency: the time since the leader stamped hdr (wall clocks: a negative
        value, from clock drift between members, is dropped)."""
        if hdr is not None and summary.__class__ is not NullSummary:  # no clock read for nothing
            latency = Time.current_wall_time() - hdr.time
            if latency >= 0:
                summary.add(latency)

    @staticmethod
    def get_metrics_provider():
        return ServerMetrics.provider


def start_server_metrics(config, get_server, get_peer=lambda: None):
    """ZooKeeperServerMain/QuorumPeerMain.runFromConfig's metrics part: start the provider of
    metricsProvider.className and register the server's gauges on it. Stop it with .stop()."""
    class_name = getattr(config, "metrics_provider_class_name", None) or DEFAULT_METRICS_PROVIDER
    provider = start_metrics_provider(class_name, getattr(config, "metrics_provider_configuration", {}))
    ServerMetrics.metrics_provider_initialized(provider)
    register_server_gauges(provider.get_root_context(), get_server, get_peer)
    return provider


def _leader(zks):
    # cycle: server_metrics -> leader_zoo_keeper_server -> ... -> zoo_keeper_server -> server_stats -> server_metrics
    from zookeeper_py.server.quorum.leader_zoo_keeper_server import LeaderZooKeeperServer

    return zks.get_leader() if isinstance(zks, LeaderZooKeeperServer) else None


def register_server_gauges(root_context, get_server, get_peer=lambda: None):
    """The gauges of 3.6's ZooKeeperServer/LeaderZooKeeperServer/QuorumZooKeeperServer.registerMetrics,
    plus zookeeper_py's queue_depth and queue_bound (every queue between threads, by owner.queue)."""
    def on_server(fn):
        def gauge():
            zks = get_server()
            return None if zks is None else fn(zks)
        return gauge

    def on_leader(fn):
        def gauge():
            zks = get_server()
            leader = None if zks is None else _leader(zks)
            return None if leader is None else fn(leader)
        return gauge

    def local_sessions(zks):
        tracker = zks.get_session_tracker()
        count = getattr(tracker, "get_local_session_count", None)
        return count() if count is not None else 0

    server_gauges = {
        "avg_latency": lambda zks: zks.server_stats().get_exact_avg_latency(),
        "max_latency": lambda zks: zks.server_stats().get_max_latency(),
        "min_latency": lambda zks: zks.server_stats().get_min_latency(),
        "packets_received": lambda zks: zks.server_stats().get_packets_received(),
        "packets_sent": lambda zks: zks.server_stats().get_packets_sent(),
        "num_alive_connections": lambda zks: zks.server_stats().get_num_alive_client_connections(),
        "outstanding_requests": lambda zks: zks.server_stats().get_outstanding_requests(),
        "uptime": lambda zks: zks.server_stats().get_uptime(),
        "znode_count": lambda zks: zks.get_zk_database().get_node_count(),
        "watch_count": lambda zks: zks.get_zk_database().get_data_tree().get_watch_count(),
        "ephemerals_count": lambda zks: zks.get_zk_database().get_data_tree().get_ephemerals_count(),
        "approximate_data_size": lambda zks: zks.get_zk_database().get_data_tree().approximate_data_size(),
        "global_sessions": lambda zks: len(zks.get_zk_database().get_session_with_time_outs()),
        "local_sessions": local_sessions,
        "last_client_response_size": lambda zks: zks.server_stats().get_client_response_stats().get_last_buffer_size(),
        "max_client_response_size": lambda zks: zks.server_stats().get_client_response_stats().get_max_buffer_size(),
        "min_client_response_size": lambda zks: zks.server_stats().get_client_response_stats().get_min_buffer_size(),
        "fsync_threshold_exceed_count": lambda zks: zks.server_stats().get_fsync_threshold_exceed_count(),
    }
    for name, fn in server_gauges.items():
        root_context.register_gauge(name, on_server(fn))
    os_mbean = OSMXBean()
    root_context.register_gauge("open_file_descriptor_count", os_mbean.get_open_file_descriptor_count)
    root_context.register_gauge("max_file_descriptor_count", os_mbean.get_max_file_descriptor_count)
    leader_gauges = {
        "learners": lambda leader: len(leader.get_learners()),
        "synced_followers": lambda leader: len(leader.get_forwarding_followers()),
        "synced_non_voting_followers": lambda leader: len(leader.get_non_voting_followers()),
        "synced_observers": lambda leader: len(leader.get_observing_learners()),
        "pending_syncs": lambda leader: leader.get_num_pending_syncs(),
        "last_proposal_size": lambda leader: leader.get_proposal_stats().get_last_buffer_size(),
        "max_proposal_size": lambda leader: leader.get_proposal_stats().get_max_buffer_size(),
        "min_proposal_size": lambda leader: leader.get_proposal_stats().get_min_buffer_size(),
    }
    for name, fn in leader_gauges.items():
        root_context.register_gauge(name, on_leader(fn))

    def quorum_size():
        peer = get_peer()
        return None if peer is None else len(peer.get_voting_view())

    root_context.register_gauge("quorum_size", quorum_size)
    root_context.register_gauge_set("queue_depth", lambda: _queues(get_server, get_peer, "depth"))
    root_context.register_gauge_set("queue_bound", lambda: _queues(get_server, get_peer, "bound"))


def _queues(get_server, get_peer, field):
    """{"owner.queue": depth or bound} from queue_census, the AdminServer's `queues` command."""
    # cycle: server_metrics -> queue_census -> ... -> zoo_keeper_server -> server_stats -> server_metrics
    from zookeeper_py.server.util.queue_census import queue_census

    zks = get_server()
    if zks is None:
        return {}
    census = queue_census(zks, zks.get_server_cnxn_factory(), _leader(zks), get_peer())
    return {"%s.%s" % (e["owner"], e["queue"]): e[field] for e in census}
