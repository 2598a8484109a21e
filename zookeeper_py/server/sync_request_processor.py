"""Mirror of org.apache.zookeeper.server.SyncRequestProcessor."""

import logging
import os
import random
import time

from zookeeper_py.common import child_process, system_properties
from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread, ZooKeeperThread

LOG = logging.getLogger("SyncRequestProcessor")

# Ours: snapshots written by a forked child process (SnapshotThread).
FORK_SNAPSHOT = "zookeeper.forkSnapshot"
FORK_SNAPSHOT_MIN_NODES = "zookeeper.forkSnapshotMinNodes"
DEFAULT_FORK_SNAPSHOT_MIN_NODES = 200_000
# toFlush is flushed when the queue runs dry or it holds more than this.
_FLUSH_BATCH = 1000


def fork_snapshot_min_nodes():
    """The fewest znodes whose snapshot a forked child process writes (zookeeper.forkSnapshotMinNodes,
    ours, -D), or None when none does (zookeeper.forkSnapshot=false, ours, or no os.fork)."""
    if not system_properties.get_true_or_false(FORK_SNAPSHOT, "true") or not child_process.fork_available():
        return None
    return system_properties.get_count(FORK_SNAPSHOT_MIN_NODES, DEFAULT_FORK_SNAPSHOT_MIN_NODES)


class SnapshotThread(ZooKeeperThread):
    """Java's anonymous "Snapshot Thread": one snapshot of zks, off the thread that asked for it.

    With a GIL, a thread is not enough: the walk of a big tree takes the interpreter from the
    request threads. So for a tree of zookeeper.forkSnapshotMinNodes znodes or more (200,000 by
    default) this thread forks, and a child process writes the file on a CPU of its own
    (child_process.py) while this thread waits. A fork stops the server for a few ms (more
    with a bigger heap) and costs it page copies after: on PyPy, with the set row's snapshot
    every ~0.5 s, forking gave a worse p99 than writing here with 100k znodes (11-12 ms against
    9), a better throughput with 300k (82-93k sets/s against 70-75k, the p99 alike), and a
    better throughput and p99 in the mixed and connect rows with 500k (README, "PyPy's p99
    rows").

    Written in this process instead (a smaller tree, zookeeper.forkSnapshot=false, or no fork),
    it gives way to requests. It is then the one thread always ready to run, so it would take
    the interpreter at nearly every I/O wait of the request threads and keep it for a whole
    switch interval: a snapshot of 150k znodes tripled the p99 of pipelined requests on
    CPython. So while requests are in process it sleeps after each batch of nodes as long as
    the batch took (DataTree calls pace()), which bounds its share to half; an idle server
    snapshots at full speed. A child, alone in its process, never sleeps."""

    def __init__(self, zks):
        super().__init__("Snapshot Thread")
        self.zks = zks
        self.server_pid = os.getpid()

    def pace(self, busy):
        if os.getpid() == self.server_pid and self.zks.get_in_process() > 0:
            time.sleep(busy)

    def run_thread(self):
        try:
            min_nodes = fork_snapshot_min_nodes()
            in_child = min_nodes is not None and self.zks.get_zk_database().get_node_count() >= min_nodes
            self.zks.take_snapshot(in_child=in_child)
        except Exception:
            LOG.warning("Unexpected exception", exc_info=True)


class SyncRequestProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.SyncRequestProcessor: the txn log writer.

    Appends each txn to the log and hands requests on only after a group commit
    (fsync), which batches whatever arrived meanwhile. Reads with nothing waiting for
    a flush pass straight through. Every snapCount/2 + random(snapCount/2) txns it rolls
    the log and starts a "Snapshot Thread".

    The next processor is flushed (RequestProcessor.flush, Java's Flushable) after each
    group commit, and, unlike Java, which flushes it after every read passed straight
    through, when the queue runs dry after reads or before a commit: the replies of
    pipelined reads then share a send (see FinalRequestProcessor).

    A request goes downstream at most once: flush_to_flush() takes each one off `to_flush`
    before handing it on, as Java's toFlush.remove(). When the log itself fails (a
    write, a roll or an fsync raises, e.g. ENOSPC or EIO), the thread dies as Java's
    does (ZooKeeperCriticalThread: one "Severe unrecoverable error" line, then the
    server stops), and unlike Java, shutdown() does not try the commit again for
    what is left in `to_flush`: after a failed fsync Linux may report the next one
    as a success although the pages were dropped, so those requests are never
    applied or answered.
    """

    def __init__(self, zks, next_processor):
        super().__init__("SyncThread:%d" % zks.get_server_id(), zks.get_zoo_keeper_server_listener())
        self.zks = zks
        # Java: unbounded LinkedBlockingQueue, bounded in practice by globalOutstandingLimit.
        self.queued_requests = LinkedBlockingQueue()
        self.next_processor = next_processor
        self.snap_in_process = None
        self.running = True
        self.to_flush = []
        # Reads were handed on and the next processor was not flushed since.
        self.reads_unflushed = False
        # True once an append, roll or commit of the txn log raised: what is in
        # to_flush then was never fsynced.
        self.log_failed = False
        self.random = random.Random()
        self.snap_count = zks.get_snap_count()
        self.snap_size_in_bytes = zks.get_snap_size_in_bytes()

    def run_thread(self):
        try:
            self._run()
        except BaseException as t:  # noqa: B902  (Java: catch (Throwable t) { handleException(...) })
            self.handle_exception(self.name, t)
        finally:
            if self.reads_unflushed:
                self.reads_unflushed = False
                self.next_processor.flush()
            self.running = False
        LOG.info("SyncRequestProcessor exited!")

    def _run(self):
        log_count = 0
        rand_roll = self.random.randrange(self.snap_count // 2)
        snap_size = self.snap_size_in_bytes
        rand_size = self.random.randrange(snap_size // 2) if snap_size > 0 else 0
        zk_db = self.zks.get_zk_database()
        to_flush = self.to_flush
        next_processor = self.next_processor
        death = Request.requestOfDeath
        poll = self.queued_requests.poll
        take = self.queued_requests.get
        while True:
            si = poll()
            if si is None:
                if to_flush:
                    self.flush_to_flush(to_flush)
                    continue
                # Nothing more to do now: send the replies of the reads of this round, then wait.
                if self.reads_unflushed:
                    self.reads_unflushed = False
                    next_processor.flush()
                si = take()
            if si is death:
                break
            try:
                # A read has no txn to log: not through append()'s two calls to say so.
                appended = si.hdr is not None and zk_db.append(si)
            except BaseException:
                self.log_failed = True
                raise
            if appended:
                log_count += 1
                if log_count > self.snap_count // 2 + rand_roll or (
                        snap_size > 0 and zk_db.get_txn_size() > snap_size // 2 + rand_size):
                    rand_roll = self.random.randrange(self.snap_count // 2)
                    rand_size = self.random.randrange(snap_size // 2) if snap_size > 0 else 0
                    try:
                        zk_db.roll_log()
                    except BaseException:
                        self.log_failed = True
                        raise
                    if self.snap_in_process is not None and self.snap_in_process.is_alive():
                        LOG.warning("Too busy to snap, skipping")
                    else:
                        self.snap_in_process = SnapshotThread(self.zks)
                        self.snap_in_process.start()
                    log_count = 0
            elif not to_flush:
                # A read with no write ahead of it waiting on the disk: pass it on now (its
                # reply goes out when the queue runs dry or before the next commit).
                if next_processor is not None:
                    next_processor.process_request(si)
                    self.reads_unflushed = True
                continue
            to_flush.append(si)
            if len(to_flush) > _FLUSH_BATCH:
                self.flush_to_flush(to_flush)

    def flush_to_flush(self, to_flush):
        """Java's private flush(toFlush): the group commit (renamed here, as flush() is the
        RequestProcessor seam that this processor's own caller may call)."""
        if not to_flush:
            return
        next_processor = self.next_processor
        if self.reads_unflushed:
            self.reads_unflushed = False
            next_processor.flush()  # replies already made must not wait for the fsync
        try:
            self.zks.get_zk_database().commit()
        except BaseException:
            self.log_failed = True
            raise
        if next_processor is None:
            to_flush.clear()
            return
        handed = 0
        try:
            for request in to_flush:
                # Counted before it goes: one that raises downstream is not handed again.
                handed += 1
                next_processor.process_request(request)
        finally:
            del to_flush[:handed]
        next_processor.flush()

    def shutdown(self):
        LOG.info("Shutting down")
        self.queued_requests.put(Request.requestOfDeath)
        try:
            if self.running and self.ident is not None:
                self.join()
            if self.to_flush:
                if self.log_failed:
                    LOG.warning("Not applying or answering %d request(s) whose txns were not fsynced "
                                "to the txn log", len(self.to_flush))
                    self.to_flush.clear()
                else:
                    self.flush_to_flush(self.to_flush)
        except (IOError, OSError):
            LOG.warning("Got IO exception during shutdown")
        except Exception:
            LOG.warning("Got request processor exception during shutdown")
        if self.next_processor is not None:
            self.next_processor.shutdown()

    def process_request(self, request):
        self.queued_requests.put(request)
