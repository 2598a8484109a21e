"""Mirror of org.apache.zookeeper.server.SessionTracker (interface and Session)."""


class Session:
    """Mirror of org.apache.zookeeper.server.SessionTracker.Session."""

    def get_session_id(self):
        raise NotImplementedError

    def get_timeout(self):
        raise NotImplementedError

    def is_closing(self):
        raise NotImplementedError


class SessionExpirer:
    """Mirror of org.apache.zookeeper.server.SessionTracker.SessionExpirer."""

    def expire(self, session):
        raise NotImplementedError

    def get_server_id(self):
        raise NotImplementedError


class SessionTracker:
    """Mirror of org.apache.zookeeper.server.SessionTracker: what every server role's tracker offers."""

    def create_session(self, session_timeout):
        raise NotImplementedError

    def add_global_session(self, session_id, session_timeout):
        raise NotImplementedError

    def add_session(self, session_id, session_timeout):
        raise NotImplementedError

    def touch_session(self, session_id, session_timeout):
        raise NotImplementedError

    def set_session_closing(self, session_id):
        raise NotImplementedError

    def shutdown(self):
        raise NotImplementedError

    def remove_session(self, session_id):
        raise NotImplementedError

    def is_tracking_session(self, session_id):
        raise NotImplementedError

    def check_session(self, session_id, owner):
        raise NotImplementedError

    def check_global_session(self, session_id, owner):
        raise NotImplementedError

    def set_owner(self, session_id, owner):
        raise NotImplementedError

    def dump_sessions(self, pwriter):
        raise NotImplementedError

    def get_session_expiry_map(self):
        raise NotImplementedError

    def is_global_session(self, session_id):
        return True
