"""Mirror of org.apache.zookeeper.server.quorum.LearnerHandler."""

import errno
import io
import logging
import struct
import threading
import time

from zookeeper_py.common import system_properties
from zookeeper_py.common.cpu_affinity import unpinned
from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.common.net_utils import close_socket, inet_socket_address_str, peer_address
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive, JuteIOError
from zookeeper_py.keeper_exception import SessionExpiredException
from zookeeper_py.server.quorum.auth.quorum_auth import AuthInputStream
from zookeeper_py.server.quorum.learner_snapshot_throttler import SnapshotThrottleException
from zookeeper_py.server.quorum.learner_sync_request import LearnerSyncRequest
from zookeeper_py.server.quorum.packet_types import (
    ACK,
    ACKEPOCH,
    COMMIT,
    DIFF,
    FOLLOWERINFO,
    LEADERINFO,
    NAMES,
    NEWLEADER,
    OBSERVERINFO,
    PING,
    PROPOSAL,
    REQUEST,
    REVALIDATE,
    SNAP,
    TRUNC,
    UPTODATE,
)
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.quorum.quorum_server import LearnerType
from zookeeper_py.server.quorum.state_summary import StateSummary
from zookeeper_py.server.quorum.unified_server_socket import UnifiedSocket
from zookeeper_py.server.request import Request
from zookeeper_py.server.server_metrics import ServerMetrics
from zookeeper_py.server.util.zxid_utils import ZxidUtils
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperThread
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("LearnerHandler")

_U64 = 0xFFFFFFFFFFFFFFFF
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_SESSION = struct.Struct(">qi")
_REQUEST_HEAD = struct.Struct(">qii")

FORCE_SNAP_SYNC = "zookeeper.forceSnapshotSync"

_WRITE_BUFFER = 65536


class SyncLimitCheck:
    """Mirror of org.apache.zookeeper.server.quorum.LearnerHandler.SyncLimitCheck.

    Is the oldest unacked proposal older than syncLimit ticks?
    """

    def __init__(self, handler):
        self.handler = handler
        self.started = False
        self.current_zxid = 0
        self.current_time = 0
        self.next_zxid = 0
        self.next_time = 0
        self._lock = threading.Lock()

    def start(self):
        with self._lock:
            self.started = True

    def update_proposal(self, zxid, time_ns):
        with self._lock:
            if not self.started:
                return
            if self.current_time == 0:
                self.current_time = time_ns
                self.current_zxid = zxid
            else:
                self.next_time = time_ns
                self.next_zxid = zxid

    def update_ack(self, zxid):
        with self._lock:
            if self.current_zxid == zxid:
                self.current_time = self.next_time
                self.current_zxid = self.next_zxid
                self.next_time = 0
                self.next_zxid = 0
            elif self.next_zxid == zxid:
                LOG.warning("ACK for %d received before ACK for %d!!!!", zxid, self.current_zxid)
                self.next_time = 0
                self.next_zxid = 0

    def check(self, time_ns):
        with self._lock:
            if self.current_time == 0:
                return True
            ms_delay = (time_ns - self.current_time) // 1000000
            peer = self.handler.leader.self
            return ms_delay < peer.tick_time * peer.sync_limit


class LearnerHandler(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.LearnerHandler: the leader's side of one learner.

    Runs the handshake (FOLLOWERINFO/OBSERVERINFO, LEADERINFO, ACKEPOCH), syncs the
    learner (DIFF, TRUNC or SNAP), sends NEWLEADER and UPTODATE, then reads ACK, PING,
    REVALIDATE and REQUEST packets. Everything sent after the sync decision goes
    through queuedPackets and the Sender-<addr> thread, one buffered write per packet
    and a flush whenever the queue runs dry.
    """

    def __init__(self, sock, leader):
        remote = peer_address(sock)
        if remote is None:
            raise OSError(errno.ENOTCONN, "learner connection reset before its handshake")
        self.remote_address = inet_socket_address_str(remote)
        super().__init__("LearnerHandler-" + self.remote_address)
        self.sock = sock
        self.sock_closed = False
        self.leader = leader
        self.tick_of_next_ack_deadline = 0
        self.sid = 0
        self.version = 0x1
        # Java: unbounded LinkedBlockingQueue; proposalOfDeath stops the sender. Bound: a proposal and a
        # commit per request in flight (the request bound of util/queue_census), and pings; a learner
        # that stops reading is dropped after syncLimit ticks without an ack.
        self.queued_packets = LinkedBlockingQueue()
        self._queued_count = 0
        self.sync_limit_check = SyncLimitCheck(self)
        self.ia = None
        self.oa = None
        self.buffered_input = None  # made by run_thread, once the connection's mode (TLS or not) is known
        self.buffered_output = None
        self.sending_thread_started = False
        self.force_snap_sync = False
        self.need_op_packet = True
        self.leader_last_zxid = 0
        self.learner_type = LearnerType.PARTICIPANT
        self.proposal_of_death = QuorumPacket()
        if system_properties.get_boolean(FORCE_SNAP_SYNC):
            self.force_snap_sync = True
            LOG.info("Forcing snapshot sync is enabled")

    def get_socket(self):
        return self.sock

    def get_sid(self):
        return self.sid

    def get_version(self):
        return self.version

    def __str__(self):
        return "LearnerHandler %s tickOfNextAckDeadline:%d synced?:%s queuedPacketLength:%d" % (
            self.remote_address, self.tick_of_next_ack_deadline, self.synced(), self.queued_packets.qsize())

    def get_learner_type(self):
        return self.learner_type

    # -- sending ---------------------------------------------------------------------------

    def send_packets(self):
        """The Sender thread: write queued packets, flushing when the queue is empty."""
        q = self.queued_packets
        out = self.buffered_output
        death = self.proposal_of_death
        sync_limit_check = self.sync_limit_check
        while True:
            try:
                p = q.poll()
                if p is None:
                    out.flush()
                    p = q.get()
                if p is death:
                    # Packet of death!
                    break
                if p.type == PROPOSAL:
                    sync_limit_check.update_proposal(p.zxid, time.monotonic_ns())
                out.write(p.to_bytes())
            except (OSError, ValueError) as e:
                if not self.sock_closed:
                    LOG.warning("Unexpected exception at %s", self, exc_info=e)
                    self._close_sock()
                break

    @staticmethod
    def packet_to_string(p):
        mess = None
        type_ = _TYPE_NAMES.get(p.type)
        if type_ is None:
            type_ = "UNKNOWN%d" % p.type
        elif p.type == REVALIDATE and p.data:
            try:
                mess = " sessionid = %d" % _LONG.unpack_from(p.data, 0)[0]
            except struct.error:
                pass
        return "%s %x %s" % (type_, p.zxid & _U64, mess)

    def _write_record(self, qp):
        self.buffered_output.write(qp.to_bytes())

    def _read_packet(self):
        return self.ia.read_record(QuorumPacket)

    # -- the handler -------------------------------------------------------------------------

    def run_thread(self):
        leader = self.leader
        peer = leader.self
        try:
            if isinstance(self.sock, UnifiedSocket):
                # TLS or plaintext, detected on this thread, never on the LearnerCnxAcceptor.
                try:
                    self.sock = self.sock.get_socket()
                except OSError:
                    self.sock_closed = True  # closed, with a log line naming the peer and the reason
                    return
            # Quorum SASL: Java runs it in the constructor, on the LearnerCnxAcceptor; here on this thread,
            # so a slow or silent learner never holds the acceptor. Reads within initLimit ticks.
            din = AuthInputStream(self.sock)
            try:
                peer.auth_server.authenticate(self.sock, din)
            except (OSError, EOFError, SaslException) as e:
                LOG.error("Server failed to authenticate quorum learner, addr: %s, closing connection: %s",
                          self.remote_address, e)
                self._close_sock()
                return
            pending = din.unread()
            if pending:
                # what nextPacketIsAuth read of a learner that does not authenticate comes first
                self.buffered_input = io.BufferedReader(_PrefixedRaw(pending, self.sock.makefile("rb", buffering=0)))
            else:
                self.buffered_input = self.sock.makefile("rb")
            leader.add_learner_handler(self)
            self.tick_of_next_ack_deadline = peer.tick + peer.init_limit + peer.sync_limit
            self.ia = BinaryInputArchive.get_archive(self.buffered_input)
            self.buffered_output = self.sock.makefile("wb", buffering=_WRITE_BUFFER)
            self.oa = BinaryOutputArchive.get_archive(self.buffered_output)
            qp = self._read_packet()
            if qp.type not in (FOLLOWERINFO, OBSERVERINFO):
                LOG.error("First packet %s is not FOLLOWERINFO or OBSERVERINFO!", qp)
                return
            learner_info_data = qp.data
            if learner_info_data is not None:
                if len(learner_info_data) >= 8:
                    self.sid, = _LONG.unpack_from(learner_info_data, 0)
                if len(learner_info_data) >= 12:
                    self.version, = _INT.unpack_from(learner_info_data, 8)  # protocolVersion
                if len(learner_info_data) >= 20:
                    config_version, = _LONG.unpack_from(learner_info_data, 12)
                    if config_version > peer.get_quorum_verifier().get_version():
                        raise IOError("Follower is ahead of the leader (has a later activated configuration)")
            else:
                self.sid = leader.next_follower_counter()
            if self.sid in peer.get_view():
                LOG.info("Follower sid: %d : info : %s", self.sid, peer.get_view()[self.sid])
            else:
                LOG.info("Follower sid: %d not in the current config %x", self.sid,
                         peer.get_quorum_verifier().get_version() & _U64)
            if qp.type == OBSERVERINFO:
                self.learner_type = LearnerType.OBSERVER
            last_accepted_epoch = qp.zxid >> 32
            zxid = qp.zxid
            new_epoch = leader.get_epoch_to_propose(self.get_sid(), last_accepted_epoch)
            new_leader_zxid = ZxidUtils.make_zxid(new_epoch, 0)
            if self.get_version() < 0x10000:
                # we are going to have to extrapolate the epoch information
                epoch = zxid >> 32
                ss = StateSummary(epoch, zxid)
                # fake the message
                leader.wait_for_epoch_ack(self.get_sid(), ss)
            else:
                self._write_record(QuorumPacket(LEADERINFO, new_leader_zxid, _INT.pack(0x10000), None))
                self.buffered_output.flush()
                ack_epoch_packet = self._read_packet()
                if ack_epoch_packet.type != ACKEPOCH:
                    LOG.error("%s is not ACKEPOCH", ack_epoch_packet)
                    return
                ss = StateSummary(_INT.unpack_from(ack_epoch_packet.data, 0)[0], ack_epoch_packet.zxid)
                leader.wait_for_epoch_ack(self.get_sid(), ss)
            peer_last_zxid = ss.get_last_zxid()
            # Take any necessary action if we need to send TRUNC or DIFF; startForwarding() will be called in all
            # cases
            need_snap = self.sync_follower(peer_last_zxid, leader.zk.get_zk_database(), leader)
            # if we are not truncating or sending a diff just send a snapshot
            if need_snap:
                exempt_from_throttle = self.get_learner_type() is not LearnerType.OBSERVER
                snapshot = leader.get_learner_snapshot_throttler().begin_snapshot(exempt_from_throttle)
                try:
                    zxid_to_send = leader.zk.get_zk_database().get_data_tree_last_processed_zxid()
                    self._write_record(QuorumPacket(SNAP, zxid_to_send, None, None))
                    self.buffered_output.flush()
                    LOG.info("Sending snapshot last zxid of peer is 0x%x, zxid of leader is 0x%x, send zxid of db as "
                             "0x%x, %d concurrent snapshots, snapshot was %s from throttle", peer_last_zxid & _U64,
                             self.leader_last_zxid & _U64, zxid_to_send & _U64,
                             snapshot.get_concurrent_snapshot_number(),
                             "exempt" if snapshot.is_essential() else "not exempt")
                    # Dump data to peer
                    with unpinned():
                        leader.zk.get_zk_database().serialize_snapshot(self.oa)
                        self.oa.write_string("BenWasHere", "signature")
                        self.buffered_output.flush()
                finally:
                    snapshot.close()
                    ServerMetrics.SNAP_COUNT.add(1)
            else:
                ServerMetrics.DIFF_COUNT.add(1)
            LOG.debug("Sending NEWLEADER message to %d", self.sid)
            # the version of this quorumVerifier will be set by leader.lead() in case the leader is just being
            # established. waitForEpochAck makes sure that readyToStart is true, so we are guaranteed that the
            # quorum verifier version is set properly
            if self.get_version() < 0x10000:
                self._write_record(QuorumPacket(NEWLEADER, new_leader_zxid, None, None))
            else:
                self.queue_packet(QuorumPacket(NEWLEADER, new_leader_zxid,
                                               str(peer.get_last_seen_quorum_verifier()).encode("utf-8"), None))
            self.buffered_output.flush()
            # Start thread that blast packets in the queue to learner
            self.start_sending_packets()
            # Have to wait for the first ACK, wait until the leader is ready, and only then we can start processing
            # messages.
            qp = self._read_packet()
            if qp.type != ACK:
                LOG.error("Next packet was supposed to be an ACK, but received packet: %s", self.packet_to_string(qp))
                return
            LOG.debug("Received NEWLEADER-ACK message from %d", self.sid)
            leader.wait_for_new_leader_ack(self.get_sid(), qp.zxid)
            self.sync_limit_check.start()
            # now that the ack has been processed expect the syncLimit
            self.sock.settimeout(peer.tick_time * peer.sync_limit / 1000.0)
            # Wait until leader starts up
            zk = leader.zk
            while not zk.is_running() and self.is_alive() and not leader.is_shutdown:
                with zk.state_lock:
                    zk.state_lock.wait(0.02)
            # Mutation packets will be queued during the serialize, so we need to mark when the peer can actually
            # start using the data
            LOG.debug("Sending UPTODATE message to %d", self.sid)
            self.queue_packet(QuorumPacket(UPTODATE, -1, None, None))
            self._read_loop()
        except (OSError, EOFError, JuteIOError, struct.error, ValueError) as e:
            # ValueError: a read of the stream _close_sock closed (the leader shutting down)
            if not self.sock_closed:
                if isinstance(e, (EOFError, ConnectionError)):
                    # The peer closed or reset it (a port scan does, before any packet): one line.
                    LOG.error("Unexpected exception causing shutdown while sock still open: %r", e)
                else:
                    LOG.error("Unexpected exception causing shutdown while sock still open", exc_info=e)
                self._close_sock()
        except SnapshotThrottleException as e:
            LOG.error("too many concurrent snapshots: %s", e)
        except Exception as e:  # Java: InterruptedException (initLimit timeouts of the leader's waits)
            LOG.error("Unexpected exception causing shutdown", exc_info=e)
        finally:
            LOG.warning("******* GOODBYE %s ********", self.remote_address)
            self.shutdown()

    def _read_loop(self):
        leader = self.leader
        peer = leader.self
        zk = leader.zk
        read = self.ia.read_record
        while True:
            qp = read(QuorumPacket)
            self.tick_of_next_ack_deadline = peer.tick + peer.sync_limit
            t = qp.type
            if t == ACK:
                if self.learner_type is LearnerType.OBSERVER:
                    LOG.debug("Received ACK from Observer  %d", self.sid)
                self.sync_limit_check.update_ack(qp.zxid)
                leader.process_ack(self.sid, qp.zxid, self.remote_address)
            elif t == PING:
                # Process the touches
                data = qp.data or b""
                for i in range(0, len(data) - 11, 12):
                    sess, to = _SESSION.unpack_from(data, i)
                    zk.touch(sess, to)
            elif t == REVALIDATE:
                id_, to = _SESSION.unpack_from(qp.data, 0)
                valid = zk.check_if_valid_global_session(id_, to)
                if valid:
                    try:
                        # set the session owner as the follower that owns the session
                        zk.set_owner(id_, self)
                    except SessionExpiredException as e:
                        LOG.error("Somehow session %x expired right after being renewed! (impossible)", id_ & _U64,
                                  exc_info=e)
                LOG.debug("Session 0x%x is valid: %s", id_ & _U64, valid)
                self.queue_packet(QuorumPacket(REVALIDATE, qp.zxid, _LONG.pack(id_) + (b"\1" if valid else b"\0"),
                                               qp.authinfo))
            elif t == REQUEST:
                data = qp.data
                session_id, cxid, type_ = _REQUEST_HEAD.unpack_from(data, 0)
                body = data[16:]
                auth_info = qp.authinfo if qp.authinfo is not None else []
                if type_ == OpCode.sync:
                    si = LearnerSyncRequest(self, session_id, cxid, type_, body, auth_info)
                else:
                    si = Request(None, session_id, cxid, type_, body, auth_info)
                si.owner = self
                zk.submit_learner_request(si)
            else:
                LOG.warning("unexpected quorum packet, type: %s", self.packet_to_string(qp))

    def start_sending_packets(self):
        if not self.sending_thread_started:
            # Start sending packets
            _Sender(self).start()
            self.sending_thread_started = True
        else:
            LOG.error("Attempting to start sending thread after it already started")

    # -- sync ---------------------------------------------------------------------------------

    def sync_follower(self, peer_last_zxid, db, leader):
        """Queue the packets that bring the learner up to date; True if it needs a snapshot instead.

        With the committed log (and the on-disk txn log within its size limit): DIFF
        plus PROPOSAL/COMMIT pairs, or TRUNC when the learner has txns the leader
        never committed. Otherwise SNAP.
        """
        # When leader election is completed, the leader will set its lastProcessedZxid to be (epoch < 32). There
        # will be no txn associated with this zxid. The learner will set its lastProcessedZxid to the same value
        # if it get DIFF or SNAP from the leader. If the same learner come back to sync with leader using this
        # zxid, we will never find this zxid in our history. In this case, we will ignore TRUNC logic and always
        # send DIFF if we have old enough history
        is_peer_new_epoch_zxid = (peer_last_zxid & 0xFFFFFFFF) == 0
        # Keep track of the latest zxid which already queued
        current_zxid = peer_last_zxid
        need_snap = True
        txn_log_sync_enabled = db.is_txn_log_sync_enabled()
        with db.get_log_lock():
            max_committed_log = db.get_max_committed_log()
            min_committed_log = db.get_min_committed_log()
            last_processed_zxid = db.get_data_tree_last_processed_zxid()
            committed_log = db.get_committed_log()
            LOG.info("Synchronizing with Follower sid: %d maxCommittedLog=0x%x minCommittedLog=0x%x "
                     "lastProcessedZxid=0x%x peerLastZxid=0x%x", self.get_sid(), max_committed_log & _U64,
                     min_committed_log & _U64, last_processed_zxid & _U64, peer_last_zxid & _U64)
            if not committed_log:
                # The committedLog may be empty: then only the last processed zxid is known.
                min_committed_log = last_processed_zxid
                max_committed_log = last_processed_zxid
            # Here are the cases that we want to handle
            # 1. Force sending snapshot (for testing purpose)
            # 2. Peer and leader is already sync, send empty diff
            # 3. Follower has txn that we haven't seen. This may be old leader so we need to send TRUNC. However, if
            #    peer has newEpochZxid, we cannot send TRUNC since the follower has no txnlog
            # 4. Follower is within committedLog range or already in-sync. We may need to send DIFF or TRUNC
            #    depending on follower's zxid. We will always send empty DIFF if follower is already in-sync
            # 5. Follower missed the committedLog. We will try to use on-disk txnlog + committedLog to sync with
            #    follower. If that fail, we will send snapshot
            if self.force_snap_sync:
                # Force leader to use snapshot to sync with follower
                LOG.warning("Forcing snapshot sync - should not see this in production")
            elif last_processed_zxid == peer_last_zxid:
                # Follower is already sync with us, send empty diff
                LOG.info("Sending DIFF zxid=0x%x for peer sid: %d", peer_last_zxid & _U64, self.get_sid())
                self.queue_op_packet(DIFF, peer_last_zxid)
                self.need_op_packet = False
                need_snap = False
            elif peer_last_zxid > max_committed_log and not is_peer_new_epoch_zxid:
                # Newer than committedLog, send trunc and done
                LOG.info("Sending TRUNC to follower zxidToSend=0x%x for peer sid:%d", max_committed_log & _U64,
                         self.get_sid())
                self.queue_op_packet(TRUNC, max_committed_log)
                current_zxid = max_committed_log
                self.need_op_packet = False
                need_snap = False
            elif max_committed_log >= peer_last_zxid >= min_committed_log:
                # Follower is within commitLog range
                LOG.info("Using committedLog for peer sid: %d", self.get_sid())
                current_zxid = self.queue_committed_proposals(iter(committed_log), peer_last_zxid, None,
                                                              max_committed_log)
                need_snap = False
            elif txn_log_sync_enabled and self._diff_from_epoch_start(peer_last_zxid, db, leader, committed_log,
                                                                      min_committed_log, last_processed_zxid):
                # Not in Java (which sends a SNAP): the peer is where our tree was when this epoch began,
                # and the committed log holds every txn since, fewer bytes than the txn log may send
                # instead of a snapshot. Without a txn log (a data dir restored from a lone
                # snapshot) the peer's zxid is found nowhere else.
                LOG.info("Sending DIFF zxid=0x%x for peer sid: %d, at the zxid this epoch began from",
                         max_committed_log & _U64, self.get_sid())
                self.queue_op_packet(DIFF, max_committed_log)
                self.need_op_packet = False
                for propose in committed_log:
                    self.queue_packet(propose.packet)
                    self.queue_op_packet(COMMIT, propose.packet.zxid)
                    current_zxid = propose.packet.zxid
                need_snap = False
            elif peer_last_zxid < min_committed_log and txn_log_sync_enabled:
                # Use txnlog and committedLog to sync
                # Calculate sizeLimit that we allow to retrieve txnlog from disk
                size_limit = db.calculate_txn_log_size_limit()
                # This method can return empty iterator if the requested zxid is older than on-disk txnlog
                txn_log_itr = db.get_proposals_from_txn_log(peer_last_zxid, size_limit)
                try:
                    if txn_log_itr.has_next():
                        LOG.info("Use txnlog and committedLog for peer sid: %d", self.get_sid())
                        # Java walks every txn the peer has as a proposal; only the last one's zxid counts
                        prev_proposal_zxid = txn_log_itr.skip_to(peer_last_zxid)
                        current_zxid = self.queue_committed_proposals(txn_log_itr, peer_last_zxid, min_committed_log,
                                                                      max_committed_log, prev_proposal_zxid)
                        if current_zxid < min_committed_log:
                            # 3.6+ (ZOOKEEPER-2418): the txn log ends before the committed log begins (a
                            # slow disk on the leader); a DIFF would skip the txns in between. Take back
                            # what was queued (the sender thread has not started) and send a snapshot.
                            LOG.info("Detected gap between end of txnlog: 0x%x and start of committedLog: 0x%x",
                                     current_zxid & _U64, min_committed_log & _U64)
                            current_zxid = peer_last_zxid
                            while self.queued_packets.poll() is not None:
                                pass
                            self.need_op_packet = True
                        else:
                            LOG.debug("Queueing committedLog 0x%x", current_zxid & _U64)
                            current_zxid = self.queue_committed_proposals(iter(committed_log), current_zxid, None,
                                                                          max_committed_log)
                            need_snap = False
                finally:
                    txn_log_itr.close()
            else:
                LOG.warning("Unhandled scenario for peer sid: %d", self.get_sid())
            LOG.debug("Start forwarding 0x%x for peer sid: %d", current_zxid & _U64, self.get_sid())
            self.leader_last_zxid = leader.start_forwarding(self, current_zxid)
        if self.need_op_packet and not need_snap:
            # This should never happen, but we should fall back to sending snapshot just in case.
            LOG.error("Unhandled scenario for peer sid: %d fall back to use snapshot", self.get_sid())
            need_snap = True
        return need_snap

    @staticmethod
    def _diff_from_epoch_start(peer_last_zxid, db, leader, committed_log, min_committed_log, last_processed_zxid):
        """True if the peer's last zxid is the one the leader's tree had when this epoch began (its
        state summary's, taken before the epoch), the committed log still holds every txn of the
        epoch (none yet: the tree is at the epoch's own zxid; or all from the epoch's first), and
        they are fewer bytes than a txn-log sync may send instead of a snapshot. Equal zxids are
        the same txn (one leader proposes a zxid once), so the peer's history is the leader's up
        to there, as where Java finds the peer's zxid in its logs. An empty peer (zxid 0) gets
        its SNAP, as from Java, even from an ensemble that began empty. Before the leader serves,
        its tree is still at that zxid and Java's empty DIFF answers such a peer first."""
        summary = leader.leader_state_summary
        if summary is None or not peer_last_zxid or peer_last_zxid != summary.get_last_zxid():
            return False
        epoch_zxid = last_processed_zxid & ~0xFFFFFFFF
        if not committed_log:
            return last_processed_zxid == epoch_zxid
        if min_committed_log != epoch_zxid + 1:
            return False
        return sum(len(p.packet.data or b"") for p in committed_log) <= db.calculate_txn_log_size_limit()

    def queue_committed_proposals(self, itr, peer_last_zxid, max_zxid, last_committed_zxid, prev_proposal_zxid=-1):
        """Queue PROPOSAL/COMMIT pairs after peer_last_zxid (preceded by DIFF, or TRUNC when the peer diverged);
        returns the last zxid queued. prev_proposal_zxid: the last zxid before itr's first."""
        is_peer_new_epoch_zxid = (peer_last_zxid & 0xFFFFFFFF) == 0
        queued_zxid = peer_last_zxid
        # as we look through proposals, this variable keeps track of previous proposal Id.
        for propose in itr:
            packet_zxid = propose.packet.zxid
            # abort if we hit the limit
            if max_zxid is not None and packet_zxid > max_zxid:
                break
            # skip the proposals the peer already has
            if packet_zxid < peer_last_zxid:
                prev_proposal_zxid = packet_zxid
                continue
            # If we are sending the first packet, figure out whether to trunc or diff
            if self.need_op_packet:
                # Send diff when we see the follower's zxid in our history
                if packet_zxid == peer_last_zxid:
                    LOG.info("Sending DIFF zxid=0x%x for peer sid: %d", last_committed_zxid & _U64, self.get_sid())
                    self.queue_op_packet(DIFF, last_committed_zxid)
                    self.need_op_packet = False
                    continue
                if is_peer_new_epoch_zxid:
                    # Send diff and fall through if zxid is of a new-epoch
                    LOG.info("Sending DIFF zxid=0x%x for peer sid: %d", last_committed_zxid & _U64, self.get_sid())
                    self.queue_op_packet(DIFF, last_committed_zxid)
                    self.need_op_packet = False
                elif packet_zxid > peer_last_zxid:
                    # Peer have some proposals that the leader hasn't seen yet it may used to be a leader
                    if (packet_zxid >> 32) != (peer_last_zxid >> 32):
                        # We cannot send TRUNC that cross epoch boundary. The learner will crash if it is asked to
                        # do so. We will send snapshot this those cases.
                        LOG.warning("Cannot send TRUNC to peer sid: %d peer zxid is from different epoch",
                                    self.get_sid())
                        return queued_zxid
                    LOG.info("Sending TRUNC zxid=0x%x for peer sid: %d", prev_proposal_zxid & _U64, self.get_sid())
                    self.queue_op_packet(TRUNC, prev_proposal_zxid)
                    self.need_op_packet = False
            if packet_zxid <= queued_zxid:
                # We can get here, if we have already queued the DIFF
                continue
            # Since this is already committed proposal, we need to follow it by a commit packet
            self.queue_packet(propose.packet)
            self.queue_op_packet(COMMIT, packet_zxid)
            queued_zxid = packet_zxid
        if self.need_op_packet and is_peer_new_epoch_zxid:
            # We will send DIFF for this kind of zxid in any case. This if-block is the catch when our history older
            # than learner and there is no new txn since then. So we need an empty diff
            LOG.info("Sending DIFF zxid=0x%x for peer sid: %d", last_committed_zxid & _U64, self.get_sid())
            self.queue_op_packet(DIFF, last_committed_zxid)
            self.need_op_packet = False
        return queued_zxid

    def shutdown(self):
        # Send the packet of death
        self.queued_packets.put(self.proposal_of_death)
        self._close_sock()
        self.leader.remove_learner_handler(self)

    def _close_sock(self):
        if not self.sock_closed:
            self.sock_closed = True
            close_socket(self.sock)
            # The socket's descriptor closes with the last of its file objects: the writer too
            # (its flush fails at once on the shut-down socket, and close() then closes it anyway).
            for stream in (self.buffered_input, self.buffered_output):
                try:
                    if stream is not None:
                        stream.close()
                except (OSError, ValueError):
                    pass

    def ping(self):
        """Ping the learner (called by the leader every tickTime/2), or give up on it if it lags syncLimit."""
        # If learner hasn't sync properly yet, don't send ping packet otherwise, the learner will crash
        if not self.sending_thread_started:
            return
        if self.sync_limit_check.check(time.monotonic_ns()):
            with self.leader._lock:
                id_ = self.leader.last_proposed
            self.queue_packet(QuorumPacket(PING, id_, None, None))
        else:
            LOG.warning("Closing connection to peer due to transaction timeout.")
            self.shutdown()

    def queue_op_packet(self, type_, zxid):
        self.queue_packet(QuorumPacket(type_, zxid, None, None))

    def queue_packet(self, p):
        self.queued_packets.put(p)

    def synced(self):
        return self.is_alive() and self.leader.self.tick <= self.tick_of_next_ack_deadline

    def get_queued_packets(self):
        return self.queued_packets

    def set_first_packet(self, value):
        self.need_op_packet = value


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that yields `prefix`, then what `raw` reads (Java: the reset BufferedInputStream).

    `raw` is the socket's unbuffered reader, or a buffered one (TlsSocket.makefile always buffers)."""

    def __init__(self, prefix, raw):
        super().__init__()
        self.prefix = bytearray(prefix)
        self.raw = raw

    def readable(self):
        return True

    def readinto(self, b):
        if self.prefix:
            n = min(len(b), len(self.prefix))
            b[:n] = self.prefix[:n]
            del self.prefix[:n]
            return n
        # one read of what is there (a buffered stream's readinto would wait until b is full)
        readinto1 = getattr(self.raw, "readinto1", None)
        return readinto1(b) if readinto1 is not None else self.raw.readinto(b)

    def close(self):
        self.raw.close()
        super().close()


class _Sender(threading.Thread):
    """The anonymous sender Thread of LearnerHandler.startSendingPackets, named Sender-<addr>."""

    def __init__(self, handler):
        super().__init__(name="Sender-" + handler.remote_address, daemon=True)
        self.handler = handler

    def run(self):
        try:
            self.handler.send_packets()
        except Exception as e:
            LOG.warning("Unexpected interruption %s", e)


# Java's packetToString names every type but these two.
_TYPE_NAMES = {t: name for t, name in NAMES.items() if t not in (OBSERVERINFO, LEADERINFO)}
