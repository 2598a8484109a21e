"""Real txns of every kind, in an order a DataTree can apply, for the persistence tests."""

from zookeeper_py.data import ACL, Id
from zookeeper_py.server.ephemeral_type import EphemeralType
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.txn import (
    CheckVersionTxn,
    CreateContainerTxn,
    CreateSessionTxn,
    CreateTTLTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    SetACLTxn,
    SetDataTxn,
    Txn,
    TxnHeader,
)
from zookeeper_py.zoo_defs import Ids, OpCode

SESSION_1 = 0x100000A00000001
SESSION_2 = 0x100000A00000002
T0 = 1700000000000
OPEN = list(Ids.OPEN_ACL_UNSAFE)
# digest of user:pw, as DigestAuthenticationProvider.generateDigest makes it
DIGEST_ACL = [ACL(31, Id("digest", "user:2Om+GBbT2q/tS6pdvACZbbm7/1A="))]
READ_ONLY = [ACL(1, Id("world", "anyone"))]


def sample_txns(first_zxid=1, count_extra=0):
    """[(TxnHeader, txn record or None)] covering every txn type; zxids from first_zxid on.

    count_extra more creates under /bulk follow, to make the log as long as needed.
    """
    out = []

    def add(session, op, txn):
        zxid = first_zxid + len(out)
        out.append((TxnHeader(session, len(out), zxid, T0 + len(out) * 7, op), txn))

    add(SESSION_1, OpCode.createSession, CreateSessionTxn(30000))
    add(SESSION_2, OpCode.createSession, CreateSessionTxn(12000))
    add(SESSION_1, OpCode.create, CreateTxn("/a", b"A", OPEN, False, 1))
    add(SESSION_1, OpCode.create2, CreateTxn("/a/b", b"", DIGEST_ACL, False, 1))
    add(SESSION_1, OpCode.createContainer, CreateContainerTxn("/c", b"container", OPEN, 3))
    add(SESSION_1, OpCode.create, CreateTxn("/c/x", None, READ_ONLY, False, 1))
    add(SESSION_1, OpCode.createTTL, CreateTTLTxn("/t", b"ttl", OPEN, 4, 5000))
    add(SESSION_1, OpCode.setData, SetDataTxn("/a", b"A2", 1))
    add(SESSION_1, OpCode.setACL, SetACLTxn("/a/b", OPEN + READ_ONLY, 1))
    add(SESSION_1, OpCode.create, CreateTxn("/a/e1", b"eph", OPEN, True, 2))
    add(SESSION_2, OpCode.create, CreateTxn("/a/e2", b"eph2", OPEN, True, 3))
    add(SESSION_1, OpCode.create, CreateTxn("/a/seq0000000004", "\u00fc\U0001F600".encode(), OPEN, False, 4))
    add(SESSION_1, OpCode.create, CreateTxn("/\u00e4\u00f6\u00fc", bytes(range(256)), OPEN, False, 5))
    add(SESSION_1, OpCode.delete, DeleteTxn("/c/x"))
    add(SESSION_1, OpCode.multi, MultiTxn([
        Txn(OpCode.create, CreateTxn("/m1", b"m", OPEN, False, 6).to_bytes()),
        Txn(OpCode.setData, SetDataTxn("/a", b"A3", 2).to_bytes()),
        Txn(OpCode.check, CheckVersionTxn("/a", 2).to_bytes()),
        Txn(OpCode.delete, DeleteTxn("/a/seq0000000004").to_bytes()),
    ]))
    add(SESSION_1, OpCode.error, ErrorTxn(-101))
    add(SESSION_1, OpCode.create, CreateTxn("/bulk", b"", OPEN, False, 7))
    for i in range(count_extra):
        add(SESSION_1, OpCode.create, CreateTxn("/bulk/n%06d" % i, b"v%d" % i, OPEN, False, i + 1))
    add(SESSION_2, OpCode.closeSession, None)
    return out


def ttl_owner(ttl):
    return EphemeralType.TTL.to_ephemeral_owner(ttl)


def logged_zxids(data_dir, start=1):
    """The zxids in the txn logs of a dataDir, from `start` on."""
    itr = FileTxnSnapLog(data_dir, data_dir).read_txn_log(start)
    zxids = []
    try:
        while itr.get_header() is not None:
            zxids.append(itr.get_header().zxid)
            if not itr.next():
                break
    finally:
        itr.close()
    return zxids
