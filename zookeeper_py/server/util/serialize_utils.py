"""Mirror of org.apache.zookeeper.server.util.SerializeUtils."""

import logging
import struct

from zookeeper_py.common.gc_tuning import gc_paused
from zookeeper_py.jute import JuteEOFError, JuteIOError
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.txn import (
    CheckVersionTxn,
    CloseSessionTxn,
    CreateContainerTxn,
    CreateSessionTxn,
    CreateTTLTxn,
    CreateTxn,
    CreateTxnV0,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    TxnDigest,
    TxnHeader,
)
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("SerializeUtils")

# The txn record that follows a TxnHeader of each type.
TXN_RECORD_CLASSES = {
    # This isn't really an error txn; it just has the same format. The error represents the timeout.
    OpCode.createSession: CreateSessionTxn,
    OpCode.create: CreateTxn,
    OpCode.create2: CreateTxn,
    OpCode.createTTL: CreateTTLTxn,
    OpCode.createContainer: CreateContainerTxn,
    OpCode.delete: DeleteTxn,
    OpCode.deleteContainer: DeleteTxn,
    OpCode.reconfig: SetDataTxn,
    OpCode.setData: SetDataTxn,
    OpCode.setACL: SetACLTxn,
    OpCode.error: ErrorTxn,
    OpCode.multi: MultiTxn,
    # Not in Java: a client may send `check` outside a multi; Java logs it as a txn of
    # type check, then cannot read its own log back. Reading it (a no-op) keeps the
    # server able to restart.
    OpCode.check: CheckVersionTxn,
}

_DIGEST_SIZE = 12  # int version + long treeDigest
_SESSION = struct.Struct(">qi")
_CREATE = OpCode.create
_CLOSE_SESSION = OpCode.closeSession


class SerializeUtils:
    """Mirror of org.apache.zookeeper.server.util.SerializeUtils."""

    @staticmethod
    def deserialize_txn(txn_bytes, hdr=None):
        """3.5.7's deserializeTxn(bytes, hdr): fill `hdr`, return the txn record (None for closeSession)."""
        h, txn, _ = SerializeUtils.deserialize_txn_entry(txn_bytes)
        if hdr is not None:
            hdr.copy_from(h)
        return txn

    @staticmethod
    def deserialize_txn_entry(txn_bytes, close_session_txn=False):
        """(TxnHeader, txn record or None, TxnDigest or None) from one log entry or PROPOSAL body.

        closeSession gives None as in 3.5.7, which ignores a 3.6+ CloseSessionTxn body;
        pass close_session_txn=True to get that body (as 3.8 does) when it is there.
        A 3.6+ TxnDigest after the record is returned when present, None when absent.
        Raises JuteEOFError when the bytes end inside the header or the record.
        """
        hdr, txn, digest, _ = SerializeUtils.decode_txn_entry(txn_bytes, close_session_txn)
        return hdr, txn, digest

    @staticmethod
    def decode_txn_entry(txn_bytes, close_session_txn=False):
        """deserialize_txn_entry's three, and whether txn_bytes are exactly what
        Util.marshall_txn_entry(hdr, txn) writes: no digest, nothing after the record, and not
        a 3.4 CreateTxnV0 (read as a CreateTxn). Ours: a learner logs such bytes as they came."""
        end = len(txn_bytes)
        try:
            hdr, pos = TxnHeader._decode(txn_bytes, 0)
        except struct.error:
            raise JuteEOFError("txn header ends early") from None
        op = hdr.type
        if op == _CLOSE_SESSION:
            # 3.5.7 has no record here; 3.6+ writes CloseSessionTxn{paths2Delete} (+ digest).
            txn = digest = None
            exact = pos == end
            if pos < end:
                try:
                    body, bpos = CloseSessionTxn.decode(txn_bytes, pos)
                    if end - bpos >= _DIGEST_SIZE:
                        digest = TxnDigest._decode(txn_bytes, bpos)[0]
                    if close_session_txn:
                        txn = body
                        exact = bpos == end
                except JuteIOError:
                    pass
            return hdr, txn, digest, exact
        cls = TXN_RECORD_CLASSES.get(op)
        if cls is None:
            # (sic) Java's message has the literal %d.
            raise JuteIOError("Unsupported Txn with type=%d" + str(op))
        try:
            txn, pos = cls._decode(txn_bytes, pos)
            exact = pos == end
        except (JuteEOFError, struct.error):
            if op != _CREATE:
                raise JuteEOFError("txn record %s ends early" % cls.__name__) from None
            # perhaps this is a V0 Create: make it V1; a -1 parentCVersion triggers
            # fixup processing in processTxn
            v0, pos = CreateTxnV0.decode(txn_bytes, pos)
            txn = CreateTxn(v0.path, v0.data, v0.acl, v0.ephemeral, -1)
            exact = False
        digest = None
        if end - pos >= _DIGEST_SIZE:
            digest = TxnDigest._decode(txn_bytes, pos)[0]
        return hdr, txn, digest, exact

    @staticmethod
    def deserialize_snapshot(dt, ia, sessions):
        """Sessions (count, then id/timeout pairs) and then the tree."""
        count = ia.read_int("count")
        while count > 0:
            sid = ia.read_long("id")
            to = ia.read_int("timeout")
            sessions[sid] = to
            count -= 1
        with gc_paused():
            dt.deserialize(ia, "tree")

    @staticmethod
    def serialize_snapshot(dt, oa, sessions):
        sess_snap = dict(sessions)
        oa.write_int(len(sess_snap), "count")
        for sid, timeout in sess_snap.items():
            oa.write_long(sid, "id")
            oa.write_int(timeout, "timeout")
        dt.serialize(oa, "tree")

    @staticmethod
    def serialize_request(request):
        """The bytes of a PROPOSAL: TxnHeader + txn (+ digest), or None without a header."""
        if request is None or request.hdr is None:
            return None
        data = request.txn_bytes
        if data is None:
            data = request.txn_bytes = Util.marshall_txn_entry(request.hdr, request.txn, request.txn_digest)
        return data
