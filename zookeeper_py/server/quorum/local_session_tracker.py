"""Mirror of org.apache.zookeeper.server.quorum.LocalSessionTracker."""

from zookeeper_py.server.session_tracker_impl import SessionTrackerImpl


class LocalSessionTracker(SessionTrackerImpl):
    """Mirror of org.apache.zookeeper.server.quorum.LocalSessionTracker: sessions known to this server only."""

    def is_local_session(self, session_id):
        return self.is_tracking_session(session_id)

    def is_global_session(self, session_id):
        return False

    def add_global_session(self, session_id, session_timeout):
        raise NotImplementedError("addGlobalSession")
