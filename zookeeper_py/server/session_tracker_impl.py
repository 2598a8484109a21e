"""Mirror of org.apache.zookeeper.server.SessionTrackerImpl."""

import io
import logging
import threading

from zookeeper_py.common.time import Time
from zookeeper_py.keeper_exception import (
    SessionExpiredException,
    SessionMovedException,
    UnknownSessionException,
)
from zookeeper_py.server.ephemeral_type import CONTAINER_EPHEMERAL_OWNER, EphemeralType
from zookeeper_py.server.expiry_queue import ExpiryQueue
from zookeeper_py.server.session_tracker import Session, SessionTracker
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread

LOG = logging.getLogger("SessionTrackerImpl")

_U64 = 0xFFFFFFFFFFFFFFFF


def _signed64(v):
    v &= _U64
    return v - (1 << 64) if v & (1 << 63) else v


class SessionImpl(Session):
    """Mirror of org.apache.zookeeper.server.SessionTrackerImpl.SessionImpl."""

    __slots__ = ("session_id", "timeout", "closing", "owner")

    def __init__(self, session_id, timeout):
        self.session_id = session_id
        self.timeout = timeout
        self.closing = False
        self.owner = None

    def get_session_id(self):
        return self.session_id

    def get_timeout(self):
        return self.timeout

    def is_closing(self):
        return self.closing

    def __str__(self):
        return "0x%x" % (self.session_id & _U64)


class SessionTrackerImpl(ZooKeeperCriticalThread, SessionTracker):
    """Mirror of org.apache.zookeeper.server.SessionTrackerImpl: sessions, their expiry buckets, the
    "SessionTracker" thread that expires them."""

    def __init__(self, expirer, sessions_with_timeout, tick_time, server_id, listener):
        super().__init__("SessionTracker", listener)
        self.expirer = expirer
        self.lock = threading.RLock()
        self.sessions_by_id = {}
        self.session_expiry_queue = ExpiryQueue(tick_time)
        self.sessions_with_timeout = sessions_with_timeout
        self.next_session_id = self.initialize_next_session(server_id)
        self.running = True
        self._wakeup = threading.Event()
        for sid, timeout in list(sessions_with_timeout.items()):
            self.add_session(sid, timeout)
        EphemeralType.validate_server_id(server_id)

    @staticmethod
    def initialize_next_session(sid):
        """((now << 24) >>> 8) | (sid << 56), as a signed 64-bit id; never the container marker."""
        next_sid = ((Time.current_elapsed_time() << 24) & _U64) >> 8
        next_sid = _signed64(next_sid | (sid << 56))
        if next_sid == CONTAINER_EPHEMERAL_OWNER:
            next_sid += 1
        return next_sid

    def dump_sessions(self, pwriter):
        pwriter.write("Session ")
        self.session_expiry_queue.dump(pwriter)

    def get_session_expiry_map(self):
        expiry = self.session_expiry_queue.get_expiry_map()
        return {t: {s.session_id for s in sessions} for t, sessions in sorted(expiry.items())}

    def __str__(self):
        out = io.StringIO()
        self.dump_sessions(out)
        return out.getvalue()

    def run_thread(self):
        while self.running:
            wait = self.session_expiry_queue.get_wait_time()
            if wait > 0:
                self._wakeup.wait(wait / 1000.0)
                continue
            for s in self.session_expiry_queue.poll():
                self.set_session_closing(s.session_id)
                self.expirer.expire(s)
        LOG.info("SessionTrackerImpl exited loop!")

    def touch_session(self, session_id, timeout):
        with self.lock:
            s = self.sessions_by_id.get(session_id)
            if s is None or s.closing:
                return False
            self.session_expiry_queue.update(s, timeout)
            return True

    def get_session_timeout(self, session_id):
        return self.sessions_with_timeout.get(session_id)

    def set_session_closing(self, session_id):
        with self.lock:
            s = self.sessions_by_id.get(session_id)
            if s is not None:
                s.closing = True

    def remove_session(self, session_id):
        LOG.debug("Removing session 0x%x", session_id & _U64)
        with self.lock:
            s = self.sessions_by_id.pop(session_id, None)
            self.sessions_with_timeout.pop(session_id, None)
            if s is not None:
                self.session_expiry_queue.remove(s)

    def shutdown(self):
        LOG.info("Shutting down")
        self.running = False
        self._wakeup.set()

    def create_session(self, session_timeout):
        with self.lock:
            session_id = self.next_session_id
            self.next_session_id = _signed64(session_id + 1)
        self.add_session(session_id, session_timeout)
        return session_id

    def add_global_session(self, session_id, session_timeout):
        return self.add_session(session_id, session_timeout)

    def add_session(self, session_id, session_timeout):
        with self.lock:
            self.sessions_with_timeout[session_id] = session_timeout
            session = self.sessions_by_id.get(session_id)
            added = session is None
            if added:
                session = self.sessions_by_id[session_id] = SessionImpl(session_id, session_timeout)
                LOG.debug("Adding session 0x%x", session_id & _U64)
            self.session_expiry_queue.update(session, session_timeout)
            return added

    def is_tracking_session(self, session_id):
        return session_id in self.sessions_by_id

    def check_session(self, session_id, owner):
        with self.lock:
            session = self.sessions_by_id.get(session_id)
            if session is None:
                raise UnknownSessionException()
            if session.closing:
                raise SessionExpiredException()
            if session.owner is None:
                session.owner = owner
            elif session.owner is not owner:
                raise SessionMovedException()

    def set_owner(self, session_id, owner):
        with self.lock:
            session = self.sessions_by_id.get(session_id)
            if session is None or session.closing:
                raise SessionExpiredException()
            session.owner = owner

    def check_global_session(self, session_id, owner):
        try:
            self.check_session(session_id, owner)
        except UnknownSessionException:
            raise SessionExpiredException() from None
