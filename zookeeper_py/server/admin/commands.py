"""Mirror of org.apache.zookeeper.server.admin.Commands: the registry and every AdminServer command.

The 17 commands of 3.5.7 answer with 3.5.7's keys. Five commands of 3.6-3.8 that this
server can answer are added: initial_configuration, last_snapshot, leader,
system_properties and voting_view. The rest of 3.8's (hash, observers,
observer_connection_stat_reset, zabstate) rest on 3.6+ machinery (txn digests, observer
masters, the Zab phase) that a 3.5.7 server has not. `queues`, `threads`, `chain` and `trace`
are zookeeper_py's own (see thread_view).
"""

import logging

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code, string_hash_code
from zookeeper_py.common.net_utils import java_host_address
from zookeeper_py.environment import Environment
from zookeeper_py.server.admin import thread_view
from zookeeper_py.server.admin.command_base import CommandBase
from zookeeper_py.server.admin.command_response import CommandResponse
from zookeeper_py.server.quorum.leader_zoo_keeper_server import LeaderZooKeeperServer
from zookeeper_py.server.quorum.quorum_server import LearnerType
from zookeeper_py.server.quorum.quorum_zoo_keeper_server import QuorumZooKeeperServer
from zookeeper_py.server.util.os_mx_bean import OSMXBean
from zookeeper_py.server.zoo_trace import ZooTrace
from zookeeper_py.version import Version

LOG = logging.getLogger("Commands")

ZK_NOT_SERVING = "This ZooKeeper instance is not currently serving requests"

_U64 = 0xFFFFFFFFFFFFFFFF


class Commands:
    """Mirror of org.apache.zookeeper.server.admin.Commands: register commands by name, run them by name."""

    commands = {}
    primary_names = set()

    @classmethod
    def register_command(cls, command):
        for name in command.get_names():
            if name in cls.commands:
                LOG.warning("Re-registering command %s (primary name = %s)", name, command.get_primary_name())
            cls.commands[name] = command
        cls.primary_names.add(command.get_primary_name())

    @classmethod
    def run_command(cls, cmd_name, zk_server, kwargs):
        """Run a command by any of its names; errors come back in the response's "error"."""
        command = cls.get_command(cmd_name)
        if command is None:
            return CommandResponse(cmd_name, "Unknown command: " + cmd_name)
        if command.is_server_required() and (zk_server is None or not zk_server.is_running()):
            return CommandResponse(cmd_name, ZK_NOT_SERVING)
        return command.run(zk_server, kwargs)

    @classmethod
    def get_primary_names(cls):
        return cls.primary_names

    @classmethod
    def get_command(cls, cmd_name):
        return cls.commands.get(cmd_name)


# -- values as Jackson writes them ---------------------------------------------------------


def _long(v):
    """A Java long: session ids and zxids print signed."""
    v &= _U64
    return v - (1 << 64) if v >> 63 else v


def _socket_address(addr):
    """Jackson's InetSocketAddress (and 3.8's QuorumServerView): `host:port`, `[v6]:port`, or None."""
    if not addr:
        return None
    host = java_host_address(addr[0] or "0.0.0.0")
    return "%s:%d" % ("[%s]" % host if ":" in host else host, addr[1])


def _hash_set(values, hash_code):
    """A java.util.HashSet as Jackson lists it: in hash order."""
    return java_hash_order(values, hash_code)


def _session_ids(ids):
    return [_long(i) for i in _hash_set({_long(i) for i in ids}, long_hash_code)]


def _buffer_stats(stats):
    """BufferStats as a bean (3.5.7 field order)."""
    return {
        "last_buffer_size": stats.get_last_buffer_size(),
        "min_buffer_size": stats.get_min_buffer_size(),
        "max_buffer_size": stats.get_max_buffer_size(),
    }


def _server_stats(stats):
    """ServerStats as Jackson writes the 3.5.7 bean: fields with getters first, then the other getters."""
    return {
        "packets_sent": stats.get_packets_sent(),
        "packets_received": stats.get_packets_received(),
        "max_latency": stats.get_max_latency(),
        "min_latency": stats.get_min_latency(),
        "fsync_threshold_exceed_count": stats.get_fsync_threshold_exceed_count(),
        "client_response_stats": _buffer_stats(stats.get_client_response_stats()),
        "outstanding_requests": stats.get_outstanding_requests(),
        "last_processed_zxid": _long(stats.get_last_processed_zxid()),
        "data_dir_size": stats.get_data_dir_size(),
        "log_dir_size": stats.get_log_dir_size(),
        "avg_latency": stats.get_avg_latency(),
        "num_alive_client_connections": stats.get_num_alive_client_connections(),
        "server_state": stats.get_server_state(),
        "provider_null": stats.provider is None,
    }


def _connection_infos(factory, brief):
    """ServerCnxnFactory.getAllConnectionInfo with Java's value types (address string, Date as ms)."""
    if factory is None:
        return []
    infos = []
    for info in factory.get_all_connection_info(brief):
        info = dict(info)
        info["remote_socket_address"] = _socket_address(info["remote_socket_address"])
        if not brief:
            info["session_id"] = _long(info["session_id"])
            info["established"] = int(info["established"] * 1000)
            info["last_zxid"] = _long(info["last_zxid"])
        infos.append(info)
    return infos


def _leader(zk_server):
    """The Leader when zk_server is a LeaderZooKeeperServer, else None."""
    return zk_server.get_leader() if isinstance(zk_server, LeaderZooKeeperServer) else None


def _quorum_peer(zk_server):
    """QuorumZooKeeperServer.self, or None for a standalone (or read-only) server."""
    return zk_server.self if isinstance(zk_server, QuorumZooKeeperServer) else None


# -- the commands of 3.5.7 -------------------------------------------------------------------


class CnxnStatResetCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.CnxnStatResetCommand: reset all connection statistics."""

    def __init__(self):
        super().__init__(["connection_stat_reset", "crst"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        zk_server.get_server_cnxn_factory().reset_all_connection_stats()
        return response


class ConfCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.ConfCommand: ZooKeeperServer.get_conf()."""

    def __init__(self):
        super().__init__(["configuration", "conf", "config"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put_all(zk_server.get_conf().to_map())
        return response


class ConsCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.ConsCommand: every client connection in full."""

    def __init__(self):
        super().__init__(["connections", "cons"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("connections", _connection_infos(zk_server.get_server_cnxn_factory(), False))
        response.put("secure_connections", _connection_infos(zk_server.get_secure_server_cnxn_factory(), False))
        return response


class DirsCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.DirsCommand: bytes in the snapshot and log dirs."""

    def __init__(self):
        super().__init__(["dirs"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("datadir_size", zk_server.get_data_dir_size())
        response.put("logdir_size", zk_server.get_log_dir_size())
        return response


class DumpCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.DumpCommand: session expiry buckets, ephemerals."""

    def __init__(self):
        super().__init__(["dump"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        # A TreeMap of expiry time -> HashSet of session ids.
        expiry = zk_server.get_session_expiry_map()
        response.put("expiry_time_to_session_ids",
                     {str(t): _session_ids(expiry[t]) for t in sorted(expiry)})
        ephemerals = {_long(sid): paths for sid, paths in zk_server.get_ephemerals().items()}
        response.put("session_id_to_ephemeral_paths",
                     {str(sid): _hash_set(ephemerals[sid], string_hash_code)
                      for sid in _hash_set(ephemerals, long_hash_code)})
        return response


class EnvCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.EnvCommand: Environment.list()."""

    def __init__(self):
        super().__init__(["environment", "env", "envi"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        for key, value in Environment.list():
            response.put(key, value)
        return response


class GetTraceMaskCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.GetTraceMaskCommand."""

    def __init__(self):
        super().__init__(["get_trace_mask", "gtmk"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("tracemask", _long(ZooTrace.get_text_trace_level()))
        return response


class IsroCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.IsroCommand."""

    def __init__(self):
        super().__init__(["is_read_only", "isro"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("read_only", zk_server.is_read_only())
        return response


class MonitorCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.MonitorCommand (3.5.7's keys).

    The four-letter `mntr` prints the same values from the same getters, as Java's does.
    """

    def __init__(self):
        super().__init__(["monitor", "mntr"])

    def run(self, zk_server, kwargs):
        zkdb = zk_server.get_zk_database()
        stats = zk_server.server_stats()
        tree = zkdb.get_data_tree()
        response = self.initialize_response()
        response.put("version", Version.get_full_version())
        response.put("avg_latency", stats.get_avg_latency())
        response.put("max_latency", stats.get_max_latency())
        response.put("min_latency", stats.get_min_latency())
        response.put("packets_received", stats.get_packets_received())
        response.put("packets_sent", stats.get_packets_sent())
        response.put("num_alive_connections", stats.get_num_alive_client_connections())
        response.put("outstanding_requests", stats.get_outstanding_requests())
        response.put("server_state", stats.get_server_state())
        response.put("znode_count", zkdb.get_node_count())
        response.put("watch_count", tree.get_watch_count())
        response.put("ephemerals_count", tree.get_ephemerals_count())
        response.put("approximate_data_size", tree.approximate_data_size())
        os_mbean = OSMXBean()
        response.put("open_file_descriptor_count", os_mbean.get_open_file_descriptor_count())
        response.put("max_file_descriptor_count", os_mbean.get_max_file_descriptor_count())
        client_response = stats.get_client_response_stats()
        response.put("last_client_response_size", client_response.get_last_buffer_size())
        response.put("max_client_response_size", client_response.get_max_buffer_size())
        response.put("min_client_response_size", client_response.get_min_buffer_size())
        leader = _leader(zk_server)
        if leader is not None:
            proposal_stats = leader.get_proposal_stats()
            response.put("followers", len(leader.get_learners()))
            response.put("synced_followers", len(leader.get_forwarding_followers()))
            response.put("pending_syncs", leader.get_num_pending_syncs())
            response.put("last_proposal_size", proposal_stats.get_last_buffer_size())
            response.put("max_proposal_size", proposal_stats.get_max_buffer_size())
            response.put("min_proposal_size", proposal_stats.get_min_buffer_size())
            # 3.6+ names, as in mntr
            response.put("learners", len(leader.get_learners()))
            response.put("synced_non_voting_followers", len(leader.get_non_voting_followers()))
            response.put("synced_observers", len(leader.get_observing_learners()))
        return response


class RuokCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.RuokCommand: no-op, the server is running."""

    def __init__(self):
        super().__init__(["ruok"])

    def run(self, zk_server, kwargs):
        return self.initialize_response()


class QueuesCommand(CommandBase):
    """zookeeper_py's own: every queue between threads with its depth and bound (see util/queue_census)."""

    def __init__(self):
        super().__init__(["queues"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("role", thread_view.role(zk_server))
        response.put("queues", thread_view.queues(zk_server))
        return response


class ThreadsCommand(CommandBase):
    """zookeeper_py's own: every thread with its Java name and class and its jstack state (?stack=true)."""

    def __init__(self):
        super().__init__(["threads"], server_required=False)

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        stack = kwargs.get("stack", "false").lower() == "true"
        server = zk_server if zk_server is not None and zk_server.is_running() else None
        response.put("role", thread_view.role(server) if server is not None else None)
        response.put("threads", thread_view.threads(server, stack))
        return response


class ChainCommand(CommandBase):
    """zookeeper_py's own: the current role's request processors in order, with rates and queue depths."""

    def __init__(self):
        super().__init__(["chain"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put_all(thread_view.chain(zk_server))
        return response


class TraceCommand(CommandBase):
    """zookeeper_py's own: follow the next request (?session=0x...) through the threads (?last=true: the last one)."""

    def __init__(self):
        super().__init__(["trace"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        if kwargs.get("last", "false").lower() == "true":
            response.put("trace", thread_view.last_trace())
            return response
        session = kwargs.get("session")
        try:
            session = int(session, 0) if session else None
            wait_ms = int(kwargs.get("wait", "3000"))
        except ValueError:
            response.put("error", "session must be a number (0x... or decimal), wait milliseconds")
            return response
        response.put("trace", thread_view.trace(zk_server, session, max(0, min(wait_ms, 60000))))
        return response


def _parse_long(text):
    """Long.parseLong: optional sign, decimal digits, within 64 bits; None if not."""
    if not text or text.strip() != text or "_" in text:
        return None
    digits = text[1:] if text[0] in "+-" else text
    if not digits.isdecimal():
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


class SetTraceMaskCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.SetTraceMaskCommand: ?traceMask=<long>."""

    def __init__(self):
        super().__init__(["set_trace_mask", "stmk"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        if "traceMask" not in kwargs:
            response.put("error", "setTraceMask requires long traceMask argument")
            return response
        trace_mask = _parse_long(kwargs["traceMask"])
        if trace_mask is None:
            response.put("error", "setTraceMask requires long traceMask argument, got " + kwargs["traceMask"])
            return response
        ZooTrace.set_text_trace_level(trace_mask)
        response.put("tracemask", trace_mask)
        return response


class SrvrCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.SrvrCommand: version, mode and ServerStats."""

    def __init__(self, names=("server_stats", "srvr")):
        super().__init__(list(names))

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        LOG.info("running stat")
        stats = zk_server.server_stats()
        response.put("version", Version.get_full_version())
        response.put("read_only", zk_server.is_read_only())
        response.put("server_stats", _server_stats(stats))
        response.put("client_response", _buffer_stats(stats.get_client_response_stats()))
        leader = _leader(zk_server)
        if leader is not None:
            response.put("proposal_stats", _buffer_stats(leader.get_proposal_stats()))
        response.put("node_count", zk_server.get_zk_database().get_node_count())
        return response


class StatCommand(SrvrCommand):
    """Mirror of org.apache.zookeeper.server.admin.Commands.StatCommand: srvr plus brief connections."""

    def __init__(self):
        super().__init__(("stats", "stat"))

    def run(self, zk_server, kwargs):
        response = super().run(zk_server, kwargs)
        response.put("connections", _connection_infos(zk_server.get_server_cnxn_factory(), True))
        response.put("secure_connections", _connection_infos(zk_server.get_secure_server_cnxn_factory(), True))
        return response


class StatResetCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.StatResetCommand."""

    def __init__(self):
        super().__init__(["stat_reset", "srst"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        zk_server.server_stats().reset()
        return response


class WatchCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.WatchCommand: data watches by session (wchc)."""

    def __init__(self):
        super().__init__(["watches", "wchc"])

    def run(self, zk_server, kwargs):
        watches = {_long(sid): paths for sid, paths in
                   zk_server.get_zk_database().get_data_tree().get_watches().items()}
        response = self.initialize_response()
        response.put("session_id_to_watched_paths",
                     {str(sid): _hash_set(watches[sid], string_hash_code)
                      for sid in _hash_set(watches, long_hash_code)})
        return response


class WatchesByPathCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.WatchesByPathCommand: data watches by path (wchp)."""

    def __init__(self):
        super().__init__(["watches_by_path", "wchp"])

    def run(self, zk_server, kwargs):
        watches = zk_server.get_zk_database().get_data_tree().get_watches_by_path()
        response = self.initialize_response()
        response.put("path_to_session_ids",
                     {path: _session_ids(watches[path]) for path in _hash_set(watches, string_hash_code)})
        return response


class WatchSummaryCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.WatchSummaryCommand (wchs)."""

    def __init__(self):
        super().__init__(["watch_summary", "wchs"])

    def run(self, zk_server, kwargs):
        connections, paths, total = zk_server.get_zk_database().get_data_tree().get_watches_summary()
        response = self.initialize_response()
        response.put_all({"num_connections": connections, "num_paths": paths, "num_total_watches": total})
        return response


# -- 3.6-3.8 commands a 3.5.7 server can answer ----------------------------------------------


class InitialConfigurationCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.InitialConfigurationCommand (3.6+)."""

    def __init__(self):
        super().__init__(["initial_configuration", "icfg"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        response.put("initial_configuration", zk_server.get_initial_config())
        return response


class LastSnapshotCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.LastSnapshotCommand (3.6+).

    The snapshot last saved, or the one loaded at start: zxid in hex, file time in seconds.
    """

    def __init__(self):
        super().__init__(["last_snapshot", "lsnp"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        info = zk_server.get_txn_log_factory().get_last_snapshot_info()
        response.put("zxid", "%x" % ((-1 if info is None else info.zxid) & _U64))
        response.put("timestamp", -1 if info is None else info.timestamp)
        return response


class LeaderCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.LeaderCommand (3.6+): who leads, and where."""

    def __init__(self):
        super().__init__(["leader", "lead"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        peer = _quorum_peer(zk_server)
        if peer is None:
            response.put("error", "server is not initialized")
            return response
        leader_id, leader_host = _leader_id_and_host(zk_server, peer)
        response.put("is_leader", _leader(zk_server) is not None)
        response.put("leader_id", leader_id)
        response.put("leader_ip", leader_host or "")
        return response


def _leader_id_and_host(zk_server, peer):
    """3.8's QuorumPeer.getLeaderId/getLeaderAddress: the leader's sid and the host of its quorum address.

    A leader names itself; a learner the server of the vote it followed (Learner.findLeader).
    """
    if _leader(zk_server) is not None:
        return peer.get_id(), java_host_address(peer.get_quorum_address()[0])
    vote = peer.get_current_vote()
    server = peer.get_view().get(vote.get_id()) if vote is not None else None
    if server is None or server.addr is None:
        return -1, None
    return server.id, java_host_address(server.addr[0])


class SystemPropertiesCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.SystemPropertiesCommand (3.6+), sorted by name.

    Lists this process's system-property table: -D flags and zoo.cfg's zookeeper.* keys.
    """

    def __init__(self):
        super().__init__(["system_properties", "sysp"], server_required=False)

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        properties = system_properties.snapshot()
        response.put_all({key: properties[key] for key in sorted(properties)})
        return response


class VotingViewCommand(CommandBase):
    """Mirror of org.apache.zookeeper.server.admin.Commands.VotingViewCommand (3.6+): the voting members."""

    def __init__(self):
        super().__init__(["voting_view"])

    def run(self, zk_server, kwargs):
        response = self.initialize_response()
        peer = _quorum_peer(zk_server)
        view = peer.get_voting_view() if peer is not None else {}
        response.put("current_config", {str(sid): _quorum_server_view(view[sid])
                                        for sid in _hash_set(view, long_hash_code)})
        return response


def _quorum_server_view(server):
    """Commands.VotingViewCommand.QuorumServerView: the addresses of one server as `host:port` strings."""
    return {
        "server_addresses": [_socket_address(server.addr)] if server.addr is not None else [],
        "election_addresses": [_socket_address(server.election_addr)] if server.election_addr is not None else [],
        "client_address": _socket_address(server.client_addr) or "",
        "learner_type": "participant" if server.type is LearnerType.PARTICIPANT else "observer",
    }


for _command in (ChainCommand(), CnxnStatResetCommand(), ConfCommand(), ConsCommand(), DirsCommand(), DumpCommand(),
                 EnvCommand(), GetTraceMaskCommand(), InitialConfigurationCommand(), IsroCommand(),
                 LastSnapshotCommand(), LeaderCommand(), MonitorCommand(), QueuesCommand(), RuokCommand(),
                 SetTraceMaskCommand(), SrvrCommand(), StatCommand(), StatResetCommand(), SystemPropertiesCommand(),
                 ThreadsCommand(), TraceCommand(), VotingViewCommand(),
                 WatchCommand(), WatchesByPathCommand(), WatchSummaryCommand()):
    Commands.register_command(_command)
