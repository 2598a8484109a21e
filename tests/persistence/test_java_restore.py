"""Java writes, we read: a data dir written by Java ZooKeeper 3.8 restores to the tree it served."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from tests.persistence.trees import acl_list, diff_states, kazoo_state, parse_snapshot, restore, tree_state
from tests.support import java_zk
from zookeeper_py.jute import BinaryOutputArchive
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.util import Util

pytestmark = pytest.mark.java

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def extended(sysprops):  # noqa: F811
    # the Java server ran with extendedTypesEnabled=true (TTL nodes)
    sysprops("zookeeper.extendedTypesEnabled", "true")


def check_restored(java_written, data_dir):
    dt, sessions, zxid, fts = restore(data_dir)
    # every logged txn was applied
    assert zxid == fts.get_last_logged_zxid() == dt.last_processed_zxid
    assert diff_states(kazoo_state(java_written.nodes), tree_state(dt)) == []
    # sessions: the open one with its negotiated timeout; the closed one is gone
    assert sessions == java_written.sessions
    assert java_written.live_session in sessions and java_written.closed_session not in sessions
    assert dt.get_ephemerals_map() == java_written.ephemerals
    assert dt.get_containers() == {"/cont"}
    assert dt.get_ttls() == {p for p in java_written.nodes if p.startswith("/ttl")}
    return dt, sessions, zxid


def test_restore_while_the_java_server_was_running(java_written, extended):
    check_restored(java_written, java_written.live_copy)


def test_restore_after_the_java_server_stopped(java_written, extended, tmp_path):
    check_restored(java_written, java_written.copy_to(str(tmp_path / "d")))


def test_every_java_snapshot_reads_with_its_digest_trailer(java_written, extended):
    """Each snapshot file alone: header, sessions, tree, CRC seal, and 3.8's ZxidDigest + second seal."""
    vd = java_written.version_dir
    snaps = [n for n in os.listdir(vd) if Util.get_zxid_from_name(n, "snapshot") != -1]
    assert len(snaps) >= 3
    digests = 0
    for name in snaps:
        path = os.path.join(vd, name)
        parsed = parse_snapshot(open(path, "rb").read())
        assert parsed["crc_ok"]
        assert parsed["tail"].startswith(b"\x00\x00\x00\x01/")
        fs = FileSnap(vd)
        dt, sessions = DataTree(), {}
        digest = fs.read_snapshot_file(dt, sessions, path)
        if Util.get_zxid_from_name(name, "snapshot") > 0:
            assert digest is not None and digest.digest_version == 2
            digests += 1
        assert sessions == parsed["sessions"]
        assert set(p for p in dt.nodes if p != "/") == set(parsed["nodes"])
    assert digests >= 2


def test_corrupt_newest_java_snapshot_falls_back(java_written, extended, tmp_path, caplog):
    d = java_written.copy_to(str(tmp_path / "d"))
    vd = os.path.join(d, "version-2")
    snaps = sorted((n for n in os.listdir(vd) if n.startswith("snapshot.")),
                   key=lambda n: Util.get_zxid_from_name(n, "snapshot"))
    newest = os.path.join(vd, snaps[-1])
    with open(newest, "r+b") as f:
        f.seek(60)
        b = f.read(1)
        f.seek(60)
        f.write(bytes([b[0] ^ 0x55]))
    check_restored(java_written, d)
    assert "problem reading snap file %s" % newest in caplog.text


def test_our_snapshot_of_a_java_tree_holds_the_same_records(java_written, extended, tmp_path):
    """Load Java's newest snapshot, write it with FileSnap: same header, sessions, ACL lists and
    ACL cache (same indexes) and node records byte for byte; only the order of children and
    sessions (Java's HashSet/HashMap order) may differ."""
    vd = java_written.version_dir
    newest = FileSnap(vd).find_most_recent_snapshot()
    java_snap = parse_snapshot(open(newest, "rb").read())
    dt, sessions = DataTree(), {}
    FileSnap(vd).read_snapshot_file(dt, sessions, newest)
    ours = str(tmp_path / os.path.basename(newest))
    FileSnap(str(tmp_path)).serialize(dt, sessions, ours)
    our_snap = parse_snapshot(open(ours, "rb").read())
    assert our_snap["crc_ok"] and our_snap["tail"] == b"\x00\x00\x00\x01/"
    assert our_snap["header"] == java_snap["header"]
    assert our_snap["sessions"] == java_snap["sessions"]
    assert our_snap["acls"] == java_snap["acls"]
    assert our_snap["nodes"] == java_snap["nodes"]
    assert all(acl_list(v) for v in our_snap["acls"].values())


def test_snapshot_formatter_matches_java(java_written, tmp_path):
    """zkSnapShotToolkit: the same text as Java's SnapshotFormatter, in all three modes."""
    java_zk.require_java_zookeeper()
    vd = java_written.version_dir
    snaps = sorted((n for n in os.listdir(vd) if n.startswith("snapshot.")),
                   key=lambda n: Util.get_zxid_from_name(n, "snapshot"))
    env = dict(os.environ, PYTHONPATH=REPO)
    for name in (snaps[0], snaps[-1]):
        path = os.path.join(vd, name)
        for mode in ([], ["-d"], ["-json"]):
            j = java_zk.run_java_class("org.apache.zookeeper.server.SnapshotFormatter", mode + [path])
            p = subprocess.run([sys.executable, "-m", "zookeeper_py.server.snapshot_formatter", *mode, path],
                               capture_output=True, text=True, env=env, timeout=60)
            assert j.returncode == p.returncode == 0, j.stderr
            if mode == ["-json"]:
                import re
                strip = lambda s: re.sub(r'"timestamp":\d+', "", s)  # noqa: E731
                assert strip(p.stdout) == strip(j.stdout)
            else:
                assert p.stdout == j.stdout
    assert "Session Details (sid, timeout, ephemeralCount):" in p.stdout or "[1,0," in p.stdout
    for args in ([], ["-d", "-json", os.path.join(vd, snaps[0])], ["/no/such/snapshot.1"], ["-x", "y", "z"]):
        j = java_zk.run_java_class("org.apache.zookeeper.server.SnapshotFormatter", args)
        p = subprocess.run([sys.executable, "-m", "zookeeper_py.server.snapshot_formatter", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == j.returncode == 2
        java_err = "".join(x for x in j.stderr.splitlines(True) if not x.startswith(("SLF4J", "log4j")))
        assert p.stderr == java_err


def test_sessions_survive_a_serialize_round_trip(java_written, extended):
    """The learner SNAP stream from a Java-written tree: sessions, then the tree."""
    from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
    from zookeeper_py.server.zk_database import ZKDatabase
    work = os.path.join(os.path.dirname(java_written.live_copy), "snap-stream")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(java_written.live_copy, work)
    db = ZKDatabase(FileTxnSnapLog(work, work))
    db.load_data_base()
    oa = BinaryOutputArchive()
    db.serialize_snapshot(oa)
    from zookeeper_py.jute import BinaryInputArchive
    other = ZKDatabase(FileTxnSnapLog(work, work))
    other.deserialize_snapshot(BinaryInputArchive(bytes(oa.buf), 0))
    assert other.get_session_with_time_outs() == java_written.sessions
    assert diff_states(kazoo_state(java_written.nodes), tree_state(other.get_data_tree())) == []
