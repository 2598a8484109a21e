"""Mirror of org.apache.zookeeper.server.quorum.LearnerSessionTracker."""

import logging
import threading

from zookeeper_py.keeper_exception import SessionExpiredException, UnknownSessionException
from zookeeper_py.server.quorum.upgradeable_session_tracker import UpgradeableSessionTracker
from zookeeper_py.server.session_tracker_impl import SessionTrackerImpl, _signed64

LOG = logging.getLogger("LearnerSessionTracker")

_U64 = 0xFFFFFFFFFFFFFFFF


class LearnerSessionTracker(UpgradeableSessionTracker):
    """Mirror of org.apache.zookeeper.server.quorum.LearnerSessionTracker.

    A learner does not expire global sessions (the leader does). It records which
    sessions its clients used in a touch table that the next PING reply carries to
    the leader.
    """

    def __init__(self, expirer, sessions_with_timeouts, tick_time, id_, local_sessions_enabled, listener):
        super().__init__()
        self.expirer = expirer
        self.touch_table = {}
        self._touch_lock = threading.Lock()  # Java: AtomicReference swap of the touch table
        self.global_sessions_with_timeouts = sessions_with_timeouts
        self.server_id = id_
        self.next_session_id = SessionTrackerImpl.initialize_next_session(id_)
        self._id_lock = threading.Lock()
        self.local_sessions_enabled = local_sessions_enabled
        if self.local_sessions_enabled:
            self.create_local_session_tracker(expirer, tick_time, id_, listener)

    def remove_session(self, session_id):
        if self.local_session_tracker is not None:
            self.local_session_tracker.remove_session(session_id)
        self.global_sessions_with_timeouts.pop(session_id, None)
        with self._touch_lock:
            self.touch_table.pop(session_id, None)

    def start(self):
        if self.local_session_tracker is not None:
            self.local_session_tracker.start()

    def shutdown(self):
        if self.local_session_tracker is not None:
            self.local_session_tracker.shutdown()

    def is_global_session(self, session_id):
        return session_id in self.global_sessions_with_timeouts

    def add_global_session(self, session_id, session_timeout):
        added = self.global_sessions_with_timeouts.get(session_id) is None
        self.global_sessions_with_timeouts[session_id] = session_timeout
        if self.local_sessions_enabled and added:
            LOG.info("Adding global session 0x%x", session_id & _U64)
        with self._touch_lock:
            self.touch_table[session_id] = session_timeout
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
        if self.local_sessions_enabled:
            if self.local_session_tracker.touch_session(session_id, session_timeout):
                return True
            if not self.is_global_session(session_id):
                return False
        with self._touch_lock:
            self.touch_table[session_id] = session_timeout
        return True

    def snapshot(self):
        """Take the touch table (for a PING reply) and start a new one."""
        with self._touch_lock:
            table = self.touch_table
            self.touch_table = {}
        return table

    def create_session(self, session_timeout):
        if self.local_sessions_enabled:
            return self.local_session_tracker.create_session(session_timeout)
        with self._id_lock:
            session_id = self.next_session_id
            self.next_session_id = _signed64(session_id + 1)
        return session_id

    def check_session(self, session_id, owner):
        if self.local_session_tracker is not None:
            try:
                self.local_session_tracker.check_session(session_id, owner)
                return
            except UnknownSessionException:
                # Check whether it is a global session. We can ignore the owner of global sessions since the
                # leader checks it.
                if not self.is_global_session(session_id):
                    raise SessionExpiredException() from None

    def set_owner(self, session_id, owner):
        if self.local_session_tracker is not None:
            try:
                self.local_session_tracker.set_owner(session_id, owner)
                return
            except SessionExpiredException:
                if not self.is_global_session(session_id):
                    raise

    def dump_sessions(self, pwriter):
        if self.local_session_tracker is not None:
            pwriter.write("Local ")
            self.local_session_tracker.dump_sessions(pwriter)
        pwriter.write("Global Sessions(%d):\n" % len(self.global_sessions_with_timeouts))
        for session_id in sorted(self.global_sessions_with_timeouts):
            pwriter.write("0x%x\t%dms\n" % (session_id & _U64, self.global_sessions_with_timeouts[session_id]))

    def set_session_closing(self, session_id):
        # Global sessions are marked as closing by the leader.
        if self.local_session_tracker is not None:
            self.local_session_tracker.set_session_closing(session_id)

    def get_session_expiry_map(self):
        return {}
