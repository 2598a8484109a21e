"""Every ZooKeeper API call, blocking and async, against our server and Java 3.8."""

import base64
import hashlib
import threading

import pytest

from tests.client.conftest import Result
from zookeeper_py.async_callback import Children2Callback, Create2Callback, StringCallback
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import ACL, Id, Stat
from zookeeper_py.keeper_exception import (
    BadArgumentsException,
    BadVersionException,
    Code,
    InvalidACLException,
    KeeperException,
    NoAuthException,
    NodeExistsException,
    NoNodeException,
    NotEmptyException,
)
from zookeeper_py.op import Op
from zookeeper_py.op_result import CheckResult, CreateResult, DeleteResult, ErrorResult, SetDataResult
from zookeeper_py.zk_util import ZKUtil
from zookeeper_py.zoo_defs import Ids, Perms
from zookeeper_py.zookeeper import States

OPEN = Ids.OPEN_ACL_UNSAFE


def digest(user, password):
    """DigestAuthenticationProvider.generateDigest."""
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


# -- create --

def test_create_modes_sync(zk, base_path):
    p = base_path
    assert zk.create(p + "/per", b"1", OPEN, CreateMode.PERSISTENT) == p + "/per"
    seq = zk.create(p + "/seq-", b"", OPEN, CreateMode.PERSISTENT_SEQUENTIAL)
    assert seq == p + "/seq-0000000001"
    eph = zk.create(p + "/eph", None, OPEN, CreateMode.EPHEMERAL)
    assert zk.exists(eph).ephemeralOwner == zk.get_session_id()
    eseq = zk.create(p + "/eseq-", None, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL)
    assert eseq == p + "/eseq-0000000003"
    cont = zk.create(p + "/cont", None, OPEN, CreateMode.CONTAINER)
    # Clients see owner 0 for containers and TTL nodes (DataNode.getClientEphemeralOwner).
    assert zk.exists(cont).ephemeralOwner == 0
    # A null data buffer is stored as empty.
    assert zk.get_data(eph, False) in (b"", None)


def test_create2_fills_stat_and_ttl(zk, base_path):
    stat = Stat()
    path = zk.create(base_path + "/c2", b"abc", OPEN, CreateMode.PERSISTENT, stat)
    assert path == base_path + "/c2"
    assert stat.dataLength == 3 and stat.czxid == stat.mzxid and stat.version == 0
    assert zk.exists(path) == stat
    stat = Stat()
    ttl = zk.create(base_path + "/ttl", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL, stat, 60000)
    assert ttl == base_path + "/ttl"
    assert stat.ephemeralOwner == 0 and stat.czxid > 0
    with pytest.raises(ValueError, match="ttl must be positive"):
        zk.create(base_path + "/ttl2", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL, stat, 0)


def test_create_errors(zk, base_path):
    with pytest.raises(NodeExistsException) as e:
        zk.create(base_path, b"", OPEN, CreateMode.PERSISTENT)
    assert str(e.value) == "KeeperErrorCode = NodeExists for " + base_path
    with pytest.raises(NoNodeException) as e:
        zk.create(base_path + "/x/y", b"", OPEN, CreateMode.PERSISTENT)
    assert e.value.code() == Code.NONODE and e.value.get_path() == base_path + "/x/y"
    eph = zk.create(base_path + "/e", b"", OPEN, CreateMode.EPHEMERAL)
    with pytest.raises(KeeperException) as e:
        zk.create(eph + "/child", b"", OPEN, CreateMode.PERSISTENT)
    assert e.value.code() == Code.NOCHILDRENFOREPHEMERALS
    with pytest.raises(InvalidACLException):
        zk.create(base_path + "/noacl", b"", [], CreateMode.PERSISTENT)
    with pytest.raises(ValueError, match="Path must not end with / character"):
        zk.create(base_path + "/", b"", OPEN, CreateMode.PERSISTENT)


def test_create_async_string_and_create2(zk, base_path):
    r1 = Result()
    zk.create(base_path + "/a", b"x", OPEN, CreateMode.PERSISTENT, r1, "ctx1")
    rc, path, ctx, name = r1.wait()
    assert (rc, path, ctx, name) == (0, base_path + "/a", "ctx1", base_path + "/a")
    assert r1.thread.endswith("-EventThread")

    r2 = Result()
    zk.create(base_path + "/b", b"xy", OPEN, CreateMode.PERSISTENT_SEQUENTIAL,
              lambda rc, p, c, n, s: r2(rc, p, c, n, s), None)
    rc, path, ctx, name, stat = r2.wait()
    assert rc == 0 and name == base_path + "/b0000000001" and stat.dataLength == 2

    class S(StringCallback):
        def __init__(self):
            self.r = Result()

        def process_result(self, rc, path, ctx, name):
            self.r(rc, path, ctx, name)

    class C2(Create2Callback):
        def __init__(self):
            self.r = Result()

        def process_result(self, rc, path, ctx, name, stat):
            self.r(rc, path, ctx, name, stat)

    s, c2 = S(), C2()
    zk.create(base_path + "/a", b"", OPEN, CreateMode.PERSISTENT, s, 7)
    assert s.r.wait() == (Code.NODEEXISTS, base_path + "/a", 7, None)
    zk.create(base_path + "/ttl", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL, c2, None, 1000)
    rc, _, _, name, stat = c2.r.wait()
    assert rc == 0 and name == base_path + "/ttl" and stat is not None


# -- delete, exists, data --

def test_delete_sync_and_async(zk, base_path):
    zk.create(base_path + "/d", b"", OPEN, CreateMode.PERSISTENT)
    zk.create(base_path + "/d/c", b"", OPEN, CreateMode.PERSISTENT)
    with pytest.raises(NotEmptyException):
        zk.delete(base_path + "/d", -1)
    with pytest.raises(BadVersionException) as e:
        zk.delete(base_path + "/d/c", 5)
    assert str(e.value) == "KeeperErrorCode = BadVersion for %s/d/c" % base_path
    zk.delete(base_path + "/d/c", 0)
    r = Result()
    zk.delete(base_path + "/d", -1, r, "c")
    assert r.wait() == (0, base_path + "/d", "c")
    r = Result()
    zk.delete(base_path + "/d", -1, r, None)
    assert r.wait() == (Code.NONODE, base_path + "/d", None)
    with pytest.raises(BadArgumentsException):
        zk.delete("/zookeeper", -1)


def test_exists_get_set_data(zk, base_path):
    p = base_path + "/n"
    assert zk.exists(p) is None
    zk.create(p, b"v0", OPEN, CreateMode.PERSISTENT)
    st = zk.exists(p)
    assert st.version == 0 and st.dataLength == 2
    stat = Stat()
    assert zk.get_data(p, False, stat) == b"v0"
    assert stat == st
    st2 = zk.set_data(p, b"v1", 0)
    assert st2.version == 1 and st2.mzxid > st.mzxid
    with pytest.raises(BadVersionException):
        zk.set_data(p, b"v2", 0)
    with pytest.raises(NoNodeException):
        zk.get_data(p + "x", False)
    big = bytes(range(256)) * 1024  # 256 KiB survives the round trip
    zk.set_data(p, big, -1)
    assert zk.get_data(p, False) == big

    r = Result()
    zk.exists(p, False, r, "e")
    rc, path, ctx, stat = r.wait()
    assert rc == 0 and ctx == "e" and stat.version == 2
    r = Result()
    zk.exists(p + "x", False, r, None)
    assert r.wait() == (Code.NONODE, p + "x", None, None)
    r = Result()
    zk.get_data(p, False, r, 1)
    rc, path, ctx, data, stat = r.wait()
    assert (rc, path, ctx, data == big, stat.version) == (0, p, 1, True, 2)
    r = Result()
    zk.get_data(p + "x", False, r, 1)
    assert r.wait() == (Code.NONODE, p + "x", 1, None, None)
    r = Result()
    zk.set_data(p, b"z", 2, r, None)
    rc, path, ctx, stat = r.wait()
    assert rc == 0 and stat.version == 3
    r = Result()
    zk.set_data(p, b"z", 2, r, None)
    assert r.wait() == (Code.BADVERSION, p, None, None)


def test_bad_data_type_raises_in_caller(zk, base_path):
    with pytest.raises(TypeError):
        zk.set_data(base_path, "not bytes", -1)
    # The connection is unharmed.
    assert zk.exists(base_path) is not None


# -- ACLs and auth --

def test_acl_and_digest_auth(clients, zk, base_path):
    p = base_path + "/secret"
    acl = [ACL(Perms.ALL, Id("digest", digest("alice", "pw")))]
    zk.create(p, b"s", acl, CreateMode.PERSISTENT)
    with pytest.raises(NoAuthException) as e:
        zk.get_data(p, False)
    assert str(e.value) == "KeeperErrorCode = NoAuth for " + p
    zk.add_auth_info("digest", b"alice:pw")
    stat = Stat()
    got = zk.get_acl(p, stat)  # (3.6+ servers want READ or ADMIN for getACL)
    assert got == acl and stat.aversion == 0
    assert zk.get_data(p, False) == b"s"
    st = zk.set_acl(p, [ACL(Perms.READ | Perms.ADMIN, Id("digest", digest("alice", "pw")))], 0)
    assert st.aversion == 1
    with pytest.raises(BadVersionException):
        zk.set_acl(p, OPEN, 0)
    r = Result()
    zk.get_acl(p, None, r, "a")
    rc, path, ctx, acl2, stat = r.wait()
    assert rc == 0 and acl2[0].perms == Perms.READ | Perms.ADMIN and stat.aversion == 1
    r = Result()
    zk.set_acl(p, OPEN, 1, r, None)
    rc, path, ctx, stat = r.wait()
    assert rc == 0 and stat.aversion == 2
    # The auth scheme "auth" means: every identity of this session.
    q = zk.create(base_path + "/mine", b"", Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT)
    assert zk.get_acl(q, None)[0].id == Id("digest", digest("alice", "pw"))
    other = clients.new()
    with pytest.raises(NoAuthException):
        other.get_data(q, False)
    info = {(c.authScheme, c.user) for c in zk.who_am_i()}
    assert ("digest", "alice") in info and ("ip", "127.0.0.1") in info


def test_bad_digest_auth_fails_session(clients):
    zk = clients.new()
    # A scheme the server has no provider for is refused: AuthFailed event, AUTH_FAILED state.
    zk.add_auth_info("nosuchscheme", b"x")
    zk.log.wait_for(lambda e: str(e.get_state()) == "AuthFailed", what="AuthFailed")
    assert zk.get_state() is States.AUTH_FAILED
    with pytest.raises(KeeperException) as e:
        zk.exists("/")
    assert e.value.code() == Code.AUTHFAILED


# -- children --

def test_get_children_forms(zk, base_path):
    for name in ("b", "a", "c"):
        zk.create(base_path + "/" + name, b"", OPEN, CreateMode.PERSISTENT)
    assert sorted(zk.get_children(base_path, False)) == ["a", "b", "c"]
    stat = Stat()
    assert sorted(zk.get_children(base_path, False, stat)) == ["a", "b", "c"]
    assert stat.numChildren == 3 and stat.cversion == 3
    r = Result()
    zk.get_children(base_path, False, lambda rc, p, ctx, ch: r(rc, p, ctx, ch), "x")
    rc, path, ctx, children = r.wait()
    assert rc == 0 and sorted(children) == ["a", "b", "c"] and ctx == "x"
    r2 = Result()

    class C2(Children2Callback):
        def process_result(self, rc, path, ctx, children, stat):
            r2(rc, path, ctx, children, stat)

    zk.get_children(base_path, False, C2(), None)
    rc, path, ctx, children, stat = r2.wait()
    assert rc == 0 and stat.numChildren == 3
    r3 = Result()
    zk.get_children(base_path + "/none", False, r3, None)
    assert r3.wait()[:2] == (Code.NONODE, base_path + "/none")
    assert zk.get_all_children_number(base_path) == 3
    r4 = Result()
    zk.get_all_children_number(base_path, r4, "n")
    assert r4.wait() == (0, base_path, "n", 3)


def test_ephemerals_and_config(zk, base_path):
    e1 = zk.create(base_path + "/e1", b"", OPEN, CreateMode.EPHEMERAL)
    e2 = zk.create(base_path + "/e2", b"", OPEN, CreateMode.EPHEMERAL)
    assert sorted(zk.get_ephemerals(base_path)) == [e1, e2]
    assert set(zk.get_ephemerals()) >= {e1, e2}
    r = Result()
    zk.get_ephemerals(base_path + "/e1", r, "c")
    assert r.wait() == (0, "c", [e1])
    r = Result()
    zk.get_ephemerals(r, None)
    assert set(r.wait()[2]) >= {e1, e2}
    stat = Stat()
    zk.get_config(False, stat)  # standalone: whatever /zookeeper/config holds
    assert stat.czxid == 0
    r = Result()
    zk.get_config(False, r, None)
    assert r.wait()[:2] == (0, "/zookeeper/config")


# -- multi --

def test_multi_and_transaction(zk, base_path):
    p = base_path
    results = zk.multi([
        Op.create(p + "/m1", b"a", OPEN, CreateMode.PERSISTENT),
        Op.create(p + "/m2", b"b", OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
        Op.set_data(p + "/m1", b"c", 0),
        Op.check(p + "/m1", 1),
        Op.delete(p + "/m1", 1),
    ])
    assert [type(x) for x in results] == [CreateResult, CreateResult, SetDataResult, CheckResult, DeleteResult]
    assert results[1].get_path() == p + "/m20000000001"
    assert results[2].get_stat().version == 1
    assert zk.exists(p + "/m1") is None

    with pytest.raises(NoNodeException) as e:
        zk.multi([Op.create(p + "/m3", b"", OPEN, CreateMode.PERSISTENT), Op.delete(p + "/zz", -1),
                  Op.set_data(p, b"", -1)])
    got = e.value.get_results()
    assert [r.get_err() for r in got] == [0, Code.NONODE, Code.RUNTIMEINCONSISTENCY]
    assert zk.exists(p + "/m3") is None  # all or nothing

    t = zk.transaction().create(p + "/t", b"", OPEN, CreateMode.PERSISTENT).set_data(p + "/t", b"x", 0)
    assert [type(x) for x in t.commit()] == [CreateResult, SetDataResult]

    r = Result()
    zk.multi([Op.check(p + "/t", 1), Op.delete(p + "/t", 1)], r, "m")
    rc, path, ctx, res = r.wait()
    assert rc == 0 and ctx == "m" and [type(x) for x in res] == [CheckResult, DeleteResult]
    r = Result()
    zk.multi([Op.check(p + "/t", 1)], r, None)
    rc, path, ctx, res = r.wait()
    assert rc == Code.NONODE and [x.get_err() for x in res] == [Code.NONODE]
    # A malformed op fails on the client: BADARGUMENTS, nothing sent.
    r = Result()
    zk.multi([Op.check(p, 0), Op.delete("bad", -1)], r, None)
    rc, path, ctx, res = r.wait()
    assert rc == Code.BADARGUMENTS and [x.get_err() for x in res] == [Code.RUNTIMEINCONSISTENCY, Code.BADARGUMENTS]
    # An empty multi is answered locally.
    assert zk.multi([]) == []
    r = Result()
    zk.multi([], r, "empty")
    assert r.wait() == (0, None, "empty", [])
    assert isinstance(results[0], CreateResult) and not isinstance(results[0], ErrorResult)


def test_multi_container_and_ttl_creates(zk, base_path):
    """createContainer and createTTL ops answer with create2 results (path and Stat)."""
    res = zk.multi([Op.create(base_path + "/c", b"", OPEN, CreateMode.CONTAINER),
                    Op.create(base_path + "/t", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL, 60000),
                    Op.create(base_path + "/p", b"", OPEN, CreateMode.PERSISTENT)])
    assert [(r.get_type(), r.get_path()) for r in res] == [
        (15, base_path + "/c"), (15, base_path + "/t"), (1, base_path + "/p")]
    assert res[0].get_stat().czxid > 0 and res[2].get_stat() is None


def test_multi_read(zk, base_path):
    zk.create(base_path + "/r", b"data", OPEN, CreateMode.PERSISTENT)
    res = zk.multi([Op.get_data(base_path + "/r"), Op.get_children(base_path), Op.get_data(base_path + "/none")])
    assert res[0].get_data() == b"data" and res[1].get_children() == ["r"]
    assert isinstance(res[2], ErrorResult) and res[2].get_err() == Code.NONODE


def test_delete_recursive_and_tree_walks(zk, base_path):
    for sub in ("/a", "/a/b", "/a/b/c", "/d"):
        zk.create(base_path + sub, b"", OPEN, CreateMode.PERSISTENT)
    assert ZKUtil.list_sub_tree_bfs(zk, base_path + "/a") == [base_path + "/a", base_path + "/a/b",
                                                             base_path + "/a/b/c"]
    seen = []
    ZKUtil.visit_sub_tree_dfs(zk, base_path, False, lambda rc, path, ctx, name: seen.append(path))
    assert seen == [base_path, base_path + "/a", base_path + "/d", base_path + "/a/b", base_path + "/a/b/c"]
    assert ZKUtil.delete_recursive(zk, base_path + "/a", 2) is True
    assert zk.get_children(base_path, False) == ["d"]


# -- sync, chroot, session facts --

def test_sync(zk, base_path):
    r = Result()
    zk.sync(base_path, r, "s")
    assert r.wait() == (0, base_path, "s")
    zk.sync(base_path)


def test_chroot(clients, zk, base_path):
    zk.create(base_path + "/in", b"1", OPEN, CreateMode.PERSISTENT)
    c = clients.new(base_path)
    assert sorted(c.get_children("/", False)) == ["in"]
    assert c.get_data("/in", False) == b"1"
    assert c.create("/new", b"", OPEN, CreateMode.PERSISTENT_SEQUENTIAL) == "/new0000000001"
    r = Result()
    c.create("/new2", b"", OPEN, CreateMode.PERSISTENT, r, None)
    assert r.wait() == (0, "/new2", None, "/new2")
    res = c.multi([Op.create("/m", b"", OPEN, CreateMode.PERSISTENT), Op.delete("/m", -1)])
    assert len(res) == 2 and zk.exists(base_path + "/m") is None
    assert zk.exists(base_path + "/new0000000001") is not None
    with pytest.raises(NoNodeException) as e:
        c.get_data("/missing", False)
    assert e.value.get_path() == "/missing"
    # The chroot itself is "/" for this client.
    assert c.exists("/").numChildren == 3


def test_session_facts_and_threads(clients):
    zk = clients.new()
    assert zk.get_session_id() != 0
    assert len(zk.get_session_passwd()) == 16
    assert zk.get_session_timeout() == 10000
    assert "State:CONNECTED Timeout:10000 sessionid:0x" in str(zk)
    names = {t.name for t in threading.enumerate()}
    assert "main-EventThread" in names
    host, port = clients.address.split(":")
    assert "main-SendThread(%s:%s)" % (host, port) in names
    zk.close()
    assert zk.get_state() is States.CLOSED
    assert zk.log.wait_for(lambda e: str(e.get_state()) == "Closed", what="Closed event")
    # Requests after close fail at once with SessionExpired, like Java.
    with pytest.raises(KeeperException) as e:
        zk.exists("/")
    assert e.value.code() == Code.SESSIONEXPIRED
    zk.close()  # a second close is a no-op


def test_many_async_requests_keep_order(zk, base_path):
    zk.create(base_path + "/o", b"", OPEN, CreateMode.PERSISTENT)
    seen = []
    done = threading.Event()
    n = 2000

    def cb(rc, path, ctx, stat):
        seen.append(ctx)
        if ctx == n - 1:
            done.set()

    for i in range(n):
        zk.set_data(base_path + "/o", str(i).encode(), -1, cb, i)
    assert done.wait(60)
    assert seen == list(range(n))
    assert zk.get_data(base_path + "/o", False) == str(n - 1).encode()
