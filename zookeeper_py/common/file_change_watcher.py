"""Mirror of org.apache.zookeeper.common.FileChangeWatcher."""

import enum
import logging
import os
import threading

LOG = logging.getLogger("FileChangeWatcher")


class FileChangeWatcher:
    """Mirror of org.apache.zookeeper.common.FileChangeWatcher: calls back when a file changes.

    Java watches the file's directory with a WatchService and filters events for the file;
    this watches one file by polling its stat (mtime, size, inode) every POLL_INTERVAL
    seconds from a daemon thread named "FileChangeWatcher", as Java's. The callback (no
    arguments) runs on that thread when the file is created or modified; deletion is
    ignored, as in Java. Changes around start() may be missed, as Java says of its own.
    """

    POLL_INTERVAL = 0.5

    class State(enum.Enum):
        NEW = "NEW"
        STARTING = "STARTING"
        RUNNING = "RUNNING"
        STOPPING = "STOPPING"
        STOPPED = "STOPPED"

    def __init__(self, file_path, callback, poll_interval=None):
        self._path = file_path
        self._callback = callback
        self._poll_interval = self.POLL_INTERVAL if poll_interval is None else poll_interval
        self._cond = threading.Condition()
        self._state = self.State.NEW
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="FileChangeWatcher", daemon=True)
        LOG.debug("Registering with watch service: %s", file_path)

    def get_state(self):
        with self._cond:
            return self._state

    def wait_for_state(self, desired, timeout=None):
        with self._cond:
            return self._cond.wait_for(lambda: self._state == desired, timeout)

    def _set_state(self, state):
        with self._cond:
            self._state = state
            self._cond.notify_all()

    def _compare_and_set_state(self, expected, update):
        with self._cond:
            if self._state in expected:
                self._state = update
                self._cond.notify_all()
                return True
            return False

    def start(self):
        """Start the thread; a second call does nothing."""
        if self._compare_and_set_state((self.State.NEW,), self.State.STARTING):
            self._thread.start()

    def stop(self):
        """Tell the thread to stop; does not wait for it (join via wait_for_state(STOPPED))."""
        if self._compare_and_set_state((self.State.RUNNING, self.State.STARTING), self.State.STOPPING):
            self._stop.set()

    def _stat(self):
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _run(self):
        try:
            LOG.info("%s thread started", self._thread.name)
            last = self._stat()
            if not self._compare_and_set_state((self.State.STARTING,), self.State.RUNNING):
                return  # stop() came first
            while not self._stop.wait(self._poll_interval):
                current = self._stat()
                if current is not None and current != last:
                    LOG.debug("Got file changed event for %s", self._path)
                    try:
                        self._callback()
                    except Exception:
                        LOG.error("Error from callback", exc_info=True)
                last = current
        finally:
            LOG.info("%s thread finished", self._thread.name)
            self._set_state(self.State.STOPPED)
