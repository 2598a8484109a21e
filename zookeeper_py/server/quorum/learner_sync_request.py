"""Mirror of org.apache.zookeeper.server.quorum.LearnerSyncRequest."""

from zookeeper_py.server.request import Request


class LearnerSyncRequest(Request):
    """Mirror of org.apache.zookeeper.server.quorum.LearnerSyncRequest: a sync forwarded by a learner.

    `fh` is the LearnerHandler the SYNC answer goes back to.
    """

    __slots__ = ("fh",)

    def __init__(self, fh, session_id, xid, op_type, body, auth_info):
        super().__init__(None, session_id, xid, op_type, body, auth_info)
        self.fh = fh
