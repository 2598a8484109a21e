"""Mirror of org.apache.zookeeper.server.quorum.UpgradeableSessionTracker."""

import logging
import threading

from zookeeper_py.server.quorum.local_session_tracker import LocalSessionTracker
from zookeeper_py.server.session_tracker import SessionTracker

LOG = logging.getLogger("UpgradeableSessionTracker")


class UpgradeableSessionTracker(SessionTracker):
    """Mirror of org.apache.zookeeper.server.quorum.UpgradeableSessionTracker.

    A session tracker that may also keep local sessions (localSessionsEnabled), which
    live on one server only and can be upgraded to global ones.
    """

    def __init__(self):
        self.local_sessions_with_timeouts = None
        self.local_session_tracker = None
        self.lock = threading.RLock()  # Java: synchronized (upgradeableSessionTracker)

    def start(self):
        pass

    def create_local_session_tracker(self, expirer, tick_time, id_, listener):
        self.local_sessions_with_timeouts = {}
        self.local_session_tracker = LocalSessionTracker(expirer, self.local_sessions_with_timeouts, tick_time, id_,
                                                         listener)

    def is_tracking_session(self, session_id):
        return self.is_local_session(session_id) or self.is_global_session(session_id)

    def is_local_session(self, session_id):
        return self.local_session_tracker is not None and self.local_session_tracker.is_tracking_session(session_id)

    def is_global_session(self, session_id):
        raise NotImplementedError

    def upgrade_session(self, session_id):
        """Make a local session global; returns its timeout, or -1 if it was not local."""
        if self.local_sessions_with_timeouts is None:
            return -1
        # We won't race another upgrade attempt because only one thread will get the timeout.
        timeout = self.local_sessions_with_timeouts.pop(session_id, None)
        if timeout is not None:
            LOG.info("Upgrading session 0x%x", session_id & 0xFFFFFFFFFFFFFFFF)
            # Add as global before removing as local
            self.add_global_session(session_id, timeout)
            self.local_session_tracker.remove_session(session_id)
            return timeout
        return -1

    def check_global_session(self, session_id, owner):
        raise NotImplementedError("checkGlobalSession")
