"""Mirror of org.apache.zookeeper.server.quorum.LeaderSessionTracker."""

import logging

from zookeeper_py.keeper_exception import SessionExpiredException, UnknownSessionException
from zookeeper_py.server.quorum.upgradeable_session_tracker import UpgradeableSessionTracker
from zookeeper_py.server.session_tracker_impl import SessionTrackerImpl

LOG = logging.getLogger("LeaderSessionTracker")

_U64 = 0xFFFFFFFFFFFFFFFF


class LeaderSessionTracker(UpgradeableSessionTracker):
    """Mirror of org.apache.zookeeper.server.quorum.LeaderSessionTracker.

    The leader tracks (and expires) every global session; learners report their
    clients' activity in PING replies and the leader touches the sessions here.
    """

    def __init__(self, expirer, sessions_with_timeouts, tick_time, id_, local_sessions_enabled, listener):
        super().__init__()
        self.global_session_tracker = SessionTrackerImpl(expirer, sessions_with_timeouts, tick_time, id_, listener)
        self.local_sessions_enabled = local_sessions_enabled
        if self.local_sessions_enabled:
            self.create_local_session_tracker(expirer, tick_time, id_, listener)
        self.server_id = id_

    def remove_session(self, session_id):
        if self.local_session_tracker is not None:
            self.local_session_tracker.remove_session(session_id)
        self.global_session_tracker.remove_session(session_id)

    def start(self):
        self.global_session_tracker.start()
        if self.local_session_tracker is not None:
            self.local_session_tracker.start()

    def shutdown(self):
        if self.local_session_tracker is not None:
            self.local_session_tracker.shutdown()
        self.global_session_tracker.shutdown()

    def is_global_session(self, session_id):
        return self.global_session_tracker.is_tracking_session(session_id)

    def add_global_session(self, session_id, session_timeout):
        added = self.global_session_tracker.add_session(session_id, session_timeout)
        if self.local_sessions_enabled and added:
            # Only do extra logging so we know what kind of session this is if we're supporting both kinds.
            LOG.info("Adding global session 0x%x", session_id & _U64)
        return added

    def add_session(self, session_id, session_timeout):
        if self.local_sessions_enabled and not self.is_global_session(session_id):
            added = self.local_session_tracker.add_session(session_id, session_timeout)
            # Check for race condition with session upgrading
            if self.is_global_session(session_id):
                added = False
                self.local_session_tracker.remove_session(session_id)
            elif added:
                LOG.info("Adding local session 0x%x", session_id & _U64)
        else:
            added = self.add_global_session(session_id, session_timeout)
        return added

    def touch_session(self, session_id, session_timeout):
        if self.local_session_tracker is not None and self.local_session_tracker.touch_session(session_id,
                                                                                               session_timeout):
            return True
        return self.global_session_tracker.touch_session(session_id, session_timeout)

    def create_session(self, session_timeout):
        if self.local_sessions_enabled:
            return self.local_session_tracker.create_session(session_timeout)
        return self.global_session_tracker.create_session(session_timeout)

    @staticmethod
    def get_server_id_from_session_id(session_id):
        return session_id >> 56

    def check_session(self, session_id, owner):
        if self.local_session_tracker is not None:
            try:
                self.local_session_tracker.check_session(session_id, owner)
                # A session can both be a local and global session during upgrade
                if not self.is_global_session(session_id):
                    return
            except UnknownSessionException:
                pass  # Ignore. We'll check the global session tracker below
        try:
            self.global_session_tracker.check_session(session_id, owner)
            # if we can get here, it is a valid global session
            return
        except UnknownSessionException:
            pass  # Ignore. This may be a local session from a follower.
        # A local session of another learner, or an expired session of mine.
        if not self.local_sessions_enabled or self.get_server_id_from_session_id(session_id) == self.server_id:
            raise SessionExpiredException()

    def check_global_session(self, session_id, owner):
        try:
            self.global_session_tracker.check_session(session_id, owner)
        except UnknownSessionException:
            # For global session, if we don't know it, it is already expired
            raise SessionExpiredException() from None

    def set_owner(self, session_id, owner):
        if self.local_session_tracker is not None:
            try:
                self.local_session_tracker.set_owner(session_id, owner)
                return
            except SessionExpiredException:
                pass  # Ignore. We'll check the global session tracker below
        self.global_session_tracker.set_owner(session_id, owner)

    def dump_sessions(self, pwriter):
        if self.local_session_tracker is not None:
            pwriter.write("Local ")
            self.local_session_tracker.dump_sessions(pwriter)
            pwriter.write("Global ")
        self.global_session_tracker.dump_sessions(pwriter)

    def set_session_closing(self, session_id):
        # call is no-op if session isn't tracked so safe to call both
        if self.local_session_tracker is not None:
            self.local_session_tracker.set_session_closing(session_id)
        self.global_session_tracker.set_session_closing(session_id)

    def get_session_expiry_map(self):
        if self.local_session_tracker is not None:
            session_expiry_map = self.local_session_tracker.get_session_expiry_map()
        else:
            session_expiry_map = {}
        session_expiry_map.update(self.global_session_tracker.get_session_expiry_map())
        return session_expiry_map
