"""We write, Java reads: a data dir written by our code loads in Java ZooKeeper 3.8 as the same tree."""

import os

import pytest

from tests.persistence.conftest import kazoo_tree, parse_dump, run_workload
from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from tests.persistence.test_snapshots import build
from tests.persistence.trees import diff_states, kazoo_state, restore, tree_state
from tests.persistence.txns import SESSION_1, sample_txns
from tests.support.net import four_letter_word, wait_until
from tests.support.servers import JavaServer, PythonServer

pytestmark = pytest.mark.java


@pytest.fixture(autouse=True)
def _needs_java_and_kazoo():
    from tests.support import java_zk
    java_zk.require_java_zookeeper()
    pytest.importorskip("kazoo", reason="kazoo is not installed for this interpreter")


def java_view(data_dir, base):
    """Start Java 3.8 on data_dir; return (kazoo tree, dump sessions, dump ephemerals, server log)."""
    from kazoo.client import KazooClient
    os.makedirs(str(base), exist_ok=True)
    server = JavaServer(str(base), data_dir=str(data_dir), extra_cfg={"extendedTypesEnabled": "true"})
    server.start()
    zk = KazooClient(hosts=server.address, timeout=30.0)
    try:
        zk.start(timeout=15)
        zk.add_auth("digest", "user:pw")
        nodes = kazoo_tree(zk)
        sessions, ephemerals = parse_dump(four_letter_word("127.0.0.1", server.client_port, "dump"))
        sessions.discard(zk.client_id[0])
    finally:
        zk.stop()
        zk.close()
        server.stop()
    return nodes, sessions, ephemerals, server.log_text()


def test_java_loads_what_our_persistence_api_wrote(tmp_path, sysprops):  # noqa: F811
    """Txns applied with DataTree.process_txn, logged with FileTxnLog (rolled), snapshotted with FileSnap."""
    sysprops("zookeeper.extendedTypesEnabled", "true")
    data = tmp_path / "data"
    txns = sample_txns(count_extra=40)
    dt, sessions, _ = build(data, txns, snap_at={9, 30}, roll_at={9, 30})
    names = os.listdir(data / "version-2")
    assert len([n for n in names if n.startswith("log.")]) == 3
    expected = tree_state(dt)
    nodes, java_sessions, java_ephemerals, log = java_view(data, tmp_path / "java")
    assert diff_states(expected, kazoo_state(nodes)) == []
    assert java_sessions == set(sessions) == {SESSION_1}
    assert java_ephemerals == dt.get_ephemerals_map()
    # Java read our newest snapshot, without complaint, and replayed our logs after it
    assert "Reading snapshot %s" % (data / "version-2" / "snapshot.1f") in log
    assert "problem reading snap file" not in log and "CRC" not in log


@pytest.fixture
def python_written(tmp_path):
    """Our standalone server, driven by kazoo through the same workload as the Java fixture."""
    from kazoo.client import KazooClient
    os.makedirs(str(tmp_path / "py"))
    server = PythonServer(str(tmp_path / "py"), extra_cfg={"snapCount": "10", "extendedTypesEnabled": "true"})
    server.start()
    zk = KazooClient(hosts=server.address, timeout=10.0)
    zk2 = KazooClient(hosts=server.address, timeout=10.0)
    try:
        zk.start(timeout=15)
        zk2.start(timeout=15)
        run_workload(zk, zk2)
        closed = zk2.client_id[0]
        zk2.stop()
        zk2.close()

        def closed_applied():
            sessions, ephemerals = parse_dump(four_letter_word("127.0.0.1", server.client_port, "dump"))
            return (sessions, ephemerals) if closed not in sessions else None

        sessions, ephemerals = wait_until(closed_applied, timeout=15, message="closeSession applied")
        nodes = kazoo_tree(zk)
        live = zk.client_id[0]
    finally:
        # stop the server while zk's session is open, so its ephemerals stay on disk
        server.stop()
        for client in (zk, zk2):
            client.stop()
            client.close()
    return server.data_dir, nodes, sessions, ephemerals, live, closed


def test_java_loads_what_our_server_wrote(python_written, tmp_path, sysprops):  # noqa: F811
    data_dir, nodes, sessions, ephemerals, live, closed = python_written
    names = os.listdir(os.path.join(data_dir, "version-2"))
    assert len([n for n in names if n.startswith("log.")]) >= 3
    assert len([n for n in names if n.startswith("snapshot.")]) >= 3
    # we read it back ourselves...
    sysprops("zookeeper.extendedTypesEnabled", "true")
    dt, our_sessions, _, _ = restore(data_dir)
    assert diff_states(kazoo_state(nodes), tree_state(dt)) == []
    assert live in our_sessions and closed not in our_sessions
    # ...and so does Java
    java_nodes, java_sessions, java_ephemerals, log = java_view(data_dir, tmp_path / "java")
    assert diff_states(kazoo_state(nodes), kazoo_state(java_nodes)) == []
    assert live in java_sessions and closed not in java_sessions
    assert java_ephemerals == ephemerals == {live: {"/app/eph", next(p for p in nodes if "/app/eph-seq-" in p)}}
    assert "problem reading snap file" not in log and "CRC" not in log
