"""Mirror of org.apache.zookeeper.server.ZooKeeperThread and ZooKeeperCriticalThread."""

import logging
import threading
import traceback

from zookeeper_py.server.exit_code import ExitCode

LOG = logging.getLogger("ZooKeeperThread")
CRITICAL_LOG = logging.getLogger("ZooKeeperCriticalThread")


class ZooKeeperThread(threading.Thread):
    """Mirror of org.apache.zookeeper.server.ZooKeeperThread.

    Subclasses put their loop in run_thread(); an exception escaping it goes to
    handle_exception, as Java's uncaught-exception handler does.
    """

    def __init__(self, name, daemon=True):
        super().__init__(name=name, daemon=daemon)

    def run(self):
        try:
            self.run_thread()
        except BaseException as e:  # noqa: B902  (the thread's last word, as Java's handler)
            self.handle_exception(self.name, e)

    def run_thread(self):
        raise NotImplementedError

    def handle_exception(self, thread_name, e):
        LOG.warning("Exception occurred from thread %s", thread_name, exc_info=e)


class ZooKeeperCriticalThread(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.ZooKeeperCriticalThread.

    A thread the server cannot live without: when it dies the listener puts the server
    into the ERROR state, which shuts it down instead of leaving it half alive.

    Java's line is the message with the stack trace right under it, its first line
    the cause ("java.io.IOException: No space left on device"); a Python traceback
    ends with the cause instead, so the cause is on the message line too.
    """

    def __init__(self, name, listener, daemon=True):
        super().__init__(name, daemon)
        self.listener = listener

    def handle_exception(self, thread_name, e):
        cause = " ".join("".join(traceback.format_exception_only(type(e), e)).split("\n")).strip()
        CRITICAL_LOG.error("Severe unrecoverable error, from thread : %s: %s", thread_name, cause, exc_info=e)
        self.listener.notify_stopping(thread_name, ExitCode.UNEXPECTED_ERROR.get_value())
