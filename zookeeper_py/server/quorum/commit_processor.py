"""Mirror of org.apache.zookeeper.server.quorum.CommitProcessor."""

import collections
import logging
import os
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.wakeup_semaphore import WakeupSemaphore
from zookeeper_py.server.reply_batch import ReplyBatch
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.worker_service import WorkerService, WorkRequest
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("CommitProcessor")

ZOOKEEPER_COMMIT_PROC_NUM_WORKER_THREADS = "zookeeper.commitProcessor.numWorkerThreads"
ZOOKEEPER_COMMIT_PROC_SHUTDOWN_TIMEOUT = "zookeeper.commitProcessor.shutdownTimeout"
ZOOKEEPER_COMMIT_PROC_MAX_COMMIT_BATCH_SIZE = "zookeeper.commitProcessor.maxCommitBatchSize"

_NEED_COMMIT = frozenset((
    OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
    OpCode.deleteContainer, OpCode.setData, OpCode.reconfig, OpCode.multi, OpCode.setACL,
))


class CommitProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.CommitProcessor, in its 3.6+ form.

    Requests arrive in queuedRequests; a write waits in its session's queue
    (pendingRequests) until the quorum commits it, and so does any request of that
    session behind it, so a session reads its own writes. Reads of other sessions go on
    at once to the next processor, on worker sessionId mod N (CommitProcWorkThread-k),
    which keeps each session in order. A commit is applied on this thread (processWrite),
    in zxid order, once the reads already in the pool are done; then the reads its session
    held back go on.

    3.5.7 holds every later request of every session behind one waiting local write
    (nextPending) and hands each commit to a worker and waits for it to come back. The
    first made reads queue behind writes they do not depend on; the second cost two thread
    switches per write, with the commits queued behind them one by one: on PyPy that held
    a 3-node ensemble to ~2k writes/s. 3.6 (which Java 3.8 peers run) does it this way.
    """

    def __init__(self, next_processor, id_, match_syncs, listener):
        super().__init__("CommitProcessor:" + id_, listener)
        self.next_processor = next_processor
        self.match_syncs = match_syncs
        # Java: unbounded LinkedBlockingQueues (deque append/popleft are thread-safe). Bound: the
        # request bound of util/queue_census (globalOutstandingLimit + connections, per member).
        self.queued_requests = collections.deque()
        self.queued_write_requests = collections.deque()  # the local writes, in the order they came
        self.committed_requests = collections.deque()
        # sessionId -> deque of that session's requests held behind its first uncommitted write;
        # only this thread touches it.
        self.pending_requests = {}
        self.num_requests_processing = 0
        self._count_lock = threading.Lock()
        # Java's wait()/notifyAll() on the processor. A semaphore, not a Condition: on PyPy it
        # wakes this thread while the GIL is free (wakeup_semaphore.py).
        self._wakeup = WakeupSemaphore()
        self.waiting = False  # this thread is about to sleep for requests or commits
        # ... for the pool to drain, woken by a worker ending the last read (Java's emptyPoolSync);
        # the idle wait is not woken by reads that end.
        self.waiting_for_empty_pool = False
        self.stopped = True
        self.max_commit_batch_size = 1
        self.worker_shutdown_timeout_ms = 5000
        self.worker_pool = None
        # Replies are written per thread (see reply_batch.py): this thread's, then one per worker.
        self.reply_batch = ReplyBatch()
        self.worker_reply_batches = []

    def is_processing_request(self):
        return self.num_requests_processing != 0

    def need_commit(self, request):
        t = request.type
        if t in _NEED_COMMIT:
            return True
        if t == OpCode.sync:
            return self.match_syncs
        if t in (OpCode.createSession, OpCode.closeSession):
            return not request.local_session
        return False

    def run_thread(self):
        try:
            self._run()
        finally:
            self.reply_batch.flush()
        LOG.info("CommitProcessor exited loop!")

    def _run(self):
        queued = self.queued_requests
        committed = self.committed_requests
        pending = self.pending_requests
        need_commit = self.need_commit
        while not self.stopped:
            # Requests are queued before they go to the leader, so a waiting commit is for the
            # first write in queued_write_requests or for a request of another server.
            commit_is_waiting = bool(committed)
            requests_to_process = len(queued)
            if not requests_to_process and not commit_is_waiting:
                # The replies of the commits applied so far go out before this thread waits.
                self.reply_batch.flush()
                while True:
                    # Raised before the last look: a producer that then sees it lowered has put
                    # its item where that look finds it.
                    self.waiting = True
                    if self.stopped or queued or committed:
                        break
                    self._wakeup.acquire()
                self.waiting = False
                continue
            # At most the requests there now: reads must not starve the commits of other servers.
            while not self.stopped and requests_to_process > 0:
                try:
                    request = queued.popleft()
                except IndexError:
                    break
                requests_to_process -= 1
                session_queue = pending.get(request.session_id)
                if session_queue is not None or need_commit(request):
                    if session_queue is None:
                        session_queue = pending[request.session_id] = collections.deque()
                    session_queue.append(request)
                else:
                    self.send_to_next_processor(request)
                # A pending write and a commit: the commit is for it or for another server's
                # write, so it can be applied now.
                if pending and committed:
                    commit_is_waiting = True
                    break
            if not commit_is_waiting:
                commit_is_waiting = bool(committed)
            if commit_is_waiting and not self.stopped:
                self.process_commits()

    def process_commits(self):
        """Apply the waiting commits (maxCommitBatchSize of them), then the reads they held back."""
        self.wait_for_empty_pool()
        committed = self.committed_requests
        writes = self.queued_write_requests
        pending = self.pending_requests
        queues_to_drain = []
        commits_to_process = self.max_commit_batch_size
        while committed and not self.stopped and commits_to_process > 0:
            request = committed[0]
            if writes and writes[0].session_id == request.session_id and writes[0].cxid == request.cxid:
                # The commit of our oldest local write: apply our request, which has the connection.
                session_queue = pending.get(request.session_id)
                if not session_queue or not self.need_commit(session_queue[0]):
                    break  # reads of that session go first, or the write is still in queued_requests
                top_pending = session_queue.popleft()
                top_pending.hdr = request.hdr
                top_pending.txn = request.txn
                top_pending.txn_bytes = request.txn_bytes  # what the committed log keeps, as logged
                top_pending.zxid = request.zxid
                request = top_pending
                writes.popleft()
                if request.session_id not in queues_to_drain:
                    queues_to_drain.append(request.session_id)
            committed.popleft()
            commits_to_process -= 1
            self.process_write(request)
        for session_id in queues_to_drain:
            session_queue = pending[session_id]
            while not self.stopped and session_queue and not self.need_commit(session_queue[0]):
                self.send_to_next_processor(session_queue.popleft())
            if not session_queue:
                del pending[session_id]

    def wait_for_empty_pool(self):
        """A commit is applied only when no read is in the workers (3.6's waitForEmptyPool)."""
        if self.num_requests_processing == 0:
            return
        while True:
            self.waiting_for_empty_pool = True
            if self.stopped or self.num_requests_processing == 0:
                break
            self._wakeup.acquire()
        self.waiting_for_empty_pool = False

    def process_write(self, request):
        """Apply a committed request on this thread (3.6's processWrite)."""
        request.reply_batch = self.reply_batch
        self.next_processor.process_request(request)

    def start(self):
        num_cores = os.cpu_count() or 1
        num_worker_threads = system_properties.get_integer(ZOOKEEPER_COMMIT_PROC_NUM_WORKER_THREADS, num_cores)
        self.worker_shutdown_timeout_ms = system_properties.get_integer(ZOOKEEPER_COMMIT_PROC_SHUTDOWN_TIMEOUT, 5000)
        self.max_commit_batch_size = system_properties.get_integer(ZOOKEEPER_COMMIT_PROC_MAX_COMMIT_BATCH_SIZE, 1)
        if self.max_commit_batch_size <= 0:
            raise ValueError("maxCommitBatchSize must be positive, was %d" % self.max_commit_batch_size)
        LOG.info("Configuring CommitProcessor with %s worker threads.",
                 num_worker_threads if num_worker_threads > 0 else "no")
        if self.worker_pool is None:
            self.worker_reply_batches = [ReplyBatch() for _ in range(max(0, num_worker_threads))]
            # A worker writes the replies of its reads (its ReplyBatch) before it waits.
            self.worker_pool = WorkerService("CommitProcWork", num_worker_threads, True, self.flush_worker)
        self.stopped = False
        super().start()

    def send_to_next_processor(self, request):
        batches = self.worker_reply_batches
        # The reply goes in the batch of the worker that schedule() picks (sessionId mod N);
        # with no workers the work runs on this thread.
        request.reply_batch = batches[request.session_id % len(batches)] if batches else self.reply_batch
        with self._count_lock:
            self.num_requests_processing += 1
        self.worker_pool.schedule(CommitWorkRequest(self, request), request.session_id)

    def flush_worker(self, index):
        """WorkerService's flush: worker `index` writes the replies of its reads before it waits."""
        self.worker_reply_batches[index].flush()

    def wakeup(self):
        self._wakeup.release()

    def wakeup_if_waiting(self):
        # Waking only a thread about to sleep spares a wake-up per request (Java notifies every
        # time, where it is cheap). The flag is lowered by the one producer that wakes it.
        if self.waiting:
            self.waiting = False
            self.wakeup()

    def commit(self, request):
        if self.stopped or request is None:
            return
        LOG.debug("Committing request:: %s", request)
        self.committed_requests.append(request)
        self.wakeup_if_waiting()

    def process_request(self, request):
        if self.stopped:
            return
        LOG.debug("Processing request:: %s", request)
        # queued_requests first: the run loop takes a write from it before it can match a commit
        # to queued_write_requests.
        self.queued_requests.append(request)
        if self.need_commit(request):
            self.queued_write_requests.append(request)
        self.wakeup_if_waiting()

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
            with cp._count_lock:
                cp.num_requests_processing -= 1
                idle = cp.num_requests_processing == 0
            # The processor may be waiting for the pool to drain before it applies a commit. Only
            # that wait is woken: waking the idle one for every read that ends made the
            # CommitProcessor thread contend for the GIL with the worker writing the reply.
            if idle and cp.waiting_for_empty_pool:
                cp.wakeup()
