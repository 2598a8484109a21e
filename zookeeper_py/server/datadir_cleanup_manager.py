"""Mirror of org.apache.zookeeper.server.DatadirCleanupManager: the autopurge timer."""

import enum
import logging
import threading
import time

from zookeeper_py.server.purge_txn_log import PurgeTxnLog

LOG = logging.getLogger("DatadirCleanupManager")

MIN_SNAP_RETAIN_COUNT = 3
HOUR_MS = 3600 * 1000


class PurgeTaskStatus(enum.Enum):
    """Mirror of org.apache.zookeeper.server.DatadirCleanupManager.PurgeTaskStatus."""

    NOT_STARTED = 0
    STARTED = 1
    COMPLETED = 2


class PurgeTask:
    """Mirror of org.apache.zookeeper.server.DatadirCleanupManager.PurgeTask (a TimerTask)."""

    def __init__(self, data_dir, snap_dir, count):
        self.logs_dir = data_dir
        self.snaps_dir = snap_dir
        self.snap_retain_count = count

    def run(self):
        LOG.info("Purge task started.")
        try:
            PurgeTxnLog.purge(self.logs_dir, self.snaps_dir, self.snap_retain_count)
        except Exception as e:
            LOG.error("Error occurred while purging.", exc_info=e)
        LOG.info("Purge task completed.")


class _Timer(threading.Thread):
    """java.util.Timer("PurgeTask", true) running one task at a fixed rate from now on."""

    def __init__(self, name, task, period_ms):
        super().__init__(name=name, daemon=True)
        self.task = task
        self.period = period_ms / 1000.0
        self._cancelled = threading.Event()

    def run(self):
        # fixed rate: the k-th run is due at start + k * period, however long runs take
        due = time.monotonic()
        while not self._cancelled.is_set():
            self.task.run()
            due += self.period
            if self._cancelled.wait(max(0.0, due - time.monotonic())):
                break

    def cancel(self):
        self._cancelled.set()


class DatadirCleanupManager:
    """Mirror of org.apache.zookeeper.server.DatadirCleanupManager.

    Every purgeInterval hours (0 = never) a daemon thread named PurgeTask keeps the
    snapRetainCount newest snapshots (at least 3) and the logs they need.
    """

    def __init__(self, snap_dir, data_log_dir, snap_retain_count, purge_interval):
        self.snap_dir = snap_dir
        self.data_log_dir = data_log_dir
        if snap_retain_count < MIN_SNAP_RETAIN_COUNT:
            # QuorumPeerConfig's check, kept here too so no caller can go below 3
            LOG.warning("Invalid autopurge.snapRetainCount: %d. Defaulting to %d",
                        snap_retain_count, MIN_SNAP_RETAIN_COUNT)
            snap_retain_count = MIN_SNAP_RETAIN_COUNT
        self.snap_retain_count = snap_retain_count
        self.purge_interval = purge_interval
        self.purge_task_status = PurgeTaskStatus.NOT_STARTED
        self.timer = None
        LOG.info("autopurge.snapRetainCount set to %d", snap_retain_count)
        LOG.info("autopurge.purgeInterval set to %d", purge_interval)

    def start(self):
        """Start the purge timer; the first purge runs at once."""
        if self.purge_task_status is PurgeTaskStatus.STARTED:
            LOG.warning("Purge task is already running.")
            return
        # Don't schedule the purge task with zero or negative purge interval.
        if self.purge_interval <= 0:
            LOG.info("Purge task is not scheduled.")
            return
        task = PurgeTask(self.data_log_dir, self.snap_dir, self.snap_retain_count)
        self.timer = _Timer("PurgeTask", task, self.purge_interval * HOUR_MS)
        self.timer.start()
        self.purge_task_status = PurgeTaskStatus.STARTED

    def shutdown(self):
        if self.purge_task_status is PurgeTaskStatus.STARTED:
            LOG.info("Shutting down purge task.")
            self.timer.cancel()
            self.purge_task_status = PurgeTaskStatus.COMPLETED
        else:
            LOG.warning("Purge task not started. Ignoring shutdown!")

    def get_purge_task_status(self):
        return self.purge_task_status

    def get_snap_dir(self):
        return self.snap_dir

    def get_data_log_dir(self):
        return self.data_log_dir

    def get_purge_interval(self):
        return self.purge_interval

    def get_snap_retain_count(self):
        return self.snap_retain_count
