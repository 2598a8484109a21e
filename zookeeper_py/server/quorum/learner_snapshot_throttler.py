"""Mirror of org.apache.zookeeper.server.quorum.LearnerSnapshotThrottler, LearnerSnapshot and
SnapshotThrottleException."""

import logging
import threading

from zookeeper_py.common.time import Time

LOG = logging.getLogger("LearnerSnapshotThrottler")


class SnapshotThrottleException(Exception):
    """Mirror of org.apache.zookeeper.server.quorum.SnapshotThrottleException."""

    def __init__(self, concurrent_snapshot_number, throttle_threshold):
        super().__init__("new snapshot would make %d concurrently in progress; maximum is %d"
                         % (concurrent_snapshot_number, throttle_threshold))


class LearnerSnapshot:
    """Mirror of org.apache.zookeeper.server.quorum.LearnerSnapshot: one SNAP transfer in progress."""

    def __init__(self, throttler, concurrent_snapshot_number, essential):
        self.throttler = throttler
        self.concurrent_snapshot_number = concurrent_snapshot_number
        self.essential = essential

    def close(self):
        self.throttler.end_snapshot()

    def get_concurrent_snapshot_number(self):
        return self.concurrent_snapshot_number

    def is_essential(self):
        return self.essential


class LearnerSnapshotThrottler:
    """Mirror of org.apache.zookeeper.server.quorum.LearnerSnapshotThrottler.

    Limits concurrent SNAP transfers to observers; followers ("essential") are never
    refused.
    """

    def __init__(self, max_concurrent_snapshots, timeout_millis=0):
        if timeout_millis < 0:
            raise ValueError("timeout cannot be negative, was %d" % timeout_millis)
        if max_concurrent_snapshots <= 0:
            raise ValueError("maxConcurrentSnapshots must be positive, was %d" % max_concurrent_snapshots)
        self.max_concurrent_snapshots = max_concurrent_snapshots
        self.timeout_millis = timeout_millis
        self._cv = threading.Condition()
        self.snaps_in_progress = 0

    def begin_snapshot(self, essential):
        with self._cv:
            if not essential and self.timeout_millis > 0 and self.snaps_in_progress >= self.max_concurrent_snapshots:
                # Wait at most timeoutMillis for a free slot, as the Javadoc says. Java 3.5.7's do/while tests
                # `timestamp + timeoutMillis < now`, the wrong way round: a wait that times out waits again
                # until a slot frees, unless it ended in the very millisecond of the deadline, so the observer
                # is refused or not by chance.
                deadline = Time.current_elapsed_time() + self.timeout_millis
                while self.snaps_in_progress >= self.max_concurrent_snapshots:
                    remaining = deadline - Time.current_elapsed_time()
                    if remaining <= 0:
                        break
                    self._cv.wait(remaining / 1000.0)
            if essential or self.snaps_in_progress < self.max_concurrent_snapshots:
                self.snaps_in_progress += 1
                snapshot_number = self.snaps_in_progress
            else:
                raise SnapshotThrottleException(self.snaps_in_progress + 1, self.max_concurrent_snapshots)
        return LearnerSnapshot(self, snapshot_number, essential)

    def end_snapshot(self):
        with self._cv:
            self.snaps_in_progress -= 1
            new_count = self.snaps_in_progress
            self._cv.notify()
        if new_count < 0:
            LOG.error("endSnapshot() called incorrectly; current snapshot count is %d", new_count)
