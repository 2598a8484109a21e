"""Mirror of org.apache.zookeeper.server.quorum.Learner."""

import contextlib
import logging
import os
import socket
import struct
import threading
import time

from zookeeper_py.common import system_properties
from zookeeper_py.common.cpu_affinity import unpinned
from zookeeper_py.common.gc_tuning import collect_after_load
from zookeeper_py.common.net_utils import close_socket, inet_socket_address_str, resolve
from zookeeper_py.jute import BinaryInputArchive
from zookeeper_py.server.exit_code import ExitCode
from zookeeper_py.server.quorum.follower_zoo_keeper_server import FollowerZooKeeperServer
from zookeeper_py.server.quorum.learner_handler import LearnerHandler
from zookeeper_py.server.quorum.observer_zoo_keeper_server import ObserverZooKeeperServer
from zookeeper_py.server.quorum.packet_types import (
    ACK,
    ACKEPOCH,
    COMMIT,
    COMMITANDACTIVATE,
    DIFF,
    INFORM,
    INFORMANDACTIVATE,
    LEADERINFO,
    NEWLEADER,
    PROPOSAL,
    REQUEST,
    REVALIDATE,
    SNAP,
    TRUNC,
    UPTODATE,
)
from zookeeper_py.server.quorum.quorum_packet import LearnerInfo, QuorumPacket
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.send_ack_request_processor import LeaderConnectionClosed
from zookeeper_py.server.quorum.unified_server_socket import create_ssl_socket
from zookeeper_py.server.request import Request
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.server.util.zxid_utils import ZxidUtils
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("Learner")

_U64 = 0xFFFFFFFFFFFFFFFF
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_SESSION = struct.Struct(">qi")
_REQUEST_HEAD = struct.Struct(">qii")

nodelay = system_properties.get_property("follower.nodelay", "true") == "true"
# 3.6's pause between tries to connect to the leader. 3.5.7 sleeps 1 s: a follower that learns the
# election result a moment before the new leader binds its quorum port then loses a second.
LEADER_CONNECT_DELAY_DURING_RETRY_MS = "zookeeper.leaderConnectDelayDuringRetryMs"
REFUSED_RETRY_MS = 10

_WRITE_BUFFER = 65536


class PacketInFlight:
    """Mirror of org.apache.zookeeper.server.quorum.Learner.PacketInFlight: a txn received during sync."""

    __slots__ = ("hdr", "rec")

    def __init__(self, hdr=None, rec=None):
        self.hdr = hdr
        self.rec = rec


def deserialize_txn(data):
    """SerializeUtils.deserializeTxn of a PROPOSAL/INFORM body: (TxnHeader, txn). A 3.6+ TxnDigest is
    ignored, as 3.5.7 does; a 3.6+ leader's CloseSessionTxn{paths2Delete} is kept (None from a 3.5
    leader), as 3.8 does: the learner logs it and deletes those paths first when it applies the txn,
    which keeps the parents' pzxid right over a fuzzy snapshot (ZOOKEEPER-3145)."""
    hdr, txn, _digest = SerializeUtils.deserialize_txn_entry(data, close_session_txn=True)
    return hdr, txn


def deserialize_txn_keeping_bytes(data):
    """deserialize_txn, and `data` itself where it is exactly what serializing the txn again
    gives (else None): the bytes a follower's log and committed log would otherwise make twice
    more per txn (Java serializes in both). (TxnHeader, txn, bytes or None)."""
    hdr, txn, _digest, exact = SerializeUtils.decode_txn_entry(data, close_session_txn=True)
    return hdr, txn, (data if exact else None)


class Learner:
    """Mirror of org.apache.zookeeper.server.quorum.Learner: what followers and observers share.

    Finds and connects to the leader, registers (FOLLOWERINFO/OBSERVERINFO), syncs
    with it (DIFF, TRUNC or SNAP), forwards requests and answers pings. Packets to
    the leader are written through one buffered stream under a lock; ACKs are
    buffered and flushed once per batch.
    """

    def __init__(self):
        self.self = None
        self.zk = None
        self.sock = None
        self.buffered_output = None
        self.leader_is = None
        self._in = None
        self.leader_protocol_version = 0x01
        # Java's QuorumPeer.SyncMode.SNAP: a leader's snapshot is loaded in memory and not yet on
        # disk (until NEWLEADER), so a shutdown then must drop it (ZOOKEEPER-3642).
        self.snap_sync_in_progress = False
        self.pending_revalidations = {}  # sessionId -> ServerCnxn (Java: ConcurrentHashMap)
        self._write_lock = threading.Lock()  # Java: synchronized (leaderOs)
        self._read_lock = threading.Lock()  # Java: synchronized (leaderIs)
        self.sock_closed = False

    def get_socket(self):
        return self.sock

    def get_pending_revalidations_count(self):
        return len(self.pending_revalidations)

    def validate_session(self, cnxn, client_id, timeout):
        """Ask the leader whether a reconnecting client's session is valid (REVALIDATE)."""
        LOG.info("Revalidating client: 0x%x", client_id & _U64)
        qp = QuorumPacket(REVALIDATE, -1, _SESSION.pack(client_id, timeout), None)
        self.pending_revalidations[client_id] = cnxn
        LOG.debug("To validate session 0x%x", client_id & _U64)
        self.write_packet(qp, True)

    def write_packet(self, pp, flush):
        """Write a packet to the leader (None: only flush)."""
        with self._write_lock:
            out = self.buffered_output
            try:
                if pp is not None:
                    out.write(pp.to_bytes())
                if flush:
                    out.flush()
            except ValueError:  # close_socket closed the writer: an I/O error to every caller
                raise LeaderConnectionClosed("the connection to the leader is closed") from None

    def read_packet(self):
        with self._read_lock:
            return self.leader_is.read_record(QuorumPacket)

    def request(self, request):
        """Forward a client request to the leader (REQUEST)."""
        data = _REQUEST_HEAD.pack(request.session_id, request.cxid, request.type)
        if request.request is not None:
            data += bytes(request.request)
        self.write_packet(QuorumPacket(REQUEST, -1, data, request.auth_info), True)

    def find_leader(self):
        """The QuorumServer of the current vote's leader."""
        leader_server = None
        # Find the leader by id
        current = self.self.get_current_vote()
        for s in self.self.get_view().values():
            if s.id == current.get_id():
                leader_server = s
                break
        if leader_server is None:
            LOG.warning("Couldn't find the leader with id = %d", current.get_id())
        return leader_server

    def sock_connect(self, addr, timeout_ms, refused_patience_ms=0):
        """A connected socket. A refusal is retried every REFUSED_RETRY_MS for refused_patience_ms
        (zookeeper_py only): right after an election the leader is often still building its
        Leader, which binds the port; waiting a whole retry delay for that cost ~0.1 s of every
        re-election."""
        patience_end = time.monotonic() + refused_patience_ms / 1000.0
        ip = resolve(addr[0])  # the address the leader binds for its name
        while True:
            sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(timeout_ms / 1000.0)
            try:
                sock.connect((ip, addr[1]))
                return sock
            except ConnectionRefusedError:
                sock.close()
                if time.monotonic() + REFUSED_RETRY_MS / 1000.0 >= patience_end or not self.self.is_running():
                    raise
            except OSError:
                sock.close()
                raise
            self.self.sleep_while_running(REFUSED_RETRY_MS / 1000.0)

    def connect_to_leader(self, addr, hostname):
        """Connect to the leader: up to 5 tries, leaderConnectDelayDuringRetryMs apart, within initLimit ticks
        (a refused try first polls for that long: see sock_connect)."""
        peer = self.self
        init_limit_time = peer.tick_time * peer.init_limit
        retry_delay_ms = system_properties.get_integer(LEADER_CONNECT_DELAY_DURING_RETRY_MS, 100)
        start_nano_time = time.monotonic_ns()
        for tries in range(5):
            try:
                # recalculate the init limit time because retries sleep
                remaining_init_limit_time = init_limit_time - (time.monotonic_ns() - start_nano_time) // 1000000
                if remaining_init_limit_time <= 0:
                    LOG.error("initLimit exceeded on retries.")
                    raise IOError("initLimit exceeded on retries.")
                sock = self.sock_connect(addr, min(peer.tick_time * peer.sync_limit, remaining_init_limit_time),
                                         min(retry_delay_ms, remaining_init_limit_time))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
                if peer.is_ssl_quorum():
                    # the leader's certificate is checked against its configured address
                    sock = create_ssl_socket(peer.get_x509_util(), sock, hostname or addr[0])
                self.sock = sock
                break
            except OSError as e:
                remaining_init_limit_time = init_limit_time - (time.monotonic_ns() - start_nano_time) // 1000000
                if remaining_init_limit_time <= retry_delay_ms:
                    LOG.error("Unexpected exception, initLimit exceeded. tries=%d, remaining init limit=%d, "
                              "connecting to %s", tries, remaining_init_limit_time, inet_socket_address_str(addr),
                              exc_info=e)
                    raise
                elif tries >= 4:
                    LOG.error("Unexpected exception, retries exceeded. tries=%d, remaining init limit=%d, connecting "
                              "to %s", tries, remaining_init_limit_time, inet_socket_address_str(addr), exc_info=e)
                    raise
                else:
                    LOG.warning("Unexpected exception, tries=%d, remaining init limit=%d, connecting to %s: %s",
                                tries, remaining_init_limit_time, inet_socket_address_str(addr), e)
            peer.sleep_while_running(retry_delay_ms / 1000.0)
        self.sock.settimeout(peer.tick_time * peer.init_limit / 1000.0)
        # Quorum SASL, before anything else is sent; every read within initLimit ticks
        peer.auth_learner.authenticate(self.sock, hostname)
        self._in = self.sock.makefile("rb")
        self.leader_is = BinaryInputArchive.get_archive(self._in)
        self.buffered_output = self.sock.makefile("wb", buffering=_WRITE_BUFFER)

    def register_with_leader(self, pkt_type):
        """FOLLOWERINFO/OBSERVERINFO, then LEADERINFO -> ACKEPOCH; returns the zxid of the new epoch."""
        peer = self.self
        # Send follower info, including last zxid and sid
        last_logged_zxid = peer.get_last_logged_zxid()
        li = LearnerInfo(peer.get_id(), 0x10000, peer.get_quorum_verifier().get_version())
        qp = QuorumPacket(pkt_type, ZxidUtils.make_zxid(peer.get_accepted_epoch(), 0), li.to_bytes(), None)
        self.write_packet(qp, True)
        qp = self.read_packet()
        new_epoch = qp.zxid >> 32
        if qp.type == LEADERINFO:
            # we are connected to a 1.0 server so accept the new epoch and read the next packet
            self.leader_protocol_version, = _INT.unpack_from(qp.data, 0)
            if new_epoch > peer.get_accepted_epoch():
                epoch_bytes = _INT.pack(_int32(peer.get_current_epoch()))
                peer.set_accepted_epoch(new_epoch)
            elif new_epoch == peer.get_accepted_epoch():
                # since we have already acked an epoch equal to the leaders, we cannot ack again in
                # case of a failure. so we send -1 to let the leader know we don't know our current epoch.
                epoch_bytes = _INT.pack(-1)
            else:
                raise IOError("Leaders epoch, %d is less than accepted epoch, %d"
                              % (new_epoch, peer.get_accepted_epoch()))
            self.write_packet(QuorumPacket(ACKEPOCH, last_logged_zxid, epoch_bytes, None), True)
            return ZxidUtils.make_zxid(new_epoch, 0)
        if new_epoch > peer.get_accepted_epoch():
            peer.set_accepted_epoch(new_epoch)
        if qp.type != NEWLEADER:
            LOG.error("First packet should have been NEWLEADER")
            raise IOError("First packet should have been NEWLEADER")
        return qp.zxid

    def sync_with_leader(self, new_leader_zxid):
        """Get in sync (DIFF, SNAP or TRUNC, then the txns up to UPTODATE) and start the server."""
        peer = self.self
        zk = self.zk
        new_epoch = new_leader_zxid >> 32
        new_leader_qv = None
        # In the DIFF case we don't need to do a snapshot because the transactions will sync on top of any
        # existing snapshot. For SNAP and TRUNC the snapshot is needed to save that history
        snapshot_needed = True
        qp = self.read_packet()
        packets_committed = []
        packets_not_committed = []
        sync_snapshot = False
        received = None  # the SNAP stream, copied into a snapshot file as it is read
        tree_changed = False  # a txn applied since the SNAP: the copy is no longer the tree
        with zk.state_lock, contextlib.ExitStack() as cleanup:
            if qp.type == DIFF:
                LOG.info("Getting a diff from the leader 0x%x", qp.zxid & _U64)
                if zk.should_force_write_initial_snapshot_after_leader_election():
                    LOG.info("Forcing a snapshot write as part of upgrading from an older Zookeeper. "
                             "This should only happen while upgrading.")
                    sync_snapshot = True
                else:
                    snapshot_needed = False
            elif qp.type == SNAP:
                LOG.info("Getting a snapshot from leader 0x%x", qp.zxid & _U64)
                self.snap_sync_in_progress = True
                # The log has a gap up to this snapshot: it must be on disk before NEWLEADER is acked (3.6+)
                sync_snapshot = True
                # The leader is going to dump the database
                # db is clear as part of deserializeSnapshot()
                received = self.receive_snapshot_file(qp.zxid)
                if received is not None:
                    cleanup.callback(received.discard)  # a no-op once sealed
                try:
                    with unpinned():
                        zk.get_zk_database().deserialize_snapshot(self.leader_is)
                finally:
                    self.leader_is.end_tee()  # a no-op without a copy
                collect_after_load()  # PyPy: the SNAP's garbage, before the learner serves
                # ZOOKEEPER-2819: overwrite config node content extracted from leader snapshot with local config,
                # to avoid potential inconsistency of config node content during rolling restart.
                if not QuorumPeerConfig.is_reconfig_enabled():
                    LOG.debug("Reset config node content from local config after deserialization of snapshot.")
                    zk.get_zk_database().init_config_in_zk_database(peer.get_quorum_verifier())
                signature = self.leader_is.read_string("signature")
                if signature != "BenWasHere":
                    LOG.error("Missing signature. Got %s", signature)
                    raise IOError("Missing signature")
                zk.get_zk_database().set_last_processed_zxid(qp.zxid)
            elif qp.type == TRUNC:
                # we need to truncate the log to the lastzxid of the leader
                LOG.warning("Truncating log to get in sync with the leader 0x%x", qp.zxid & _U64)
                truncated = zk.get_zk_database().truncate_log(qp.zxid)
                if not truncated:
                    # not able to truncate the log
                    LOG.error("Not able to truncate the log %x", qp.zxid & _U64)
                    _exit(ExitCode.QUORUM_PACKET_ERROR)
                zk.get_zk_database().set_last_processed_zxid(qp.zxid)
            else:
                LOG.error("Got unexpected packet from leader: %s, exiting ... ", LearnerHandler.packet_to_string(qp))
                _exit(ExitCode.QUORUM_PACKET_ERROR)
            zk.get_zk_database().init_config_in_zk_database(peer.get_quorum_verifier())
            zk.create_session_tracker()
            last_queued = 0
            # in Zab V1.0 (ZK 3.4+) we might take a snapshot when we get the NEWLEADER message, but in pre V1.0
            # we take the snapshot on the UPDATE message, since Zab V1.0 also gets the UPDATE (after the NEWLEADER)
            # we need to make sure that we don't take the snapshot twice.
            is_pre_zab1_0 = True
            # If we are not going to take the snapshot be sure the transactions are not applied in memory
            # but written out to the transaction log
            write_to_txn_log = not snapshot_needed
            # we are now going to start getting transactions to apply followed by an UPTODATE
            while peer.is_running():
                qp = self.read_packet()
                t = qp.type
                if t == PROPOSAL:
                    hdr, rec = deserialize_txn(qp.data)
                    pif = PacketInFlight(hdr, rec)
                    last_queued = self.enforce_continuous_proposal(last_queued, hdr.zxid)
                    if hdr.type == OpCode.reconfig:
                        qv = peer.config_from_string(rec.data.decode("utf-8"))
                        peer.set_last_seen_quorum_verifier(qv, True)
                    packets_not_committed.append(pif)
                elif t in (COMMIT, COMMITANDACTIVATE):
                    pif = packets_not_committed[0]
                    if pif.hdr.zxid == qp.zxid and t == COMMITANDACTIVATE:
                        qv = peer.config_from_string(pif.rec.data.decode("utf-8"))
                        major_change = peer.process_reconfig(qv, _LONG.unpack_from(qp.data, 0)[0], qp.zxid, True)
                        if major_change:
                            raise RuntimeError("changes proposed in reconfig")
                    if not write_to_txn_log:
                        if pif.hdr.zxid != qp.zxid:
                            LOG.warning("Committing %d, but next proposal is %d", qp.zxid, pif.hdr.zxid)
                        else:
                            zk.process_txn(hdr=pif.hdr, txn=pif.rec)
                            tree_changed = True
                            packets_not_committed.pop(0)
                    else:
                        packets_committed.append(qp.zxid)
                elif t in (INFORM, INFORMANDACTIVATE):
                    if t == INFORMANDACTIVATE:
                        suggested_leader_id, = _LONG.unpack_from(qp.data, 0)
                        hdr, rec = deserialize_txn(qp.data[8:])
                        packet = PacketInFlight(hdr, rec)
                        qv = peer.config_from_string(rec.data.decode("utf-8"))
                        major_change = peer.process_reconfig(qv, suggested_leader_id, qp.zxid, True)
                        if major_change:
                            raise RuntimeError("changes proposed in reconfig")
                    else:
                        hdr, rec = deserialize_txn(qp.data)
                        packet = PacketInFlight(hdr, rec)
                        last_queued = self.enforce_continuous_proposal(last_queued, hdr.zxid)
                    if not write_to_txn_log:
                        # Apply to db directly if we haven't taken the snapshot
                        zk.process_txn(hdr=packet.hdr, txn=packet.rec)
                        tree_changed = True
                    else:
                        packets_not_committed.append(packet)
                        packets_committed.append(qp.zxid)
                elif t == UPTODATE:
                    LOG.info("Learner received UPTODATE message")
                    if new_leader_qv is not None:
                        major_change = peer.process_reconfig(new_leader_qv, None, None, True)
                        if major_change:
                            raise RuntimeError("changes proposed in reconfig")
                    if is_pre_zab1_0:
                        zk.take_snapshot(sync_snapshot)
                        peer.set_current_epoch(new_epoch)
                    peer.set_zoo_keeper_server(zk)
                    peer.admin_server.set_zoo_keeper_server(zk)
                    break
                elif t == NEWLEADER:  # Getting NEWLEADER here instead of in discovery means this is Zab 1.0
                    LOG.info("Learner received NEWLEADER message")
                    if qp.data is not None and len(qp.data) > 1:
                        try:
                            qv = peer.config_from_string(qp.data.decode("utf-8"))
                            peer.set_last_seen_quorum_verifier(qv, True)
                            new_leader_qv = qv
                        except Exception:
                            LOG.warning("Bad config in NEWLEADER", exc_info=True)
                    if snapshot_needed:
                        if received is not None and received.whole and not tree_changed:
                            zk.take_snapshot(sync_snapshot, received=received)
                        else:
                            zk.take_snapshot(sync_snapshot)
                    elif isinstance(zk, FollowerZooKeeperServer):
                        self.log_committed_sync_txns(zk, packets_not_committed, packets_committed)
                    self.snap_sync_in_progress = False
                    peer.set_current_epoch(new_epoch)
                    # Anything after this needs to go to the transaction log, not applied directly in memory
                    write_to_txn_log = True
                    is_pre_zab1_0 = False
                    self.write_packet(QuorumPacket(ACK, new_leader_zxid, None, None), True)
        self.write_packet(QuorumPacket(ACK, ZxidUtils.make_zxid(new_epoch, 0), None, None), True)
        self.sock.settimeout(peer.tick_time * peer.sync_limit / 1000.0)
        zk.startup()
        # We update the election vote here to ensure that all members of the ensemble report the same vote to new
        # servers that start up and send leader election notifications to the ensemble.
        peer.update_election_vote(new_epoch)
        # We need to log the stuff that came in between the snapshot and the uptodate
        if isinstance(zk, FollowerZooKeeperServer):
            for p in packets_not_committed:
                zk.log_request(p.hdr, p.rec)
            for zxid in packets_committed:
                zk.commit(zxid)
        elif isinstance(zk, ObserverZooKeeperServer):
            # Similar to follower, we need to log requests between the snapshot and UPTODATE
            for p in packets_not_committed:
                zxid = packets_committed[0] if packets_committed else None
                if p.hdr.zxid != zxid:
                    # log warning message if there is no matching commit; old leader send outstanding proposal to
                    # observer
                    LOG.warning("Committing %x, but next proposal is %x", (zxid or 0) & _U64, p.hdr.zxid & _U64)
                    continue
                packets_committed.pop(0)
                request = Request(None, p.hdr.clientId, p.hdr.cxid, p.hdr.type, None, None)
                request.txn = p.rec
                request.hdr = p.hdr
                zk.commit_request(request)
        else:
            raise NotImplementedError("Unknown server type")

    @staticmethod
    def enforce_continuous_proposal(last_queued, zxid):
        """A proposal of a sync must follow the one before it within an epoch, as 3.9.4
        (ZOOKEEPER-4925): a gap there is txns the leader does not have, and taking the rest would
        give this learner a history with a hole that it could pass on as leader. 3.5.7, and ours
        before, only warned. The sync ends and the learner looks for a leader again. A gap at a
        new epoch cannot be told from a normal one, so it is only logged."""
        if last_queued == 0:
            LOG.info("DIFF sync got first proposal 0x%x", zxid & _U64)
        elif zxid != last_queued + 1:
            args = (zxid & _U64, last_queued & _U64, (last_queued + 1) & _U64)
            if ZxidUtils.get_epoch_from_zxid(zxid) <= ZxidUtils.get_epoch_from_zxid(last_queued):
                message = "DIFF sync got proposal 0x%x, last queued 0x%x, expected 0x%x" % args
                LOG.error(message)
                raise IOError(message)
            LOG.warning("DIFF sync got new epoch proposal 0x%x, last queued 0x%x, expected 0x%x", *args)
        return zxid

    @staticmethod
    def log_committed_sync_txns(zk, packets_not_committed, packets_committed):
        """At NEWLEADER of a DIFF or TRUNC, before the epoch is set and NEWLEADER acked, as 3.9
        (ZOOKEEPER-3911, -4643, -4646): the txns the leader sent as committed are logged, synced
        to disk and applied. 3.5.7 acked with them in memory only and logged them after UPTODATE,
        so a quorum could ack a history it did not hold, and a restart with the new epoch and the
        old last zxid could later truncate committed txns. The proposals not yet committed stay
        in packets_not_committed, logged and acked after UPTODATE as before."""
        zk_db = zk.get_zk_database()
        logged = False
        while packets_committed:
            zxid = packets_committed.pop(0)
            if not packets_not_committed or packets_not_committed[0].hdr.zxid != zxid:
                LOG.warning("Committing 0x%x, but next proposal is 0x%x", zxid & _U64,
                            (packets_not_committed[0].hdr.zxid if packets_not_committed else 0) & _U64)
                continue
            pif = packets_not_committed.pop(0)
            hdr = pif.hdr
            request = Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, pif.rec, hdr.zxid)
            zk_db.append(request)
            zk.process_txn(hdr=hdr, txn=pif.rec)
            zk_db.add_committed_proposal(request)
            logged = True
        if logged:
            zk_db.commit()

    def receive_snapshot_file(self, zxid):
        """Start copying the SNAP stream into a snapshot file as it is read (FileSnap.ReceivedSnapshot);
        None where that file cannot be made (NEWLEADER then writes the tree out, as Java does)."""
        try:
            received = self.zk.txn_log_factory.begin_received_snapshot(zxid)
        except (IOError, OSError) as e:
            LOG.warning("Cannot write the leader's snapshot stream as it arrives: %s", e)
            return None
        self.leader_is.tee_to(received.write)
        return received

    def revalidate(self, qp):
        """The leader's answer to REVALIDATE: finish the waiting client's connect."""
        session_id, = _LONG.unpack_from(qp.data, 0)
        valid = qp.data[8] != 0
        cnxn = self.pending_revalidations.pop(session_id, None)
        if cnxn is None:
            LOG.warning("Missing session 0x%x for validation", session_id & _U64)
        else:
            self.zk.finish_session_init(cnxn, valid)
        LOG.debug("Session 0x%x is valid: %s", session_id & _U64, valid)

    def ping(self, qp):
        """Answer a PING with the sessions my clients touched since the last one."""
        touch_table = self.zk.get_touch_snapshot()
        data = b"".join(_SESSION.pack(sid, to) for sid, to in touch_table.items())
        self.write_packet(QuorumPacket(qp.type, qp.zxid, data, qp.authinfo), True)

    def close_socket(self):
        """Close the leader connection so that a read blocked on it ends."""
        if self.sock is None:
            return
        self.sock_closed = True
        close_socket(self.sock)
        # The socket's descriptor closes with the last of its file objects: the writer too (its
        # flush fails at once on the shut-down socket, and close() then closes it anyway).
        # Before, each lost leader connection kept its descriptor until the Learner was collected.
        for stream in (self._in, self.buffered_output):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):
                pass

    def shutdown(self):
        peer = self.self
        peer.set_zoo_keeper_server(None)
        peer.close_all_connections()
        peer.admin_server.set_zoo_keeper_server(None)
        # shutdown previous zookeeper; fully (dropping the tree in memory) if a SNAP sync did not
        # finish: the next election and sync must see what is on disk, as 3.7+ (ZOOKEEPER-3642)
        if self.zk is not None:
            self.zk.shutdown(self.snap_sync_in_progress)

    def is_running(self):
        return self.self.is_running() and self.zk.is_running()


def _int32(value):
    """(int) cast of a long, as Java's (int)self.getCurrentEpoch()."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _exit(code):
    logging.shutdown()
    os._exit(code.get_value())
