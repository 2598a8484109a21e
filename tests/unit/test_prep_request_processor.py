"""PrepRequestProcessor.pRequest2Txn, as Java's PrepRequestProcessorTest: every write opcode and
its errors, on an in-memory ZooKeeperServer whose processor thread is never started (p_request
is called directly and the next stage only records what it gets)."""

import pytest

from zookeeper_py.common import system_properties
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import ACL, Id
from zookeeper_py.keeper_exception import Code
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.op import Op
from zookeeper_py.proto import (
    CheckVersionRequest,
    CreateRequest,
    CreateTTLRequest,
    DeleteRequest,
    ReconfigRequest,
    SetACLRequest,
    SetDataRequest,
)
from zookeeper_py.server.prep_request_processor import PrepRequestProcessor
from zookeeper_py.server.request import Request
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer
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
    TxnHeader,
)
from zookeeper_py.zoo_defs import Ids, OpCode, Perms

SESSION = 0x1234
OPEN = list(Ids.OPEN_ACL_UNSAFE)
READ_ONLY = list(Ids.READ_ACL_UNSAFE)


class Recorder:
    """The next processor: keeps what PrepRequestProcessor passes on."""

    def __init__(self):
        self.requests = []

    def process_request(self, request):
        self.requests.append(request)

    def shutdown(self):
        pass


class Prep:
    """A ZooKeeperServer with an in-memory ZKDatabase, one live session and a tree to write to."""

    def __init__(self):
        self.zks = ZooKeeperServer()
        self.zks.set_zk_database(ZKDatabase(None))
        self.zks.create_session_tracker()  # its thread is not started: only the session table is used
        self.zks.session_tracker.add_session(SESSION, 30000)
        self.next = Recorder()
        self.processor = PrepRequestProcessor(self.zks, self.next)
        self.zxid = 0

    def apply(self, hdr_type, txn, session=0):
        """Put a txn straight into the tree (the state the requests are checked against)."""
        self.zxid += 1
        self.zks.set_zxid(self.zxid)
        self.zks.get_zk_database().process_txn(TxnHeader(session, 0, self.zxid, 0, hdr_type), txn)

    def node(self, path, data=b"", acl=OPEN, ephemeral_owner=0, ttl=None):
        parent = self.zks.get_zk_database().get_node(path[:path.rfind("/")] or "/")
        cversion = parent.stat.cversion + 1
        if ttl is not None:
            self.apply(OpCode.createTTL, CreateTTLTxn(path, data, acl, cversion, ttl))
        else:
            self.apply(OpCode.create, CreateTxn(path, data, acl, bool(ephemeral_owner), cversion), ephemeral_owner)

    def request(self, op, record=None, body=None, session=SESSION, auth=None):
        """Run one request through p_request; returns (header type, txn, error code or None)."""
        if record is not None:
            body = record.to_bytes()
        req = Request(None, session, 1, op, body, auth if auth is not None else [])
        self.processor.p_request(req)
        assert self.next.requests[-1] is req
        hdr_type = req.hdr.type if req.hdr is not None else None
        return hdr_type, req.txn, (req.e.code() if req.e is not None else None)

    def error(self, op, record=None, **kw):
        hdr_type, txn, code = self.request(op, record, **kw)
        assert hdr_type == OpCode.error and isinstance(txn, ErrorTxn)
        assert txn.err == int(code)
        return code


@pytest.fixture
def prep():
    return Prep()


# -- create --------------------------------------------------------------------------

def test_create_builds_create_txn_and_change_records(prep):
    hdr_type, txn, code = prep.request(OpCode.create, CreateRequest("/a", b"x", OPEN, 0))
    assert (hdr_type, code) == (OpCode.create, None)
    assert txn == CreateTxn("/a", b"x", OPEN, False, 1)
    # The node exists for the next request already (its ChangeRecord), before the tree has it.
    assert prep.error(OpCode.create, CreateRequest("/a", b"", OPEN, 0)) == Code.NODEEXISTS
    # "" is the root as the parent of /a; its children: /zookeeper and the pending /a.
    assert prep.zks.outstanding_changes_for_path[""].child_count == 2


def test_create2_ephemeral_and_sequential(prep):
    prep.node("/p")
    _, txn, _ = prep.request(OpCode.create2, CreateRequest("/p/e", b"", OPEN, CreateMode.EPHEMERAL.to_flag()))
    assert txn.ephemeral and txn.path == "/p/e"
    seq = CreateMode.PERSISTENT_SEQUENTIAL.to_flag()
    _, txn, _ = prep.request(OpCode.create, CreateRequest("/p/s-", b"", OPEN, seq))
    assert txn.path == "/p/s-0000000001"  # the parent's cversion, the pending create of /p/e counted


def test_create_container_and_ttl(prep):
    _, txn, _ = prep.request(OpCode.createContainer, CreateRequest("/c", b"", OPEN, CreateMode.CONTAINER.to_flag()))
    assert isinstance(txn, CreateContainerTxn)
    # TTL nodes need zookeeper.extendedTypesEnabled (as in Java): Unimplemented without it.
    ttl = CreateTTLRequest("/t", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL.to_flag(), 1000)
    assert prep.error(OpCode.createTTL, ttl) == Code.UNIMPLEMENTED
    system_properties.set_property("zookeeper.extendedTypesEnabled", "true")
    try:
        _, txn, _ = prep.request(OpCode.createTTL, ttl)
        assert isinstance(txn, CreateTTLTxn) and txn.ttl == 1000
        bad = CreateTTLRequest("/t2", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL.to_flag(), 0)
        assert prep.error(OpCode.createTTL, bad) == Code.BADARGUMENTS
    finally:
        system_properties.clear_property("zookeeper.extendedTypesEnabled")


@pytest.mark.parametrize("path, acl, code", [
    ("/none/child", OPEN, Code.NONODE),
    ("noslash", OPEN, Code.BADARGUMENTS),
    ("/a/", OPEN, Code.NONODE),  # the parent is looked up before the path is checked
    ("//a", OPEN, Code.BADARGUMENTS),
    ("/bad\0", OPEN, Code.BADARGUMENTS),
    ("/a", [], Code.INVALIDACL),
    ("/a", [ACL(Perms.ALL, Id("nosuchscheme", "x"))], Code.INVALIDACL),
    ("/a", [ACL(Perms.ALL, Id("auth", ""))], Code.INVALIDACL),  # no authenticated id to expand
])
def test_create_errors(prep, path, acl, code):
    assert prep.error(OpCode.create, CreateRequest(path, b"", acl, 0)) == code


def test_create_under_ephemeral_and_without_permission(prep):
    prep.node("/eph", ephemeral_owner=SESSION)
    assert prep.error(OpCode.create, CreateRequest("/eph/c", b"", OPEN, 0)) == Code.NOCHILDRENFOREPHEMERALS
    prep.node("/ro", acl=READ_ONLY)
    assert prep.error(OpCode.create, CreateRequest("/ro/c", b"", OPEN, 0)) == Code.NOAUTH


def test_write_with_unknown_or_closing_session(prep):
    # An ephemeral needs a global session: SessionExpired for an unknown one (Java's checkGlobalSession).
    eph = CreateRequest("/e", b"", OPEN, CreateMode.EPHEMERAL.to_flag())
    assert prep.error(OpCode.create, eph, session=0x999) == Code.SESSIONEXPIRED
    assert prep.error(OpCode.setData, SetDataRequest("/", b"", -1), session=0x999) == Code.UNKNOWNSESSION
    prep.zks.session_tracker.set_session_closing(SESSION)
    assert prep.error(OpCode.setData, SetDataRequest("/", b"", -1)) == Code.SESSIONEXPIRED


def test_write_from_another_owner_is_session_moved(prep):
    # The session's owner is the connection (or learner) it came through; another one is SessionMoved.
    prep.zks.session_tracker.set_owner(SESSION, object())
    assert prep.error(OpCode.setData, SetDataRequest("/", b"", -1)) == Code.SESSIONMOVED


# -- delete, setData, setACL, check ---------------------------------------------------

def test_delete(prep):
    prep.node("/d")
    prep.node("/d/c")
    assert prep.error(OpCode.delete, DeleteRequest("/d", -1)) == Code.NOTEMPTY
    assert prep.error(OpCode.delete, DeleteRequest("/d/c", 5)) == Code.BADVERSION
    assert prep.error(OpCode.delete, DeleteRequest("/d/none", -1)) == Code.NONODE
    assert prep.error(OpCode.delete, DeleteRequest("/", -1)) == Code.BADARGUMENTS
    assert prep.error(OpCode.delete, DeleteRequest("/zookeeper", -1)) == Code.BADARGUMENTS
    hdr_type, txn, _ = prep.request(OpCode.delete, DeleteRequest("/d/c", 0))
    assert (hdr_type, txn) == (OpCode.delete, DeleteTxn("/d/c"))
    # Pending: the child is gone, so the parent may go now too.
    assert prep.request(OpCode.delete, DeleteRequest("/d", -1))[1] == DeleteTxn("/d")


def test_delete_needs_delete_permission_on_parent(prep):
    prep.node("/ro", acl=READ_ONLY)
    prep.node("/ro/c")
    assert prep.error(OpCode.delete, DeleteRequest("/ro/c", -1)) == Code.NOAUTH
    # 3.6+: the parent's ACL first, so a client that may not delete there does not learn
    # whether the node exists (ours answered NONODE, as 3.5.7 did).
    assert prep.error(OpCode.delete, DeleteRequest("/ro/missing", -1)) == Code.NOAUTH


def test_set_data(prep):
    prep.node("/s", b"v0")
    hdr_type, txn, _ = prep.request(OpCode.setData, SetDataRequest("/s", b"v1", 0))
    assert (hdr_type, txn) == (OpCode.setData, SetDataTxn("/s", b"v1", 1))
    # The pending version is 1 now: version 0 is stale, -1 matches any.
    assert prep.error(OpCode.setData, SetDataRequest("/s", b"v2", 0)) == Code.BADVERSION
    assert prep.request(OpCode.setData, SetDataRequest("/s", b"v2", -1))[1].version == 2
    assert prep.error(OpCode.setData, SetDataRequest("/none", b"", -1)) == Code.NONODE
    assert prep.error(OpCode.setData, SetDataRequest("bad", b"", -1)) == Code.BADARGUMENTS
    prep.node("/ro", acl=READ_ONLY)
    assert prep.error(OpCode.setData, SetDataRequest("/ro", b"", -1)) == Code.NOAUTH


def test_set_acl(prep):
    prep.node("/a")
    hdr_type, txn, _ = prep.request(OpCode.setACL, SetACLRequest("/a", READ_ONLY, 0))
    assert (hdr_type, txn) == (OpCode.setACL, SetACLTxn("/a", READ_ONLY, 1))
    assert prep.error(OpCode.setACL, SetACLRequest("/a", READ_ONLY, 0)) == Code.BADVERSION
    assert prep.error(OpCode.setACL, SetACLRequest("/a", [], -1)) == Code.INVALIDACL
    # An auth ACL takes the caller's authenticated ids (digest here).
    me = Id("digest", "u:x")
    _, txn, _ = prep.request(OpCode.setACL, SetACLRequest("/a", [ACL(Perms.ALL, Id("auth", ""))], -1), auth=[me])
    assert txn.acl == [ACL(Perms.ALL, me)]


def test_check(prep):
    prep.node("/k")
    assert prep.request(OpCode.check, CheckVersionRequest("/k", 0))[1] == CheckVersionTxn("/k", 1)
    assert prep.error(OpCode.check, CheckVersionRequest("/k", 3)) == Code.BADVERSION
    assert prep.error(OpCode.check, CheckVersionRequest("/none", 0)) == Code.NONODE


def test_delete_container(prep):
    # The ContainerManager's request (session 0): the body is the bare path. An ephemeral is
    # refused (BadVersion, as Java's), a parent too.
    prep.node("/eph", ephemeral_owner=SESSION)
    assert prep.error(OpCode.deleteContainer, body=b"/eph", session=0) == Code.BADVERSION
    prep.apply(OpCode.createContainer, CreateContainerTxn("/cc", b"", OPEN, 2))
    prep.node("/cc/x")
    assert prep.error(OpCode.deleteContainer, body=b"/cc", session=0) == Code.NOTEMPTY
    assert prep.error(OpCode.deleteContainer, body=b"/none", session=0) == Code.NONODE
    prep.request(OpCode.delete, DeleteRequest("/cc/x", -1))
    # a client's, whatever its body, is BadArguments: Java reads its header as the path's start
    assert prep.error(OpCode.deleteContainer, body=b"/cc") == Code.BADARGUMENTS
    assert prep.request(OpCode.deleteContainer, body=b"/cc", session=0) == (OpCode.deleteContainer, DeleteTxn("/cc"),
                                                                            None)


# -- sessions -------------------------------------------------------------------------

def test_create_and_close_session(prep):
    hdr_type, txn, _ = prep.request(OpCode.createSession, body=(5000).to_bytes(4, "big"), session=0x77)
    assert (hdr_type, txn) == (OpCode.createSession, CreateSessionTxn(5000))
    assert prep.zks.session_tracker.get_session_timeout(0x77) == 5000
    prep.node("/eph", ephemeral_owner=SESSION)
    prep.request(OpCode.create, CreateRequest("/eph2", b"", OPEN, CreateMode.EPHEMERAL.to_flag()))
    hdr_type, _, _ = prep.request(OpCode.closeSession)
    assert hdr_type == OpCode.closeSession
    # Both ephemerals, the one in the tree and the pending one, get a deleting ChangeRecord.
    changes = prep.zks.outstanding_changes_for_path
    assert changes["/eph"].stat is None and changes["/eph2"].stat is None
    assert prep.zks.session_tracker.sessions_by_id[SESSION].closing


def test_malformed_bodies_are_marshalling_errors(prep):
    # Not a KeeperException: an error txn with MARSHALLINGERROR (Java's getInt() fails on a short body too).
    marshalling = (OpCode.error, ErrorTxn(int(Code.MARSHALLINGERROR)), None)
    assert prep.request(OpCode.createSession, body=b"\0\0", session=0x78) == marshalling
    assert prep.request(OpCode.setData, body=b"\0\0\0\x10/") == marshalling
    assert prep.request(OpCode.multi, body=b"\0\0\0\x01") == marshalling


def test_reads_only_check_the_session(prep):
    assert prep.request(OpCode.getData, body=b"ignored") == (None, None, None)
    prep.zks.session_tracker.set_session_closing(SESSION)
    hdr_type, txn, code = prep.request(OpCode.exists, body=b"")
    assert (hdr_type, txn, code) == (None, None, Code.SESSIONEXPIRED)


def test_reconfig_disabled(prep):
    assert prep.error(OpCode.reconfig, ReconfigRequest("", "", "", -1)) == Code.RECONFIGDISABLED


# -- multi ----------------------------------------------------------------------------

def test_multi_success(prep):
    ops = MultiTransactionRecord([Op.create("/m", b"", OPEN, 0), Op.set_data("/m", b"x", 0), Op.check("/m", 1)])
    hdr_type, txn, code = prep.request(OpCode.multi, ops)
    assert (hdr_type, code) == (OpCode.multi, None)
    assert [t.type for t in txn.txns] == [OpCode.create, OpCode.setData, OpCode.check]


def test_multi_failure_rolls_back(prep):
    prep.node("/m")
    ops = MultiTransactionRecord([Op.create("/m/a", b"", OPEN, 0), Op.delete("/m", -1), Op.set_data("/m", b"", -1)])
    hdr_type, txn, code = prep.request(OpCode.multi, ops)
    # The header stays multi; the failed op and the ones after it are error txns (the ops before it
    # keep theirs: DataTree turns them into errors when it applies a multi with an error in it).
    assert (hdr_type, code) == (OpCode.multi, Code.NOTEMPTY)
    assert isinstance(txn, MultiTxn)
    assert [t.type for t in txn.txns] == [OpCode.create, OpCode.error, OpCode.error]
    assert [ErrorTxn.from_bytes(t.data).err for t in txn.txns[1:]] == [
        int(Code.NOTEMPTY), int(Code.RUNTIMEINCONSISTENCY)]
    # The create of /m/a was rolled back: no ChangeRecord says it exists.
    assert "/m/a" not in prep.zks.outstanding_changes_for_path
    assert prep.request(OpCode.create, CreateRequest("/m/a", b"", OPEN, 0))[1].path == "/m/a"


def test_every_write_takes_a_zxid(prep):
    # A failed write still takes its zxid (an error txn), so the log has no gaps.
    before = prep.zks.get_zxid()
    prep.error(OpCode.delete, DeleteRequest("/none", -1))
    prep.request(OpCode.create, CreateRequest("/z", b"", OPEN, 0))
    assert [r.hdr.zxid for r in prep.next.requests] == [before + 1, before + 2]
