"""Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection (electionAlg=3)."""

import logging
import queue
import struct
import threading

from zookeeper_py.common.time import Time
from zookeeper_py.server.quorum.election import Election
from zookeeper_py.server.quorum.quorum_server import ConfigException, LearnerType, ServerState
from zookeeper_py.server.quorum.synced_learner_tracker import SyncedLearnerTracker
from zookeeper_py.server.quorum.vote import Vote
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperThread

LOG = logging.getLogger("FastLeaderElection")

_U64 = 0xFFFFFFFFFFFFFFFF
LONG_MIN = -(1 << 63)

# state, leader, zxid, electionEpoch, peerEpoch, version, configLength (44 bytes), then the config
_MSG_HEAD = struct.Struct(">iqqqqii")
_MSG_V1 = struct.Struct(">iqqqqi")  # the 40-byte form of buildMsg without a config
_HEAD28 = struct.Struct(">iqqq")
_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")

_STATES = {0: ServerState.LOOKING, 1: ServerState.FOLLOWING, 2: ServerState.LEADING, 3: ServerState.OBSERVING}

# Put on recvqueue by shutdown() so that a waiting lookForLeader notices at once
# (Java interrupts the QuorumPeer thread instead).
_WAKEUP = object()


def offer(q, item):
    """Put item on a bounded queue without blocking, dropping the oldest item when it is full."""
    while True:
        try:
            q.put_nowait(item)
            return
        except queue.Full:
            try:
                q.get_nowait()
            except queue.Empty:
                pass


class Notification:
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.Notification: a vote received."""

    CURRENTVERSION = 0x2

    __slots__ = ("version", "leader", "zxid", "election_epoch", "state", "sid", "qv", "peer_epoch")

    def __init__(self):
        self.version = 0
        self.leader = 0
        self.zxid = 0
        self.election_epoch = 0
        self.state = ServerState.LOOKING
        self.sid = 0
        self.qv = None
        self.peer_epoch = 0


class ToSend:
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.ToSend: a vote to send."""

    __slots__ = ("leader", "zxid", "election_epoch", "state", "sid", "peer_epoch", "config_data")

    def __init__(self, leader, zxid, election_epoch, state, sid, peer_epoch, config_data=b""):
        self.leader = leader
        self.zxid = zxid
        self.election_epoch = election_epoch
        self.state = state
        self.sid = sid
        self.peer_epoch = peer_epoch
        self.config_data = config_data


def build_msg(state, leader, zxid, election_epoch, epoch, config_data=None):
    """The notification frame: 40 bytes (version 1) without config data, else 44 + n (version 2)."""
    if config_data is None:
        return _MSG_V1.pack(state, leader, zxid, election_epoch, epoch, 0x1)
    return _MSG_HEAD.pack(state, leader, zxid, election_epoch, epoch, Notification.CURRENTVERSION,
                          len(config_data)) + config_data


class WorkerReceiver(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.Messenger.WorkerReceiver.

    Turns frames into Notifications.

    Java runs it inside a daemon Thread named WorkerReceiver[myid=N]; here the thread
    object carries that name itself.
    """

    def __init__(self, fle, manager):
        super().__init__("WorkerReceiver[myid=%d]" % fle.self.get_id())
        self.fle = fle
        self.manager = manager
        self.stop = False

    def run_thread(self):
        while not self.stop:
            response = self.manager.poll_recv_queue(3000)
            if response is None:
                continue
            try:
                if self.receive(response):
                    break
            except struct.error as e:
                # Java's thread dies of a BufferUnderflowException here; a malformed message costs only itself.
                LOG.error("Dropping a malformed notification of %d bytes from server %d: %s", len(response.buffer),
                          response.sid, e)
            except Exception:
                LOG.error("Unexpected exception handling a notification from server %d", response.sid, exc_info=True)
        LOG.info("WorkerReceiver is down")

    def receive(self, response):
        """One message from the receive queue: answer it, or hand it to lookForLeader.

        True when leader election restarts with a new config and this thread must end."""
        fle = self.fle
        peer = fle.self
        buf = response.buffer
        capacity = len(buf)
        # A notification is at least 28 bytes; older versions send 28 or 40.
        if capacity < 28:
            LOG.error("Got a short response: %d", capacity)
            return False
        back_compatibility28 = capacity == 28
        back_compatibility40 = capacity == 40
        rstate, rleader, rzxid, relection_epoch = _HEAD28.unpack_from(buf, 0)
        version = 0x0
        if not back_compatibility28:
            rpeerepoch, = _LONG.unpack_from(buf, 28)
            if not back_compatibility40:
                # Version added in 3.4.6
                version, = _INT.unpack_from(buf, 36)
            else:
                LOG.info("Backward compatibility mode (36 bits), server id: %d", response.sid)
        else:
            LOG.info("Backward compatibility mode (28 bits), server id: %d", response.sid)
            rpeerepoch = rzxid >> 32
        rqv = None
        # Messages of version 2 and up carry the sender's config.
        if version > 0x1:
            try:
                config_length, = _INT.unpack_from(buf, 40)
                b = buf[44:44 + config_length]
                with peer.monitor:
                    rqv = peer.config_from_string(b.decode("utf-8", "replace"))
                    cur_qv = peer.get_quorum_verifier()
                    if rqv.get_version() > cur_qv.get_version():
                        LOG.info("%d Received version: %x my version: %x", peer.get_id(),
                                 rqv.get_version() & _U64, peer.get_quorum_verifier().get_version() & _U64)
                        if peer.get_peer_state() is ServerState.LOOKING:
                            LOG.debug("Invoking processReconfig(), state: %s", peer.get_server_state())
                            peer.process_reconfig(rqv, None, None, False)
                            if rqv != cur_qv:
                                LOG.info("restarting leader election")
                                peer.shutting_down_le = True
                                peer.get_election_alg().shutdown()
                                return True  # this WorkerReceiver ends (Java: break)
                        else:
                            LOG.debug("Skip processReconfig(), state: %s", peer.get_server_state())
            except (IOError, ConfigException, ValueError, struct.error) as e:
                LOG.error("Something went wrong while processing config received from %d: %s", response.sid, e)
        else:
            LOG.info("Backward compatibility mode (before reconfig), server id: %d", response.sid)

        if not fle.valid_voter(response.sid):
            # Not a voter: just tell it what I think.
            current = peer.get_current_vote()
            qv = peer.get_quorum_verifier()
            offer(fle.sendqueue, ToSend(current.get_id(), current.get_zxid(), fle.logicalclock,
                                        peer.get_peer_state(), response.sid, current.get_peer_epoch(),
                                        str(qv).encode("utf-8")))
            return False
        LOG.debug("Receive new notification message. My id = %d", peer.get_id())
        ackstate = _STATES.get(rstate)
        if ackstate is None:
            return False
        n = Notification()
        n.leader = rleader
        n.zxid = rzxid
        n.election_epoch = relection_epoch
        n.state = ackstate
        n.sid = response.sid
        n.peer_epoch = rpeerepoch
        n.version = version
        n.qv = rqv
        fle.print_notification(n)
        if peer.get_peer_state() is ServerState.LOOKING:
            offer(fle.recvqueue, n)
            # A LOOKING peer behind me in the election: send it my proposal.
            if ackstate is ServerState.LOOKING and n.election_epoch < fle.logicalclock:
                v = fle.get_vote()
                qv = peer.get_quorum_verifier()
                offer(fle.sendqueue, ToSend(v.get_id(), v.get_zxid(), fle.logicalclock, peer.get_peer_state(),
                                            response.sid, v.get_peer_epoch(), str(qv).encode("utf-8")))
        else:
            # Not looking myself: tell a LOOKING peer who the leader is.
            current = peer.get_current_vote()
            if ackstate is ServerState.LOOKING:
                LOG.debug("Sending new notification. My id =%d recipient=%d zxid=0x%x leader=%d config version "
                          "= %x", peer.get_id(), response.sid, current.get_zxid() & _U64, current.get_id(),
                          peer.get_quorum_verifier().get_version() & _U64)
                qv = peer.get_quorum_verifier()
                offer(fle.sendqueue, ToSend(current.get_id(), current.get_zxid(), current.get_election_epoch(),
                                            peer.get_peer_state(), response.sid, current.get_peer_epoch(),
                                            str(qv).encode("utf-8")))
        return False



class WorkerSender(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.Messenger.WorkerSender.

    ToSend -> frame -> QuorumCnxManager.toSend.
    """

    def __init__(self, fle, manager):
        super().__init__("WorkerSender[myid=%d]" % fle.self.get_id())
        self.fle = fle
        self.manager = manager
        self.stop = False

    def run_thread(self):
        sendqueue = self.fle.sendqueue
        while not self.stop:
            try:
                m = sendqueue.get(timeout=3.0)
            except queue.Empty:
                continue
            self.process(m)
        LOG.info("WorkerSender is down")

    def process(self, m):
        self.manager.to_send(m.sid, build_msg(m.state.value, m.leader, m.zxid, m.election_epoch, m.peer_epoch,
                                              m.config_data))


class Messenger:
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.Messenger: the two workers."""

    def __init__(self, fle, manager):
        self.ws = WorkerSender(fle, manager)
        self.wr = WorkerReceiver(fle, manager)

    def start(self):
        self.ws.start()
        self.wr.start()

    def halt(self):
        self.ws.stop = True
        self.wr.stop = True


class FastLeaderElection(Election):
    """Mirror of org.apache.zookeeper.server.quorum.FastLeaderElection.

    Each round (logicalclock) every peer proposes the best leader it knows of and
    adopts a better one when it hears of it (totalOrderPredicate: higher peerEpoch,
    then zxid, then sid). A proposal backed by a quorum wins once no better vote
    arrives within finalizeWait. Peers already FOLLOWING or LEADING answer with the
    leader they have.
    """

    finalizeWait = 200
    maxNotificationInterval = 60000
    QUEUE_CAPACITY = 1000  # zookeeper_py's bound of sendqueue and recvqueue

    def __init__(self, peer, manager):
        self.stop = False
        self.manager = manager
        self.self = peer
        self.proposed_leader = -1
        self.proposed_zxid = -1
        self.proposed_epoch = -1
        self.logicalclock = 0
        self._lock = threading.RLock()  # Java: synchronized methods of FastLeaderElection
        # Java: unbounded LinkedBlockingQueues. Bounded here at QUEUE_CAPACITY, the oldest dropped
        # when full (as QuorumCnxManager's queues do): a notification lost is sent again on the
        # next round, and a flood from a broken peer cannot grow them.
        self.sendqueue = queue.Queue(self.QUEUE_CAPACITY)
        self.recvqueue = queue.Queue(self.QUEUE_CAPACITY)
        self.messenger = Messenger(self, manager)

    def get_logical_clock(self):
        return self.logicalclock

    def start(self):
        self.messenger.start()

    def leave_instance(self, v):
        LOG.debug("About to leave FLE instance: leader=%d, zxid=0x%x, my id=%d, my state=%s", v.get_id(),
                  v.get_zxid() & _U64, self.self.get_id(), self.self.get_peer_state())
        try:
            while True:
                self.recvqueue.get_nowait()
        except queue.Empty:
            pass

    def get_cnx_manager(self):
        return self.manager

    def shutdown(self):
        self.stop = True
        self.proposed_leader = -1
        self.proposed_zxid = -1
        LOG.debug("Shutting down connection manager")
        self.manager.halt()
        LOG.debug("Shutting down messenger")
        self.messenger.halt()
        offer(self.recvqueue, _WAKEUP)
        LOG.debug("FLE is down")

    def send_notifications(self):
        """My current proposal to every voter of the current and the next config."""
        qv_data = str(self.self.get_quorum_verifier()).encode("utf-8")
        for sid in self.self.get_current_and_next_config_voters():
            self.send_notification_to(sid, qv_data)

    def send_notification_to(self, sid, qv_data=None):
        if qv_data is None:
            qv_data = str(self.self.get_quorum_verifier()).encode("utf-8")
        notmsg = ToSend(self.proposed_leader, self.proposed_zxid, self.logicalclock, ServerState.LOOKING, sid,
                        self.proposed_epoch, qv_data)
        LOG.debug("Sending Notification: %d (n.leader), 0x%x (n.zxid), 0x%x (n.round), %d (recipient), %d "
                  "(myid), 0x%x (n.peerEpoch)", self.proposed_leader, self.proposed_zxid & _U64,
                  self.logicalclock, sid, self.self.get_id(), self.proposed_epoch & _U64)
        offer(self.sendqueue, notmsg)

    def print_notification(self, n):
        if not LOG.isEnabledFor(logging.INFO):
            return
        LOG.info("Notification: %x (message format version), %d (n.leader), 0x%x (n.zxid), 0x%x (n.round), %s "
                 "(n.state), %d (n.sid), 0x%x (n.peerEPoch), %s (my state)%s", n.version, n.leader, n.zxid & _U64,
                 n.election_epoch & _U64, n.state.name, n.sid, n.peer_epoch & _U64, self.self.get_peer_state().name,
                 ("%x (n.config version)" % (n.qv.get_version() & _U64)) if n.qv is not None else "")

    def total_order_predicate(self, new_id, new_zxid, new_epoch, cur_id, cur_zxid, cur_epoch):
        """Is the new vote better: higher epoch, then higher zxid, then higher sid (never a weight-0 sid)."""
        LOG.debug("id: %d, proposed id: %d, zxid: 0x%x, proposed zxid: 0x%x", new_id, cur_id, new_zxid & _U64,
                  cur_zxid & _U64)
        if self.self.get_quorum_verifier().get_weight(new_id) == 0:
            return False
        return (new_epoch > cur_epoch
                or (new_epoch == cur_epoch and (new_zxid > cur_zxid or (new_zxid == cur_zxid and new_id > cur_id))))

    def term_predicate(self, votes, vote):
        """Do the votes equal to `vote` form a quorum (in the current and, if newer, the last seen config)?"""
        vote_set = SyncedLearnerTracker()
        peer = self.self
        vote_set.add_quorum_verifier(peer.get_quorum_verifier())
        last_seen = peer.get_last_seen_quorum_verifier()
        if last_seen is not None and last_seen.get_version() > peer.get_quorum_verifier().get_version():
            vote_set.add_quorum_verifier(last_seen)
        for sid, v in votes.items():
            if vote == v:
                vote_set.add_ack(sid)
        return vote_set.has_all_quorums()

    def check_leader(self, votes, leader, election_epoch):
        """The leader of the votes must itself say LEADING (or be me, in this round)."""
        predicate = True
        if leader != self.self.get_id():
            v = votes.get(leader)
            if v is None or v.get_state() is not ServerState.LEADING:
                predicate = False
        elif self.logicalclock != election_epoch:
            predicate = False
        return predicate

    def update_proposal(self, leader, zxid, epoch):
        with self._lock:
            LOG.debug("Updating proposal: %d (newleader), 0x%x (newzxid), %d (oldleader), 0x%x (oldzxid)", leader,
                      zxid & _U64, self.proposed_leader, self.proposed_zxid & _U64)
            self.proposed_leader = leader
            self.proposed_zxid = zxid
            self.proposed_epoch = epoch

    def get_vote(self):
        with self._lock:
            return Vote(self.proposed_leader, self.proposed_zxid, peer_epoch=self.proposed_epoch)

    def learning_state(self):
        if self.self.get_learner_type() is LearnerType.PARTICIPANT:
            LOG.debug("I'm a participant: %d", self.self.get_id())
            return ServerState.FOLLOWING
        LOG.debug("I'm an observer: %d", self.self.get_id())
        return ServerState.OBSERVING

    def get_init_id(self):
        if self.self.get_id() in self.self.get_quorum_verifier().get_voting_members():
            return self.self.get_id()
        return LONG_MIN

    def get_init_last_logged_zxid(self):
        if self.self.get_learner_type() is LearnerType.PARTICIPANT:
            return self.self.get_last_logged_zxid()
        return LONG_MIN

    def get_peer_epoch(self):
        if self.self.get_learner_type() is LearnerType.PARTICIPANT:
            return self.self.get_current_epoch()
        return LONG_MIN

    def look_for_leader(self):
        """Run one election; returns the winning Vote (None if shut down)."""
        peer = self.self
        if peer.start_fle == 0:
            peer.start_fle = Time.current_elapsed_time()
        recvset = {}
        answered = {}  # sid -> (its vote, my vote) I last told it mine at once for (see below)
        outofelection = {}
        not_timeout = self.finalizeWait
        with self._lock:
            self.logicalclock += 1
            self.update_proposal(self.get_init_id(), self.get_init_last_logged_zxid(), self.get_peer_epoch())
        LOG.info("New election. My id =  %d, proposed zxid=0x%x", peer.get_id(), self.proposed_zxid & _U64)
        self.send_notifications()
        recvqueue = self.recvqueue
        # Loop until a leader is found.
        # peer.is_running(): an election the peer made just as it was shut down is never stopped.
        while peer.get_peer_state() is ServerState.LOOKING and not self.stop and peer.is_running():
            try:
                n = recvqueue.get(timeout=not_timeout / 1000.0)
            except queue.Empty:
                n = None
            if n is _WAKEUP:
                continue
            if n is None:
                # Nothing heard: resend, or reconnect if nothing got out.
                if self.manager.have_delivered():
                    self.send_notifications()
                else:
                    self.manager.connect_all()
                # Exponential backoff
                not_timeout = min(not_timeout * 2, self.maxNotificationInterval)
                LOG.info("Notification time out: %d", not_timeout)
            elif self.valid_voter(n.sid) and self.valid_voter(n.leader):
                if n.state is ServerState.LOOKING:
                    if n.election_epoch > self.logicalclock:
                        # A newer round: join it, starting over from my own vote.
                        self.logicalclock = n.election_epoch
                        recvset.clear()
                        if self.total_order_predicate(n.leader, n.zxid, n.peer_epoch, self.get_init_id(),
                                                      self.get_init_last_logged_zxid(), self.get_peer_epoch()):
                            self.update_proposal(n.leader, n.zxid, n.peer_epoch)
                        else:
                            self.update_proposal(self.get_init_id(), self.get_init_last_logged_zxid(),
                                                 self.get_peer_epoch())
                        self.send_notifications()
                    elif n.election_epoch < self.logicalclock:
                        LOG.debug("Notification election epoch is smaller than logicalclock. n.electionEpoch = 0x%x, "
                                  "logicalclock=0x%x", n.election_epoch, self.logicalclock)
                        continue
                    elif self.total_order_predicate(n.leader, n.zxid, n.peer_epoch, self.proposed_leader,
                                                    self.proposed_zxid, self.proposed_epoch):
                        self.update_proposal(n.leader, n.zxid, n.peer_epoch)
                        self.send_notifications()
                    elif n.sid != self.self.get_id() and self.total_order_predicate(
                            self.proposed_leader, self.proposed_zxid, self.proposed_epoch,
                            n.leader, n.zxid, n.peer_epoch):
                        # zookeeper_py: a peer of my round proposes a worse leader than I do, so it has
                        # not heard my vote; tell it now. Java leaves that to my notification timeout
                        # (0.2 s and longer): it happens whenever that peer was still FOLLOWING when my
                        # first notification came (then it answers with its old vote and never queues
                        # mine), which costs a re-election after the leader's death 0.2 s.
                        # Only a vote the predicate ranks below mine is answered: a weight-0 member and
                        # the rest each rank the other's vote lower, and answering those bounced votes
                        # between them thousands of times a second. And a vote is answered once: a
                        # peer that sends it again heard mine and kept its own (a config it sees
                        # differently); my timer still resends.
                        pair = ((n.leader, n.zxid, n.peer_epoch, n.election_epoch),
                                (self.proposed_leader, self.proposed_zxid, self.proposed_epoch))
                        if answered.get(n.sid) != pair:
                            answered[n.sid] = pair
                            self.send_notification_to(n.sid)
                    LOG.debug("Adding vote: from=%d, proposed leader=%d, proposed zxid=0x%x, proposed election "
                              "epoch=0x%x", n.sid, n.leader, n.zxid & _U64, n.election_epoch)
                    recvset[n.sid] = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch)
                    if self.term_predicate(recvset, Vote(self.proposed_leader, self.proposed_zxid, self.logicalclock,
                                                         self.proposed_epoch)):
                        # A quorum agrees: wait finalizeWait for a better vote.
                        while True:
                            try:
                                n = recvqueue.get(timeout=self.finalizeWait / 1000.0)
                            except queue.Empty:
                                n = None
                                break
                            if n is _WAKEUP:
                                continue
                            if self.total_order_predicate(n.leader, n.zxid, n.peer_epoch, self.proposed_leader,
                                                          self.proposed_zxid, self.proposed_epoch):
                                offer(recvqueue, n)
                                break
                        if n is None:
                            peer.set_peer_state(ServerState.LEADING if self.proposed_leader == peer.get_id()
                                                else self.learning_state())
                            end_vote = Vote(self.proposed_leader, self.proposed_zxid, self.logicalclock,
                                            self.proposed_epoch)
                            self.leave_instance(end_vote)
                            return end_vote
                elif n.state is ServerState.OBSERVING:
                    LOG.debug("Notification from observer: %d", n.sid)
                elif n.state in (ServerState.FOLLOWING, ServerState.LEADING):
                    # Consider all notifications from the same epoch together.
                    if n.election_epoch == self.logicalclock:
                        recvset[n.sid] = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch)
                        if self.term_predicate(recvset, Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch,
                                                             n.state, n.version)) \
                                and self.check_leader(outofelection, n.leader, n.election_epoch):
                            peer.set_peer_state(ServerState.LEADING if n.leader == peer.get_id()
                                                else self.learning_state())
                            end_vote = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch)
                            self.leave_instance(end_vote)
                            return end_vote
                    # Before joining an established ensemble, check that a quorum follows this leader.
                    outofelection[n.sid] = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch, n.state, n.version)
                    if self.term_predicate(outofelection, Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch,
                                                               n.state, n.version)) \
                            and self.check_leader(outofelection, n.leader, n.election_epoch):
                        with self._lock:
                            self.logicalclock = n.election_epoch
                            peer.set_peer_state(ServerState.LEADING if n.leader == peer.get_id()
                                                else self.learning_state())
                        end_vote = Vote(n.leader, n.zxid, n.election_epoch, n.peer_epoch)
                        self.leave_instance(end_vote)
                        return end_vote
                else:
                    LOG.warning("Notification state unrecoginized: %s (n.state), %d (n.sid)", n.state, n.sid)
            else:
                if not self.valid_voter(n.leader):
                    LOG.warning("Ignoring notification for non-cluster member sid %d from sid %d", n.leader, n.sid)
                if not self.valid_voter(n.sid):
                    LOG.warning("Ignoring notification for sid %d from non-quorum member sid %d", n.leader, n.sid)
        return None

    def valid_voter(self, sid):
        return sid in self.self.get_current_and_next_config_voters()
