"""Mirror of org.apache.zookeeper.server.Request: one request travelling the processor chain."""

import time

from zookeeper_py.zoo_defs import OpCode

# Request.isValid: the opcodes this server accepts from clients (3.5.7 plus the
# 3.6-3.9 ones modern clients send).
_VALID = frozenset((
    OpCode.check, OpCode.closeSession, OpCode.create, OpCode.create2, OpCode.createTTL,
    OpCode.createContainer, OpCode.createSession, OpCode.delete, OpCode.deleteContainer,
    OpCode.exists, OpCode.getACL, OpCode.getChildren, OpCode.getChildren2, OpCode.getData,
    OpCode.multi, OpCode.ping, OpCode.reconfig, OpCode.setACL, OpCode.setData,
    OpCode.setWatches, OpCode.sync, OpCode.checkWatches, OpCode.removeWatches,
    OpCode.multiRead, OpCode.getEphemerals, OpCode.getAllChildrenNumber, OpCode.setWatches2,
    OpCode.addWatch, OpCode.whoAmI,
))

# Ops that change the tree (a txn), Request.isQuorum minus the session ops.
_QUORUM = frozenset((
    OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.error,
    OpCode.delete, OpCode.deleteContainer, OpCode.setACL, OpCode.setData, OpCode.check,
    OpCode.multi, OpCode.reconfig,
))

_OP_STRINGS = {
    OpCode.notification: "notification", OpCode.create: "create", OpCode.create2: "create2",
    OpCode.createTTL: "createTtl", OpCode.createContainer: "createContainer",
    OpCode.setWatches: "setWatches", OpCode.setWatches2: "setWatches2", OpCode.delete: "delete",
    OpCode.deleteContainer: "deleteContainer", OpCode.exists: "exists", OpCode.getData: "getData",
    OpCode.check: "check", OpCode.multi: "multi", OpCode.multiRead: "multiRead",
    OpCode.setData: "setData", OpCode.sync: "sync:", OpCode.getACL: "getACL",
    OpCode.setACL: "setACL", OpCode.getChildren: "getChildren", OpCode.getChildren2: "getChildren2",
    OpCode.ping: "ping", OpCode.createSession: "createSession", OpCode.closeSession: "closeSession",
    OpCode.error: "error", OpCode.reconfig: "reconfig", OpCode.checkWatches: "checkWatches",
    OpCode.removeWatches: "removeWatches", OpCode.getEphemerals: "getEphemerals",
    OpCode.getAllChildrenNumber: "getAllChildrenNumber", OpCode.addWatch: "addWatch",
    OpCode.whoAmI: "whoAmI", OpCode.auth: "auth", OpCode.sasl: "sasl",
}


def current_elapsed_time():
    """Time.currentElapsedTime: monotonic milliseconds."""
    return time.monotonic_ns() // 1_000_000


class Request:
    """Mirror of org.apache.zookeeper.server.Request.

    `request` is the body of the client packet after its RequestHeader (bytes), or None
    for requests built from a txn (on learners, from the log).
    """

    __slots__ = (
        "session_id", "cxid", "type", "request", "cnxn", "hdr", "txn", "zxid", "auth_info",
        "create_time", "owner", "e", "qv", "local_session", "txn_digest", "txn_bytes", "reply_batch",
    )

    def __init__(self, cnxn, session_id, xid, op_type, body=None, auth_info=None, hdr=None, txn=None, zxid=-1):
        self.cnxn = cnxn
        self.session_id = session_id
        self.cxid = xid
        self.type = op_type
        self.request = body
        self.auth_info = auth_info
        self.hdr = hdr
        self.txn = txn
        self.zxid = zxid
        self.create_time = current_elapsed_time()
        self.owner = None
        self.e = None
        self.qv = None
        self.local_session = False
        self.txn_digest = None
        # TxnHeader + txn (+ digest) as bytes, made once and shared by the txn log, the
        # committed log and PROPOSAL packets (Java serializes the same txn for each).
        self.txn_bytes = None
        # zookeeper_py only: the ReplyBatch of the thread that runs FinalRequestProcessor for this
        # request (None: FinalRequestProcessor's own; see reply_batch.py).
        self.reply_batch = None

    @staticmethod
    def from_txn(session_id, xid, op_type, hdr, txn, zxid):
        """The Java constructor Request(sessionId, xid, type, hdr, txn, zxid)."""
        return Request(None, session_id, xid, op_type, None, None, hdr, txn, zxid)

    def is_local_session(self):
        return self.local_session

    def set_local_session(self, value):
        self.local_session = value

    def get_owner(self):
        return self.owner

    def set_owner(self, owner):
        self.owner = owner

    def get_hdr(self):
        return self.hdr

    def set_hdr(self, hdr):
        self.hdr = hdr

    def get_txn(self):
        return self.txn

    def set_txn(self, txn):
        self.txn = txn

    def get_exception(self):
        return self.e

    def set_exception(self, e):
        self.e = e

    @staticmethod
    def is_valid(op_type):
        return op_type in _VALID

    def is_quorum(self):
        if self.type in _QUORUM:
            return True
        if self.type in (OpCode.closeSession, OpCode.createSession):
            return not self.local_session
        return False

    @staticmethod
    def op2_string(op):
        return _OP_STRINGS.get(op, "unknown " + str(op))

    def __str__(self):
        path = "n/a"
        if self.type not in (OpCode.createSession, OpCode.setWatches, OpCode.closeSession) and self.request:
            # Most request bodies start with the path string.
            try:
                n = int.from_bytes(self.request[0:4], "big", signed=True)
                if 0 <= n <= len(self.request) - 4:
                    path = bytes(self.request[4:4 + n]).decode("utf-8", "replace")
            except Exception:
                pass
        return "sessionid:0x%x type:%s cxid:0x%x zxid:0x%x txntype:%s reqpath:%s" % (
            self.session_id & 0xFFFFFFFFFFFFFFFF,
            self.op2_string(self.type),
            self.cxid & 0xFFFFFFFF,
            self.zxid & 0xFFFFFFFFFFFFFFFF,
            "unknown" if self.hdr is None else str(self.hdr.type),
            path,
        )


# The stop sentinel of the processor threads.
Request.requestOfDeath = Request(None, 0, 0, 0)
