"""Mirror of org.apache.zookeeper.server.WorkerService."""

import logging
import queue
import threading
import time

from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue

LOG = logging.getLogger("WorkerService")

_STOP = object()


class WorkRequest:
    """Mirror of org.apache.zookeeper.server.WorkerService.WorkRequest."""

    def do_work(self):
        raise NotImplementedError

    def cleanup(self):
        pass


class _Worker(threading.Thread):
    def __init__(self, service, name, work_queue, index):
        super().__init__(name=name, daemon=True)
        self.service = service
        self.work_queue = work_queue
        self.index = index

    def run(self):
        flush = self.service.flush
        index = self.index
        get_nowait = self.work_queue.get_nowait
        while True:
            try:
                work = get_nowait()
            except queue.Empty:
                if flush is not None:
                    flush(index)  # what the work of this round held back goes out before the worker waits
                work = self.work_queue.get()
            if work is _STOP:
                if flush is not None:
                    flush(index)
                return
            self.service._run(work)


class WorkerService:
    """Mirror of org.apache.zookeeper.server.WorkerService: a pool of daemon worker threads.

    "Assignable" mode gives each thread its own queue and schedule(req, id) always picks
    worker id mod N, which keeps the requests of one session in order. With 0 threads
    the work runs on the caller's thread.

    `flush` (not in Java): an optional callable a worker thread calls with its index
    (0..N-1; in assignable mode the one schedule() picks for id mod N) when its queue
    runs dry, before it waits; CommitProcessor passes one that writes the replies of
    that worker's reads (its ReplyBatch).
    """

    def __init__(self, name, num_threads, use_assignable_threads, flush=None):
        self.thread_name_prefix = (name or "") + "Thread"
        self.flush = flush
        self.num_worker_threads = num_threads
        self.threads_are_assignable = use_assignable_threads
        self.queues = []
        self.threads = []
        self.stopped = True
        self.start()

    def start(self):
        n = self.num_worker_threads
        if n > 0:
            if self.threads_are_assignable:
                # Bound: the number of connections (one work request per connection at a time).
                self.queues = [LinkedBlockingQueue() for _ in range(n)]
                for i in range(n):
                    self.threads.append(_Worker(self, "%s-%d" % (self.thread_name_prefix, i + 1), self.queues[i], i))
            else:
                shared = queue.SimpleQueue()
                self.queues = [shared]
                for i in range(n):
                    self.threads.append(_Worker(self, "%s-%d" % (self.thread_name_prefix, i + 1), shared, i))
            for t in self.threads:
                t.start()
        self.stopped = False

    def schedule(self, work_request, id_=0):
        if self.stopped:
            work_request.cleanup()
            return
        if self.queues:
            self.queues[id_ % len(self.queues)].put(work_request)
        else:
            self._run(work_request)

    def _run(self, work_request):
        try:
            if self.stopped:
                work_request.cleanup()
                return
            work_request.do_work()
        except Exception:
            LOG.warning("Unexpected exception", exc_info=True)
            work_request.cleanup()

    def stop(self):
        self.stopped = True
        for q in self.queues:
            for _ in range(len(self.threads)):
                q.put(_STOP)

    def join(self, shutdown_timeout_ms):
        end = time.monotonic() + shutdown_timeout_ms / 1000.0
        for t in self.threads:
            t.join(max(0.0, end - time.monotonic()))
