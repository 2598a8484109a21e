"""Mirror of org.apache.zookeeper.server.quorum.FollowerRequestProcessor."""

import logging

from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.server.quorum.send_ack_request_processor import LeaderConnectionClosed
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.txn import ErrorTxn
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("FollowerRequestProcessor")

# Requests a learner forwards to the leader (besides sync and non-local session ops).
FORWARDED = frozenset((
    OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
    OpCode.deleteContainer, OpCode.setData, OpCode.reconfig, OpCode.setACL, OpCode.multi, OpCode.check,
))


def forward_learner_request(zks, learner, request):
    """The forwarding switch shared by FollowerRequestProcessor and ObserverRequestProcessor."""
    t = request.type
    if t == OpCode.sync:
        zks.pending_syncs.append(request)
        learner.request(request)
    elif t in FORWARDED:
        learner.request(request)
    elif t in (OpCode.createSession, OpCode.closeSession):
        # Don't forward local sessions to the leader.
        if not request.local_session:
            learner.request(request)


def queue_with_upgrade(zks, queued_requests, request, log):
    """processRequest of the learner request processors: maybe an upgrade request first."""
    upgrade_request = None
    try:
        upgrade_request = zks.check_upgrade_session(request)
    except KeeperException as ke:
        if request.hdr is not None:
            request.hdr.type = OpCode.error
            request.txn = ErrorTxn(int(ke.code()))
        request.e = ke
        log.info("Error creating upgrade request %s", ke)
    except (IOError, ValueError) as ie:
        log.error("Unexpected error in upgrade", exc_info=ie)
    if upgrade_request is not None:
        queued_requests.put(upgrade_request)
    queued_requests.put(request)


class FollowerRequestProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.FollowerRequestProcessor.

    The follower's first stage: each request goes to the CommitProcessor, and
    writes, syncs and global session ops are also forwarded to the leader.
    """

    JAVA_NAME = "FollowerRequestProcessor"
    log = LOG

    def __init__(self, zks, next_processor):
        super().__init__("%s:%d" % (self.JAVA_NAME, zks.get_server_id()), zks.get_zoo_keeper_server_listener())
        self.zks = zks
        self.next_processor = next_processor
        # Java: unbounded LinkedBlockingQueue. Bound: globalOutstandingLimit + connections (its clients are throttled).
        self.queued_requests = LinkedBlockingQueue()
        self.finished = False

    def get_learner(self):
        return self.zks.get_follower()

    def run_thread(self):
        death = Request.requestOfDeath
        take = self.queued_requests.get
        zks = self.zks
        while not self.finished:
            request = take()
            if request is death:
                break
            # We want to queue the request to be processed before we submit the request to the leader so that
            # we are ready to receive the response
            self.next_processor.process_request(request)
            try:
                forward_learner_request(zks, self.get_learner(), request)
            except LeaderConnectionClosed:
                # The learner is shutting down; the failure that closed the connection was logged.
                # Not a severe error of this thread (ours logged one with a traceback in 3 of 5
                # leader deaths under writes; Java only in the rarer case its socket throws).
                self.log.debug("Not forwarding 0x%x:%d: the connection to the leader is closed",
                               request.session_id & 0xFFFFFFFFFFFFFFFF, request.cxid)
        self.log.info("%s exited loop!", self.JAVA_NAME)

    def process_request(self, request):
        if not self.finished:
            queue_with_upgrade(self.zks, self.queued_requests, request, self.log)

    def shutdown(self):
        self.log.info("Shutting down")
        self.finished = True
        self.queued_requests.put(Request.requestOfDeath)
        self.next_processor.shutdown()
