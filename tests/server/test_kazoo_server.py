"""kazoo, a real client, against zookeeper_py's standalone server.

Every test runs twice, against our server and against Java ZooKeeper 3.8 (skipped
where it is not installed), with the same expectations. One server process serves
the module (tests use their own paths); the tests that restart or need other
settings start their own.
"""

import base64
import hashlib
import threading

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    QuotaExceededError,
    RolledBackError,
    RuntimeInconsistency,
    UnimplementedError,
)
from kazoo.protocol.states import EventType, KazooState
from kazoo.retry import KazooRetry
from kazoo.security import make_digest_acl

from tests.conftest import SERVER_KINDS
from tests.support import kazoo_ext
from tests.support.net import wait_until
from zookeeper_py.common.java_hash_order import java_hash_order, string_hash_code

SUPER_PASSWORD = "s3cret"
SUPER_DIGEST = "super:" + base64.b64encode(hashlib.sha1(("super:" + SUPER_PASSWORD).encode()).digest()).decode()


@pytest.fixture(scope="module", params=["python", "java"])
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def server(kind, tmp_path_factory):
    base = tmp_path_factory.mktemp("kazoo-server")
    srv = SERVER_KINDS[kind](
        str(base),
        extra_cfg={"tickTime": "500"},
        flags=[
            "-Dznode.container.checkIntervalMs=200",
            "-Dzookeeper.extendedTypesEnabled=true",
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=" + SUPER_DIGEST,
        ],
    )
    srv.start()
    yield srv
    srv.stop()


def connect(server, **kwargs):
    zk = KazooClient(server.address, **kwargs)
    zk.start(timeout=10)
    return zk


@pytest.fixture
def zk(server):
    client = connect(server)
    yield client
    client.stop()
    client.close()


def events_collector():
    events = []
    cond = threading.Condition()

    def watcher(event):
        with cond:
            events.append(event)
            cond.notify_all()

    def wait_for(n, timeout=10):
        with cond:
            assert cond.wait_for(lambda: len(events) >= n, timeout), "expected %d events, got %r" % (n, events)
        return list(events)

    return watcher, events, wait_for


def test_create_get_set_delete(zk):
    assert zk.create("/crud", b"v0") == "/crud"
    data, stat = zk.get("/crud")
    assert data == b"v0"
    assert (stat.version, stat.dataLength, stat.numChildren, stat.ephemeralOwner) == (0, 2, 0, 0)
    assert stat.czxid == stat.mzxid == stat.pzxid
    stat2 = zk.set("/crud", b"v1", version=0)
    assert stat2.version == 1 and stat2.mzxid > stat.mzxid and stat2.czxid == stat.czxid
    with pytest.raises(BadVersionError):
        zk.set("/crud", b"v2", version=0)
    with pytest.raises(NodeExistsError):
        zk.create("/crud")
    with pytest.raises(NoNodeError):
        zk.create("/no/parent")
    zk.create("/crud/child")
    with pytest.raises(NotEmptyError):
        zk.delete("/crud")
    with pytest.raises(BadVersionError):
        zk.delete("/crud/child", version=5)
    zk.delete("/crud/child", version=0)
    zk.delete("/crud")
    assert zk.exists("/crud") is None
    with pytest.raises(NoNodeError):
        zk.get("/crud")


def test_stat_counts_children_and_cversion(zk):
    zk.create("/cv")
    for i in range(3):
        zk.create("/cv/c%d" % i)
    zk.delete("/cv/c0")
    stat = zk.exists("/cv")
    # cversion counts creates and deletes of children, as Java reports it.
    assert stat.numChildren == 2
    assert stat.cversion == 4
    assert sorted(zk.get_children("/cv")) == ["c1", "c2"]
    children, stat = zk.get_children("/cv", include_data=True)
    assert stat.numChildren == 2


def test_sequential_names_follow_parent_cversion(zk):
    zk.create("/seq")
    first = zk.create("/seq/n-", sequence=True)
    second = zk.create("/seq/n-", b"x", sequence=True)
    assert (first, second) == ("/seq/n-0000000000", "/seq/n-0000000001")
    zk.delete(first)
    third = zk.create("/seq/n-", sequence=True)
    # The counter is the parent's count of creates: a delete does not reuse a number.
    assert third == "/seq/n-0000000002"


def test_ephemeral_gone_after_close(server, zk):
    owner = connect(server)
    owner.create("/eph-close", b"", ephemeral=True)
    stat = zk.exists("/eph-close")
    assert stat.ephemeralOwner == owner.client_id[0]
    gone = threading.Event()
    zk.exists("/eph-close", watch=lambda e: e.type == EventType.DELETED and gone.set())
    owner.stop()
    owner.close()
    assert gone.wait(10)
    assert zk.exists("/eph-close") is None


def test_no_children_for_ephemerals(zk):
    zk.create("/eph-parent", ephemeral=True)
    from kazoo.exceptions import NoChildrenForEphemeralsError

    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create("/eph-parent/child")


def test_ephemeral_gone_after_session_timeout(server, zk):
    from tests.support.raw_zk import RawClient
    from zookeeper_py.data import ACL, Id
    from zookeeper_py.proto import CreateRequest

    raw = RawClient("127.0.0.1", server.client_port)
    rsp = raw.connect(timeout_ms=1000)
    assert rsp.timeOut == 1000  # min session timeout = 2 x tickTime(500)
    hdr, _ = raw.request(1, CreateRequest("/eph-timeout", b"", [ACL(31, Id("world", "anyone"))], 1))
    assert hdr.err == 0
    assert zk.exists("/eph-timeout").ephemeralOwner == raw.session_id
    raw.close()  # no pings, no closeSession: the server must expire the session
    wait_until(lambda: zk.exists("/eph-timeout") is None, timeout=10, message="ephemeral removed by expiry")


def test_data_watch_fires_once(zk):
    zk.create("/w-data", b"a")
    watcher, events, wait_for = events_collector()
    zk.get("/w-data", watch=watcher)
    zk.set("/w-data", b"b")
    zk.set("/w-data", b"c")
    got = wait_for(1)
    assert [(e.type, e.path) for e in got] == [(EventType.CHANGED, "/w-data")]
    # One-shot: the second change fires nothing (a later sync round-trip proves it arrived by now).
    zk.sync("/w-data")
    assert len(events) == 1


def test_child_exists_and_delete_watches(zk):
    zk.create("/w-child")
    watcher, events, wait_for = events_collector()
    zk.get_children("/w-child", watch=watcher)
    zk.exists("/w-child/new", watch=watcher)
    zk.create("/w-child/new")
    got = wait_for(2)
    assert sorted((e.type, e.path) for e in got) == sorted(
        [(EventType.CHILD, "/w-child"), (EventType.CREATED, "/w-child/new")])
    watcher2, events2, wait_for2 = events_collector()
    zk.get("/w-child/new", watch=watcher2)
    zk.get_children("/w-child", watch=watcher2)
    zk.delete("/w-child/new")
    got = wait_for2(2)
    assert sorted((e.type, e.path) for e in got) == sorted(
        [(EventType.DELETED, "/w-child/new"), (EventType.CHILD, "/w-child")])


def test_acl_denial_digest_auth_and_super(server, zk):
    acl = make_digest_acl("alice", "pw", all=True)
    zk.create("/secure", b"secret", acl=[acl])
    with pytest.raises(NoAuthError):
        zk.get("/secure")
    with pytest.raises(NoAuthError):
        zk.set("/secure", b"x")
    with pytest.raises(NoAuthError):  # not NoNode: 3.6+ checks the parent's ACL first
        zk.delete("/secure/missing")
    alice = connect(server, auth_data=[("digest", "alice:pw")])
    try:
        assert alice.get("/secure")[0] == b"secret"
        acls, _ = alice.get_acls("/secure")
        assert acls[0].id.id == acl.id.id
        assert kazoo_ext.who_am_i(alice) == [("ip", "127.0.0.1"), ("digest", "alice")]
    finally:
        alice.stop()
    # Without ADMIN a reader sees the digest user but not its hash (none here: NoAuth for READ too).
    admin = connect(server, auth_data=[("digest", "super:" + SUPER_PASSWORD)])
    try:
        assert admin.get("/secure")[0] == b"secret"
        admin.set("/secure", b"by super")
    finally:
        admin.stop()
    wrong = connect(server, auth_data=[("digest", "alice:wrong")])
    try:
        with pytest.raises(NoAuthError):
            wrong.get("/secure")
    finally:
        wrong.stop()


def test_get_acl_masks_digest_without_admin(server, zk):
    reader_acl = make_digest_acl("bob", "pw", read=True)
    zk.create("/masked", b"", acl=[reader_acl])
    bob = connect(server, auth_data=[("digest", "bob:pw")])
    try:
        acls, _ = bob.get_acls("/masked")
        assert acls[0].id.id == "bob:x"
    finally:
        bob.stop()


def test_auth_acl_scheme_and_invalid_acl(server):
    from kazoo.exceptions import InvalidACLError
    from kazoo.security import ACL, Id

    carol = connect(server, auth_data=[("digest", "carol:pw")])
    try:
        carol.create("/auth-acl", b"", acl=[ACL(31, Id("auth", ""))])
        acls, _ = carol.get_acls("/auth-acl")
        assert acls[0].id.scheme == "digest" and acls[0].id.id.startswith("carol:")
    finally:
        carol.stop()
    anon = connect(server)
    try:
        with pytest.raises(InvalidACLError):
            anon.create("/auth-acl-anon", b"", acl=[ACL(31, Id("auth", ""))])
        with pytest.raises(InvalidACLError):
            anon.create("/bad-acl", b"", acl=[ACL(31, Id("digest", "no-colon"))])
    finally:
        anon.stop()


# Ids Java's own parsing takes or refuses (String.split drops trailing empty parts, Integer.parseInt
# takes no blanks or "_"): one refused here and taken by Java, or the other way, locks a node for good
# once its data directory moves between the two.
@pytest.mark.parametrize("scheme, acl_id, valid", [
    ("digest", "u:", False), ("digest", "::", False), ("digest", "u:x:", True), ("digest", "u:x::", True),
    ("ip", " 127.0.0.1", False), ("ip", "127.0.0.1\n", False), ("ip", "1_27.0.0.1", False),
    ("ip", "127.0.0.1/ 8", False), ("ip", "127.0.0.1/0_8", False), ("ip", "127.0.0.1.", False),
    ("ip", "+127.0.0.1/+8", True), ("ip", "127.0.0.1/8", True),
])
def test_acl_ids_are_parsed_as_java_parses_them(zk, scheme, acl_id, valid):
    from kazoo.exceptions import InvalidACLError
    from kazoo.security import ACL, Id

    path = "/acl-id-%s-%s" % (scheme, hashlib.sha1(acl_id.encode()).hexdigest()[:8])
    acl = [ACL(31, Id(scheme, acl_id)), ACL(31, Id("world", "anyone"))]
    if valid:
        zk.create(path, b"", acl=acl)
        assert [a.id.id for a in zk.get_acls(path)[0]][0] == acl_id
    else:
        with pytest.raises(InvalidACLError):
            zk.create(path, b"", acl=acl)
        assert zk.exists(path) is None


def test_multi_commit_and_rollback(zk):
    t = zk.transaction()
    t.create("/multi")
    t.create("/multi/a", b"1")
    t.set_data("/multi", b"parent")
    t.check("/multi/a", 0)
    results = t.commit()
    assert results[:2] == ["/multi", "/multi/a"]
    assert zk.get("/multi")[0] == b"parent"
    t = zk.transaction()
    t.create("/multi/b")
    t.delete("/multi/missing")
    t.create("/multi/c")
    results = t.commit()
    assert isinstance(results[0], RolledBackError)
    assert isinstance(results[1], NoNodeError)
    # Ops after the failing one report RUNTIMEINCONSISTENCY (-2), ops before it OK (0).
    assert isinstance(results[2], RuntimeInconsistency)
    assert zk.exists("/multi/b") is None and zk.exists("/multi/c") is None
    t = zk.transaction()
    t.check("/multi/a", 7)
    results = t.commit()
    assert isinstance(results[0], BadVersionError)


def test_sync(zk):
    zk.create("/synced", b"x")
    assert zk.sync("/synced") == "/synced"


def test_container_deleted_when_emptied(zk):
    path, stat = kazoo_ext.create_container(zk, "/container")
    assert path == "/container"
    assert stat.ephemeralOwner == 0  # a container's owner marker is not shown to clients
    zk.create("/container/child")
    zk.delete("/container/child")
    wait_until(lambda: zk.exists("/container") is None, timeout=10, message="empty container deleted")


def test_container_never_used_is_kept(zk):
    kazoo_ext.create_container(zk, "/container-unused")
    # A used-then-emptied container created later goes at a check; once it has gone, a
    # check has also looked at the unused one, which must stay (cversion 0).
    kazoo_ext.create_container(zk, "/container-probe")
    zk.create("/container-probe/child")
    zk.delete("/container-probe/child")
    wait_until(lambda: zk.exists("/container-probe") is None, timeout=10, message="probe container deleted")
    assert zk.exists("/container-unused") is not None


def test_ttl_node_expires(zk):
    path, stat = kazoo_ext.create_ttl(zk, "/ttl-node", 300, b"t")
    assert path == "/ttl-node"
    wait_until(lambda: zk.exists("/ttl-node") is None, timeout=10, message="TTL node removed")
    seq_path, _ = kazoo_ext.create_ttl(zk, "/ttl-seq-", 60000, sequential=True)
    assert seq_path.startswith("/ttl-seq-00000")
    with pytest.raises(BadArgumentsError):
        kazoo_ext.create_ttl(zk, "/ttl-bad", 0)


def test_ttl_needs_extended_types(kind, tmp_path):
    srv = SERVER_KINDS[kind](str(tmp_path), extra_cfg={"tickTime": "500"})
    srv.start()
    try:
        client = connect(srv)
        try:
            with pytest.raises(UnimplementedError):
                kazoo_ext.create_ttl(client, "/ttl", 1000)
        finally:
            client.stop()
    finally:
        srv.stop()


def test_persistent_watch(zk):
    zk.create("/pw", b"0")
    watcher, events, wait_for = events_collector()
    kazoo_ext.add_watch(zk, "/pw", watcher)
    zk.set("/pw", b"1")
    zk.set("/pw", b"2")
    zk.create("/pw/kid")
    zk.delete("/pw/kid")
    got = wait_for(4)
    # Persistent: every change, the child events of the node itself, nothing of the grandchildren.
    assert [(e.type, e.path) for e in got] == [
        (EventType.CHANGED, "/pw"), (EventType.CHANGED, "/pw"),
        (EventType.CHILD, "/pw"), (EventType.CHILD, "/pw")]


def test_persistent_recursive_watch(zk):
    zk.create("/rw")
    watcher, events, wait_for = events_collector()
    kazoo_ext.add_watch(zk, "/rw", watcher, recursive=True)
    zk.create("/rw/a")
    zk.create("/rw/a/b", b"x")
    zk.set("/rw/a/b", b"y")
    zk.delete("/rw/a/b")
    got = wait_for(4)
    # Recursive: created/changed/deleted anywhere below, no child events.
    assert [(e.type, e.path) for e in got] == [
        (EventType.CREATED, "/rw/a"), (EventType.CREATED, "/rw/a/b"),
        (EventType.CHANGED, "/rw/a/b"), (EventType.DELETED, "/rw/a/b")]


def test_watches_never_name_nodes_the_session_may_not_read(server, zk):
    # CVE-2024-23944: a recursive watch named the children of nodes its session could not read.
    # Java 3.8.4 and 3.9.2 tell a session of an event only if it may READ the node it is about.
    zk.create("/guarded")
    watcher, events, wait_for = events_collector()
    kazoo_ext.add_watch(zk, "/guarded", watcher, recursive=True)
    one_shot = []
    zk.exists("/guarded/secret", watch=one_shot.append)
    owner = connect(server, auth_data=[("digest", "owner:pw")])
    try:
        owner_watcher, _, owner_wait_for = events_collector()
        kazoo_ext.add_watch(owner, "/guarded", owner_watcher, recursive=True)
        private = [make_digest_acl("owner", "pw", all=True)]
        owner.create("/guarded/secret", b"s", acl=private)
        owner.create("/guarded/secret/user-alice", b"", acl=private)
        owner.set("/guarded/secret", b"t")
        owner.delete("/guarded/secret/user-alice")
        owner.create("/guarded/open")
        # the owner may read them all, so the filter is by ACL, not by path
        assert [(e.type, e.path) for e in owner_wait_for(5)] == [
            (EventType.CREATED, "/guarded/secret"), (EventType.CREATED, "/guarded/secret/user-alice"),
            (EventType.CHANGED, "/guarded/secret"), (EventType.DELETED, "/guarded/secret/user-alice"),
            (EventType.CREATED, "/guarded/open")]
    finally:
        owner.stop()
        owner.close()
    # events come in order on a connection: any about the secret nodes would be before this one
    assert [(e.type, e.path) for e in wait_for(1)] == [(EventType.CREATED, "/guarded/open")]
    assert one_shot == []


def test_no_client_deletes_a_container_or_ttl_node_with_the_container_managers_request(server, zk):
    # opcode 20 is for the ContainerManager alone; Java finds no valid path in a client's.
    from kazoo.exceptions import BadArgumentsError

    owner = connect(server, auth_data=[("digest", "owner:pw")])
    try:
        private = [make_digest_acl("owner", "pw", all=True)]
        owner.create("/owned", acl=private)
        kazoo_ext.create_container(owner, "/owned/container", acl=private)
        kazoo_ext.create_ttl(owner, "/owned/ttl", 3600 * 1000, acl=private)
        for path in ("/owned/container", "/owned/ttl"):
            for client in (zk, owner):
                with pytest.raises(BadArgumentsError):
                    kazoo_ext.delete_container(client, path)
            assert owner.exists(path) is not None
    finally:
        owner.stop()
        owner.close()


def test_get_ephemerals_and_all_children_number(server, zk):
    zk.create("/count/a/b", makepath=True)
    zk.create("/count/c")
    assert kazoo_ext.get_all_children_number(zk, "/count") == 3
    owner = connect(server)
    try:
        owner.create("/count/e1", ephemeral=True)
        owner.create("/count/a/e2", ephemeral=True)
        assert kazoo_ext.get_ephemerals(owner, "/count/a") == ["/count/a/e2"]
        assert kazoo_ext.get_ephemerals(owner) == ["/count/a/e2", "/count/e1"]
    finally:
        owner.stop()


def test_invalid_paths_and_special_nodes(zk):
    from kazoo.exceptions import ZookeeperError

    for bad in ("/bad//path", "/bad/.", "/bad/./x"):
        with pytest.raises((BadArgumentsError, ValueError, ZookeeperError)):
            zk.create(bad)
    for special in ("/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        with pytest.raises(BadArgumentsError):
            zk.delete(special)
    with pytest.raises(NoAuthError):
        zk.set("/zookeeper/config", b"x")


def test_restart_keeps_data_and_resumes_session(kind, tmp_path):
    # A long session timeout: a loaded machine may take many seconds to restart a JVM.
    srv = SERVER_KINDS[kind](str(tmp_path), extra_cfg={"tickTime": "500", "maxSessionTimeout": "60000"})
    srv.start()
    states = []
    # kazoo waits a session timeout divided by the number of hosts for the answer to each
    # ConnectRequest, and doubles its pause between attempts. CI saw one attempt at a restarted
    # Java server left unanswered twice: once kazoo did not reconnect within 50 s, once its 60 s
    # wait outlived the session itself (the new server had started 0.8 s after the old one, so the
    # session it loaded expired while kazoo waited). The address is given three times, so an
    # unanswered attempt costs 20 s of the session's 60, and pauses are capped at 1 s: the session
    # must still be resumed, only kazoo's pacing is not what is tested.
    client = KazooClient(",".join([srv.address] * 3), timeout=60,
                         connection_retry=KazooRetry(max_tries=-1, max_delay=1.0))
    client.add_listener(states.append)
    client.start(timeout=10)
    try:
        session_before = client.client_id
        client.create("/kept", b"data")
        client.create("/mine", ephemeral=True)
        srv.restart()
        wait_until(lambda: client.state == KazooState.CONNECTED and KazooState.SUSPENDED in states, timeout=90,
                   message="client reconnected after the restart")
        assert client.client_id == session_before, srv.output_tail()
        assert client.get("/kept")[0] == b"data"
        # The session survived the restart, so its ephemeral did too.
        assert client.exists("/mine").ephemeralOwner == session_before[0]
        assert KazooState.LOST not in states
    finally:
        client.stop()
        srv.stop()


def test_a_dead_sessions_ephemerals_go_in_java_hash_set_order(server, zk):
    """A closed session's ephemerals are deleted (and their watchers told) in the order Java 3.6+
    deletes them: a clone of the session's HashSet (a table sized for what is left, filled in
    the order of the session's own table, grown for the most it held: 13, so 32 buckets). Ours
    followed a Python set's order, which changes with every process's hash seed."""
    zk.ensure_path("/eph-order")
    owner = connect(server)
    created = ["/eph-order/e%d" % i for i in range(1, 14)]
    try:
        for path in created:
            owner.create(path, ephemeral=True)
        for path in created[2:6]:
            owner.delete(path)
    finally:
        left = [p for p in created if p not in created[2:6]]
        watcher, events, wait_for = events_collector()
        for path in left:
            assert zk.exists(path, watch=watcher) is not None
        owner.stop()
        owner.close()
    deleted = [e.path for e in wait_for(len(left))]
    assert all(e.type == EventType.DELETED for e in events)
    session_order = java_hash_order(left, string_hash_code, 32)
    assert deleted == java_hash_order(session_order, string_hash_code, 16)
    assert deleted != session_order  # 3.5.7's order: the session's table itself


def test_hard_quotas_are_enforced_when_asked(kind, tmp_path):
    """With -Dzookeeper.enforceQuota=true (3.7+), a create or setData that would take a quota's
    subtree past its countHardLimit or byteHardLimit is QUOTAEXCEEDED, as Java's; without it, a
    quota only warns. Ours read neither limit and took every write."""
    for enforce in (True, False):
        server = SERVER_KINDS[kind](str(tmp_path / str(enforce)),
                                    flags=["-Dzookeeper.enforceQuota=%s" % str(enforce).lower()])
        server.start()
        zk = connect(server)
        try:
            zk.create("/qh")
            zk.create("/zookeeper/quota/qh/zookeeper_limits",
                      b"count=-1,bytes=-1,countHardLimit=3,byteHardLimit=20", makepath=True)
            zk.create("/zookeeper/quota/qh/zookeeper_stats", b"count=0,bytes=0")  # the server counts
            zk.create("/qh/c1", b"12345")
            zk.create("/qh/c2", b"12345")  # /qh and two children: count 3, bytes 10
            refused = []
            for write in (lambda: zk.create("/qh/c3"), lambda: zk.set("/qh/c1", b"x" * 16)):
                try:
                    write()
                except QuotaExceededError:
                    refused.append(True)
                else:
                    refused.append(False)
            assert refused == [enforce, enforce]
            zk.set("/qh/c2", b"x" * 15)  # bytes 20: at the limit, not past it
            stats = zk.get("/zookeeper/quota/qh/zookeeper_stats")[0]
            assert stats == (b"count=3,bytes=20" if enforce else b"count=4,bytes=31"), stats
        finally:
            zk.stop()
            zk.close()
            server.stop()


def test_a_container_never_used_goes_after_max_never_used_interval(kind, tmp_path):
    """-Dznode.container.maxNeverUsedIntervalMs (3.6+): an empty container that never had a child
    is deleted once older than that, as Java's ContainerManager does; ours kept it for good.
    One that has a child stays."""
    server = SERVER_KINDS[kind](str(tmp_path), flags=[
        "-Dznode.container.checkIntervalMs=200", "-Dznode.container.maxNeverUsedIntervalMs=1000"])
    server.start()
    zk = connect(server)
    try:
        kazoo_ext.create_container(zk, "/never-used")
        kazoo_ext.create_container(zk, "/used")
        zk.create("/used/child")
        watcher, events, wait_for = events_collector()
        assert zk.exists("/never-used", watch=watcher) is not None
        event = wait_for(1, timeout=15)[0]
        assert (event.type, event.path) == (EventType.DELETED, "/never-used")
        assert zk.exists("/used") is not None
    finally:
        zk.stop()
        zk.close()
        server.stop()


def test_auth_acl_takes_every_identity_in_javas_order(server):
    # "auth" expands to the session's authenticated ids in the order Java keeps them (a
    # ConcurrentHashMap key set, which whoAmI lists too): u2 before u1 here. Ours kept the order
    # of addauth, so getACL, the txn and the snapshot differed from Java's.
    from kazoo.security import ACL, Id

    zk = connect(server, auth_data=[("digest", "u1:p1"), ("digest", "u2:p2")])
    try:
        zk.create("/auth-order", b"", acl=[ACL(31, Id("auth", ""))])
        acls, _ = zk.get_acls("/auth-order")
        users = [user for scheme, user in kazoo_ext.who_am_i(zk) if scheme == "digest"]
        assert users == ["u2", "u1"]
        assert [(a.id.scheme, a.id.id.split(":")[0]) for a in acls] == [("digest", "u2"), ("digest", "u1")]
    finally:
        zk.stop()
        zk.close()

