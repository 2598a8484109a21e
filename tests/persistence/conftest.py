"""Fixtures of the persistence tests: a data directory written by Java ZooKeeper 3.8.

`java_written` runs a Java server once per test session with a small snapCount, so
the log rolls and several snapshots are taken, and drives it with kazoo through
every kind of txn. It records the tree as the Java server reports it (through
kazoo and the `dump` four-letter word) while one session is still open, then stops
the server without closing that session, so its ephemerals stay on disk.
"""

import os
import re
import shutil

import pytest

from tests.support import java_zk
from tests.support.net import four_letter_word, wait_until

SNAP_COUNT = 10


class JavaWritten:
    """What the Java server wrote and what it reported about it."""

    def __init__(self, base_dir, data_dir):
        self.base_dir = base_dir
        self.data_dir = data_dir  # the zoo.cfg dataDir (version-2 is below it)
        self.nodes = {}  # path -> (data, ZnodeStat, acl list, sorted children)
        self.sessions = {}  # session id -> timeout ms (ids from `dump`, timeouts from `cons`)
        self.ephemerals = {}  # session id -> set of paths, from `dump`
        self.live_session = None
        self.closed_session = None
        self.server_log = ""
        self.live_copy = None  # dataDir copied while the server was still running

    @property
    def version_dir(self):
        return os.path.join(self.data_dir, "version-2")

    def copy_to(self, target):
        """A copy of the data dir (tests damage copies, never the original)."""
        shutil.copytree(self.data_dir, target)
        return target


def kazoo_tree(zk):
    """Every node as kazoo sees it: path -> (data, stat, acls, sorted children)."""
    nodes = {}
    stack = ["/"]
    while stack:
        path = stack.pop()
        data, stat = zk.get(path)
        acls, _ = zk.get_acls(path)
        children = sorted(zk.get_children(path))
        nodes[path] = (data, stat, acls, children)
        for c in children:
            stack.append((path.rstrip("/") + "/" + c))
    return nodes


def parse_dump(text):
    """(set of session ids, {id: set(paths)}) from the standalone `dump` 4lw of 3.8."""
    sessions = set()
    ephemerals = {}
    section = None
    current = None
    for line in text.splitlines():
        if line.startswith("Session Sets"):
            section = "sessions"
        elif line.startswith("ephemeral nodes dump"):
            section = "ephemerals"
        elif section == "sessions" and re.match(r"^\t0x[0-9a-f]+$", line):
            sessions.add(int(line.strip(), 16))
        elif section == "ephemerals" and re.match(r"^0x[0-9a-f]+:$", line):
            current = int(line[:-1], 16)
            ephemerals[current] = set()
        elif section == "ephemerals" and line.startswith("\t/") and current is not None:
            ephemerals[current].add(line.strip())
        elif section == "ephemerals" and not line.startswith(("\t", "Sessions with")):
            section = None
    return sessions, ephemerals


def parse_cons_timeouts(text):
    """{session id: negotiated timeout ms} from the `cons` 4lw."""
    return {int(m.group(1), 16): int(m.group(2)) for m in re.finditer(r"sid=0x([0-9a-f]+).*?,to=(\d+)", text)}


def create_container(zk, path, data=b""):
    """createContainer (opcode 19), which kazoo has no method for."""
    from kazoo.protocol.serialization import Create2
    from kazoo.security import OPEN_ACL_UNSAFE

    class CreateContainer(Create2):
        type = 19

    result = zk.handler.async_result()
    zk._call(CreateContainer(path, data, OPEN_ACL_UNSAFE, 4), result)
    return result.get(timeout=10)


def create_ttl(zk, path, data, ttl, sequential=False):
    """createTTL (opcode 21): a persistent node with a TTL (needs extendedTypesEnabled)."""
    from kazoo.protocol.serialization import Create2, long_struct
    from kazoo.security import OPEN_ACL_UNSAFE

    class CreateTTL(Create2):
        type = 21

        def serialize(self):
            return super().serialize() + long_struct.pack(ttl)

    result = zk.handler.async_result()
    zk._call(CreateTTL(path, data, OPEN_ACL_UNSAFE, 6 if sequential else 5), result)
    return result.get(timeout=10)


def run_workload(zk, zk2):
    """Every kind of txn, a few times over, so snapCount=10 rolls the log several times."""
    from kazoo.security import make_digest_acl

    zk.add_auth("digest", "user:pw")
    zk.create("/app", b"root")
    zk.create("/app/p1", b"one")
    for i in range(5):
        zk.create("/app/seq-", b"s%d" % i, sequence=True)
    zk.create("/app/eph", b"mine", ephemeral=True)
    zk.create("/app/eph-seq-", b"", ephemeral=True, sequence=True)
    create_container(zk, "/cont", b"c")
    zk.create("/cont/child", b"x")
    create_ttl(zk, "/ttl", b"t", 3600 * 1000)
    create_ttl(zk, "/ttl-seq-", b"t", 7200 * 1000, sequential=True)
    for i in range(4):
        zk.set("/app/p1", b"one v%d" % i)
    zk.create("/app/tmp", b"gone soon")
    zk.delete("/app/tmp")
    secure = make_digest_acl("user", "pw", all=True)
    zk.create("/app/secure", b"secret", acl=[secure])
    zk.set_acls("/app/secure", [secure, make_digest_acl("reader", "pw2", read=True)])
    zk.set_acls("/app/p1", [make_digest_acl("user", "pw", all=True)], version=0)
    zk.create("/app/bin", bytes(range(256)))
    zk.create("/app/empty", b"")
    zk.create("/app/big", b"z" * 100000)
    zk.create("/app/\u00fcn\u00efc\u00f6de", "d\u00e4t\u00e4 \U0001F600".encode("utf-8"))
    t = zk.transaction()
    t.create("/app/m1", b"multi")
    t.create("/app/m2", b"multi2")
    t.set_data("/app/seq-0000000001", b"changed in multi")
    t.check("/app", 0)
    t.delete("/cont/child")
    results = t.commit()
    assert not any(isinstance(r, Exception) for r in results), results
    # a failed multi is logged as an error txn
    t = zk.transaction()
    t.create("/app/never", b"")
    t.check("/app", 99)
    results = t.commit()
    assert any(isinstance(r, Exception) for r in results), results
    # a failed single op is logged as an error txn
    from kazoo.exceptions import BadVersionError, NodeExistsError
    try:
        zk.create("/app/p1", b"again")
    except NodeExistsError:
        pass
    try:
        zk.set("/app/m1", b"x", version=7)
    except BadVersionError:
        pass
    zk2.create("/app/eph2", b"other", ephemeral=True)
    zk2.create("/app/deep", b"")
    for i in range(12):
        zk2.create("/app/deep/n%02d" % i, b"%d" % i)
    for i in range(0, 12, 3):
        zk2.delete("/app/deep/n%02d" % i)
    zk.set("/app", b"root v1")


@pytest.fixture(scope="session")
def java_written(tmp_path_factory):
    java_zk.require_java_zookeeper()
    pytest.importorskip("kazoo", reason="kazoo is not installed for this interpreter")
    from kazoo.client import KazooClient

    from tests.support.servers import JavaServer

    base = str(tmp_path_factory.mktemp("java-written"))
    server = JavaServer(base, extra_cfg={"snapCount": str(SNAP_COUNT), "extendedTypesEnabled": "true"})
    server.start()
    result = JavaWritten(base, server.data_dir)
    zk = KazooClient(hosts=server.address, timeout=10.0)
    zk2 = KazooClient(hosts=server.address, timeout=10.0)
    try:
        zk.start(timeout=15)
        zk2.start(timeout=15)
        run_workload(zk, zk2)
        result.closed_session = zk2.client_id[0]
        zk2.stop()
        zk2.close()
        result.live_session = zk.client_id[0]

        def settled():
            sessions, ephemerals = parse_dump(four_letter_word("127.0.0.1", server.client_port, "dump"))
            return (sessions, ephemerals) if result.closed_session not in sessions else None

        session_ids, result.ephemerals = wait_until(settled, timeout=15, message="closeSession applied")
        timeouts = parse_cons_timeouts(four_letter_word("127.0.0.1", server.client_port, "cons"))
        result.sessions = {sid: timeouts.get(sid) for sid in session_ids}
        result.nodes = kazoo_tree(zk)
        # What a reader sees while the server still runs (every txn acknowledged is fsynced).
        result.live_copy = os.path.join(base, "live-copy")
        shutil.copytree(server.data_dir, result.live_copy)
    finally:
        # Stop the server first so the open session is never closed: its ephemerals stay on disk.
        server.stop()
        for client in (zk, zk2):
            client.stop()
            client.close()
    result.server_log = server.log_text()
    return result
