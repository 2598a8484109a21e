"""Mirror of org.apache.zookeeper.server.quorum.CommitProcessor."""

import collections
import logging
import os
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.server.nio_server_cnxn import ReplyBatch
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.worker_service import WorkerService, WorkRequest
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("CommitProcessor")

ZOOKEEPER_COMMIT_PROC_NUM_WORKER_THREADS = "zookeeper.commitProcessor.numWorkerThreads"
ZOOKEEPER_COMMIT_PROC_SHUTDOWN_TIMEOUT = "zookeeper.commitProcessor.shutdownTimeout"

_NEED_COMMIT = frozenset((
    OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
    OpCode.deleteContainer, OpCode.setData, OpCode.reconfig, OpCode.multi, OpCode.setACL,
))


class CommitProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.CommitProcessor.

    Holds a local write (nextPending) until the quorum commits it, and lets reads
    pass unless a write is waiting (so a session reads its own writes). Reads go on to
    the next processor on worker sessionId mod N (CommitProcWorkThread-k), which keeps
    each session in order. Committed requests are applied one at a time, in zxid order,
    once no read is in the pool.

    Unlike 3.5.7, which hands each commit to a worker too and waits for it, a commit is
    applied on this thread, as 3.6's CommitProcessor does (processWrite). The hand-off
    and the wake-up back cost two thread switches per write, and the commits queue behind
    them one by one: on PyPy that capped a 3-node ensemble at ~2k writes/s.
    """

    def __init__(self, next_processor, id_, match_syncs, listener):
        super().__init__("CommitProcessor:" + id_, listener)
        self.next_processor = next_processor
        self.match_syncs = match_syncs
        # Java: unbounded LinkedBlockingQueues (deque append/popleft are thread-safe). Bound: the
        # request bound of util/queue_census (globalOutstandingLimit + connections, per member).
        self.queued_requests = collections.deque()
        self.committed_requests = collections.deque()
        self.next_pending = None  # the local write waiting for its commit
        self.currently_committing = None
        self.num_requests_processing = 0
        self._count_lock = threading.Lock()
        self._cv = threading.Condition(threading.Lock())
        self.stopped = True
        self.worker_shutdown_timeout_ms = 5000
        self.worker_pool = None

    def is_processing_request(self):
        return self.num_requests_processing != 0

    def is_waiting_for_commit(self):
        return self.next_pending is not None

    def is_processing_commit(self):
        return self.currently_committing is not None

    def need_commit(self, request):
        t = request.type
        if t in _NEED_COMMIT:
            return True
        if t == OpCode.sync:
            return self.match_syncs
        if t in (OpCode.createSession, OpCode.closeSession):
            return not request.isLocalSession
        return False

    def _nothing_to_do(self):
        return ((not self.queued_requests or self.next_pending is not None or self.currently_committing is not None)
                and (not self.committed_requests or self.num_requests_processing != 0))

    def run_thread(self):
        ReplyBatch.begin()
        try:
            self._run()
        finally:
            ReplyBatch.flush()

    def _run(self):
        queued = self.queued_requests
        cv = self._cv
        while not self.stopped:
            if self._nothing_to_do():
                ReplyBatch.flush()  # the replies of the commits applied so far go out before this thread waits
                with cv:
                    while not self.stopped and self._nothing_to_do():
                        cv.wait()
            # Pass on reads until a write is found that must wait for its commit.
            while not self.stopped and self.next_pending is None and self.currently_committing is None:
                try:
                    request = queued.popleft()
                except IndexError:
                    break
                if self.need_commit(request):
                    self.next_pending = request
                else:
                    self.send_to_next_processor(request)
            self.process_committed()
        LOG.info("CommitProcessor exited loop!")

    def process_committed(self):
        """Hand on the next committed request, matched to the local one that waits for it, if any."""
        committed = self.committed_requests
        if self.stopped or self.num_requests_processing != 0 or not committed:
            return
        # Queued reads go first unless a local write is waiting for exactly this commit.
        if self.next_pending is None and self.queued_requests:
            return
        request = committed.popleft()
        pending = self.next_pending
        if pending is not None and pending.sessionId == request.sessionId and pending.cxid == request.cxid:
            # The local request carries the connection; give it the txn.
            pending.hdr = request.hdr
            pending.txn = request.txn
            pending.zxid = request.zxid
            self.next_pending = None
            request = pending
        # else not ours (or a local request not yet queued): apply it as it came.
        self.process_write(request)

    def process_write(self, request):
        """Apply a committed request on this thread (3.6's processWrite)."""
        self.currently_committing = request
        try:
            self.next_processor.process_request(request)
        finally:
            self.currently_committing = None

    def start(self):
        num_cores = os.cpu_count() or 1
        num_worker_threads = system_properties.get_integer(ZOOKEEPER_COMMIT_PROC_NUM_WORKER_THREADS, num_cores)
        self.worker_shutdown_timeout_ms = system_properties.get_integer(ZOOKEEPER_COMMIT_PROC_SHUTDOWN_TIMEOUT, 5000)
        LOG.info("Configuring CommitProcessor with %s worker threads.",
                 num_worker_threads if num_worker_threads > 0 else "no")
        if self.worker_pool is None:
            self.worker_pool = WorkerService("CommitProcWork", num_worker_threads, True)
        self.stopped = False
        super().start()

    def send_to_next_processor(self, request):
        with self._count_lock:
            self.num_requests_processing += 1
        self.worker_pool.schedule(CommitWorkRequest(self, request), request.sessionId)

    def wakeup(self):
        with self._cv:
            self._cv.notify_all()

    def commit(self, request):
        if self.stopped or request is None:
            return
        LOG.debug("Committing request:: %s", request)
        self.committed_requests.append(request)
        if self.currently_committing is None:
            self.wakeup()

    def process_request(self, request):
        if self.stopped:
            return
        LOG.debug("Processing request:: %s", request)
        self.queued_requests.append(request)
        if self.next_pending is None:
            self.wakeup()

    def halt(self):
        self.stopped = True
        self.wakeup()
        self.queued_requests.clear()
        if self.worker_pool is not None:
            self.worker_pool.stop()

    def shutdown(self):
        LOG.info("Shutting down")
        self.halt()
        if self.worker_pool is not None:
            self.worker_pool.join(self.worker_shutdown_timeout_ms)
        if self.next_processor is not None:
            self.next_processor.shutdown()


class CommitWorkRequest(WorkRequest):
    """Mirror of org.apache.zookeeper.server.quorum.CommitProcessor.CommitWorkRequest.

    Runs the next processor on a worker thread.
    """

    __slots__ = ("cp", "request")

    def __init__(self, cp, request):
        self.cp = cp
        self.request = request

    def cleanup(self):
        if not self.cp.stopped:
            LOG.error("Exception thrown by downstream processor, unable to continue.")
            self.cp.halt()

    def do_work(self):
        cp = self.cp
        request = self.request
        try:
            cp.next_processor.process_request(request)
        finally:
            # If this request is the commit request that was blocking the processor, clear.
            if cp.currently_committing is request:
                cp.currently_committing = None
            with cp._count_lock:
                cp.num_requests_processing -= 1
                idle = cp.num_requests_processing == 0
            # Decrement outstanding request count. The processor may be blocked at the moment because it is
            # waiting for the pipeline to drain. In that case, wake it up if there are pending requests.
            if idle and (cp.queued_requests or cp.committed_requests):
                cp.wakeup()
