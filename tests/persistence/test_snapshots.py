"""FileSnap, FileTxnSnapLog and ZKDatabase on our own data directories."""

import collections
import gc
import hashlib
import json
import logging
import os
import struct
import subprocess
import sys
import time
import weakref

import pytest

from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from tests.persistence.trees import diff_states, parse_snapshot, restore, tree_state
from tests.persistence.txns import OPEN, SESSION_1, SESSION_2, T0, sample_txns
from tests.support.servers import REPO, pypy_python
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_snap import FileSnap, ReceivedSnapshot
from zookeeper_py.server.persistence.file_txn_snap_log import (
    DatadirException,
    FileTxnSnapLog,
    LogDirContentCheckException,
    SnapDirContentCheckException,
)
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.request import Request
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.txn import CloseSessionTxn, CreateSessionTxn, CreateTxn, SetDataTxn, TxnHeader
from zookeeper_py.zoo_defs import OpCode


@pytest.fixture
def extended(sysprops):  # noqa: F811
    """TTL nodes need extendedTypesEnabled, as in Java."""
    sysprops("zookeeper.extendedTypesEnabled", "true")
    return sysprops


def build(data_dir, txns, snap_at=(), roll_at=(), snap_dir=None):
    """Apply txns to a DataTree through FileTxnSnapLog as a server does: log each, snapshot at
    the given indexes (fuzzy points, right after logging that txn). Returns (dt, sessions, fts)."""
    fts = FileTxnSnapLog(str(data_dir), str(snap_dir or data_dir))
    dt = DataTree()
    sessions = {}
    fts.restore(dt, sessions)
    for i, (hdr, txn) in enumerate(txns):
        fts.append(Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, hdr.zxid))
        fts.commit()
        fts.process_transaction(hdr, dt, sessions, txn)
        if i in roll_at:
            fts.roll_log()
        if i in snap_at:
            fts.save(dt, sessions)
    fts.close()
    return dt, sessions, fts


def version_dir(d):
    return os.path.join(str(d), "version-2")


def test_restore_round_trip_through_snapshots_and_logs(tmp_path, extended):
    txns = sample_txns(count_extra=30)
    dt, sessions, _ = build(tmp_path, txns, snap_at={8, 20}, roll_at={8, 20})
    names = sorted(os.listdir(version_dir(tmp_path)))
    assert names == sorted(["snapshot.0", Util.make_snapshot_name(9), Util.make_snapshot_name(21),
                            "log.1", Util.make_log_name(10), Util.make_log_name(22)])
    replayed = []
    dt2, sessions2, zxid, _ = restore(str(tmp_path), listener=lambda h, t, d: replayed.append(h.zxid))
    assert zxid == txns[-1][0].zxid
    assert dt2.last_processed_zxid == zxid
    assert diff_states(tree_state(dt), tree_state(dt2)) == []
    assert sessions2 == sessions == {SESSION_1: 30000}
    assert dt2.get_ephemerals_map() == dt.get_ephemerals_map() == {SESSION_1: {"/a/e1"}}
    assert dt2.get_containers() == {"/c"} and dt2.get_ttls() == {"/t"}
    # only the txns after the newest snapshot are replayed
    assert replayed == [h.zxid for h, _ in txns[21:]]


def test_snapshot_file_layout(tmp_path, extended):
    dt, sessions, fts = build(tmp_path, sample_txns())
    path = os.path.join(version_dir(tmp_path), "snapshot.x")
    FileSnap(version_dir(tmp_path)).serialize(dt, sessions, path)
    data = open(path, "rb").read()
    assert data[:16] == b"ZKSN" + struct.pack(">iq", 2, -1)
    assert data.endswith(b"\x00\x00\x00\x01/")
    snap = parse_snapshot(data)
    assert snap["crc_ok"] and snap["tail"] == b"\x00\x00\x00\x01/"
    assert snap["sessions"] == {SESSION_1: 30000}
    # the root is written as "", parents before children, every node once
    assert snap["order"][0] == ""
    assert set(snap["order"]) == set(p for p in dt.nodes if p != "/")
    for p in snap["order"][1:]:
        assert snap["order"].index(p[:p.rfind("/")]) < snap["order"].index(p)
    # the built-in nodes use ACL -1 and are not in the cache; client nodes have real indexes from 1
    assert struct.unpack_from(">q", snap["nodes"]["/zookeeper"], 4)[0] == -1
    assert min(snap["acls"]) == 1 and -1 not in snap["acls"]


def test_serialize_snapshot_stream_for_learners(tmp_path, extended):
    """ZKDatabase.serializeSnapshot/deserializeSnapshot: sessions + tree, no header or seal."""
    dt, sessions, fts = build(tmp_path, sample_txns())
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    db.load_data_base()
    oa = BinaryOutputArchive()
    db.serialize_snapshot(oa)
    oa.write_string("BenWasHere", "signature")
    raw = bytes(oa.buf)
    assert raw[:4] == struct.pack(">i", 1) and raw.endswith(b"\x00\x00\x00\x01/\x00\x00\x00\x0aBenWasHere")
    other = ZKDatabase(FileTxnSnapLog(str(tmp_path / "other"), str(tmp_path / "other")))
    ia = BinaryInputArchive(raw, 0)
    other.deserialize_snapshot(ia)
    assert ia.read_string("signature") == "BenWasHere"
    assert other.is_initialized()
    assert diff_states(tree_state(db.get_data_tree()), tree_state(other.get_data_tree())) == []
    assert other.get_session_with_time_outs() == {SESSION_1: 30000}


def damage(path, offset_from_end=None, offset=None):
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(offset if offset is not None else size - offset_from_end)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))


def test_corrupt_newest_snapshot_falls_back_to_older_and_loses_nothing(tmp_path, extended, caplog):
    txns = sample_txns(count_extra=20)
    dt, sessions, _ = build(tmp_path, txns, snap_at={10, 25}, roll_at={10})
    newest = os.path.join(version_dir(tmp_path), Util.make_snapshot_name(26))
    damage(newest, offset=200)  # inside the tree: the seal still looks right, the CRC does not
    assert Util.is_valid_snapshot(newest)
    with caplog.at_level(logging.INFO):
        dt2, sessions2, zxid, _ = restore(str(tmp_path))
    assert "problem reading snap file %s" % newest in caplog.text
    assert "Reading snapshot %s" % os.path.join(version_dir(tmp_path), Util.make_snapshot_name(11)) in caplog.text
    assert zxid == txns[-1][0].zxid
    assert diff_states(tree_state(dt), tree_state(dt2)) == []
    assert sessions2 == sessions


def test_truncated_newest_snapshot_is_not_even_tried(tmp_path, extended, caplog):
    txns = sample_txns(count_extra=5)
    dt, sessions, _ = build(tmp_path, txns, snap_at={15})
    newest = os.path.join(version_dir(tmp_path), Util.make_snapshot_name(16))
    size = os.path.getsize(newest)
    with open(newest, "r+b") as f:
        f.truncate(size // 2)
    with caplog.at_level(logging.INFO):
        dt2, _, zxid, fts = restore(str(tmp_path))
    assert "Invalid snapshot %s" % newest in caplog.text
    assert "Reading snapshot %s" % newest not in caplog.text
    assert fts.find_most_recent_snapshot() == os.path.join(version_dir(tmp_path), "snapshot.0")
    assert diff_states(tree_state(dt), tree_state(dt2)) == []


def test_every_snapshot_bad_fails(tmp_path, extended):
    build(tmp_path, sample_txns(), snap_at={5})
    for name in os.listdir(version_dir(tmp_path)):
        if name.startswith("snapshot."):
            damage(os.path.join(version_dir(tmp_path), name), offset=20)
    with pytest.raises(IOError, match="Not able to find valid snapshots in"):
        restore(str(tmp_path))


def test_stray_files_in_the_directory_are_ignored(tmp_path, extended):
    txns = sample_txns(count_extra=5)
    dt, _, _ = build(tmp_path, txns, snap_at={7})
    vd = version_dir(tmp_path)
    good = open(os.path.join(vd, Util.make_snapshot_name(8)), "rb").read()
    # names Util.getZxidFromName rejects, even with valid contents
    for name in ("snapshot.ffff.bz2", "snapshot.zz", "snapshot.", "snapshot.8.tmp", "notes.txt",
                 "log.ffff.fixed", "acceptedEpoch"):
        with open(os.path.join(vd, name), "wb") as f:
            f.write(good if name.startswith("snapshot") else b"junk")
    dt2, _, zxid, fts = restore(str(tmp_path))
    assert zxid == txns[-1][0].zxid
    assert diff_states(tree_state(dt), tree_state(dt2)) == []
    assert fts.find_n_recent_snapshots(10) == [os.path.join(vd, Util.make_snapshot_name(8)),
                                               os.path.join(vd, "snapshot.0")]


def test_empty_dir_writes_snapshot_0_at_once(tmp_path):
    dt, sessions, zxid, fts = restore(str(tmp_path / "data"))
    assert zxid == 0
    assert os.listdir(version_dir(tmp_path / "data")) == ["snapshot.0"]
    assert Util.is_valid_snapshot(os.path.join(version_dir(tmp_path / "data"), "snapshot.0"))
    assert set(tree_state(dt)) == {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"}


def test_logs_without_snapshot_refuse_unless_trusted(tmp_path, extended):
    txns = sample_txns()
    dt, sessions, _ = build(tmp_path, txns)
    os.remove(os.path.join(version_dir(tmp_path), "snapshot.0"))
    with pytest.raises(IOError, match="No snapshot found, but there are log entries. Something is broken!"):
        restore(str(tmp_path))
    extended("zookeeper.snapshot.trust.empty", "true")
    dt2, sessions2, zxid, _ = restore(str(tmp_path))
    assert zxid == txns[-1][0].zxid
    assert diff_states(tree_state(dt), tree_state(dt2)) == []


def test_crc_error_in_log_stops_restore_and_toolkit_repair_recovers_all(tmp_path, extended, caplog):
    """Java fails to load a log with a CRC error (IOException); TxnLogToolkit -r repairs it."""
    from tests.persistence.test_file_txn_log import entry_offsets
    from zookeeper_py.server.persistence.txn_log_toolkit import TxnLogToolkit
    txns = sample_txns(count_extra=5)
    dt, sessions, _ = build(tmp_path, txns)
    log = os.path.join(version_dir(tmp_path), "log.1")
    offsets, _ = entry_offsets(log)
    damage(log, offset=offsets[12] + 12 + 32 + 14 + 20)  # a byte of the node data
    with caplog.at_level(logging.ERROR), pytest.raises(IOError, match="CRC check failed"):
        restore(str(tmp_path))
    assert "CRC check failed in %s for the entry at offset %d" % (log, offsets[12]) in caplog.text
    import io
    with TxnLogToolkit(True, False, log, True, out=io.StringIO()) as tk:
        tk.dump()
        assert tk.crc_fixed == 1
    os.replace(log + ".fixed", log)
    dt2, _, zxid, _ = restore(str(tmp_path))
    assert zxid == txns[-1][0].zxid
    assert len(tree_state(dt2)) == len(tree_state(dt))


def test_autocreate_off_and_dir_content_checks(tmp_path, sysprops):  # noqa: F811
    sysprops("zookeeper.datadir.autocreate", "false")
    with pytest.raises(DatadirException,
                       match="Missing data directory .*automatic data directory creation is disabled"):
        FileTxnSnapLog(str(tmp_path / "logs"), str(tmp_path / "snaps"))
    sysprops("zookeeper.datadir.autocreate", "true")
    FileTxnSnapLog(str(tmp_path / "logs"), str(tmp_path / "snaps"))
    open(os.path.join(version_dir(tmp_path / "logs"), "snapshot.5"), "w").close()
    with pytest.raises(LogDirContentCheckException, match="Log directory has snapshot files"):
        FileTxnSnapLog(str(tmp_path / "logs"), str(tmp_path / "snaps"))
    os.remove(os.path.join(version_dir(tmp_path / "logs"), "snapshot.5"))
    open(os.path.join(version_dir(tmp_path / "snaps"), "log.5"), "w").close()
    with pytest.raises(SnapDirContentCheckException, match="Snapshot directory has log files"):
        FileTxnSnapLog(str(tmp_path / "logs"), str(tmp_path / "snaps"))


def test_separate_log_and_snap_dirs(tmp_path, extended):
    txns = sample_txns(count_extra=3)
    dt, _, _ = build(tmp_path / "logs", txns, snap_at={6}, snap_dir=tmp_path / "snaps")
    assert all(n.startswith("log.") for n in os.listdir(version_dir(tmp_path / "logs")))
    assert all(n.startswith("snapshot.") for n in os.listdir(version_dir(tmp_path / "snaps")))
    dt2, _, zxid, _ = restore(str(tmp_path / "logs"), str(tmp_path / "snaps"))
    assert diff_states(tree_state(dt), tree_state(dt2)) == []


def test_truncate_log_then_reload(tmp_path, extended):
    txns = sample_txns(count_extra=10)
    build(tmp_path, txns, snap_at={3}, roll_at={9})
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    assert db.load_data_base() == txns[-1][0].zxid
    cut = txns[14][0].zxid
    assert db.truncate_log(cut)
    assert db.get_data_tree_last_processed_zxid() == cut
    assert FileTxnSnapLog(str(tmp_path), str(tmp_path)).get_last_logged_zxid() == cut
    # the same as a tree built from those txns alone
    expected, _, _ = build(tmp_path / "fresh", txns[:15], snap_at={3}, roll_at={9})
    assert diff_states(tree_state(expected), tree_state(db.get_data_tree())) == []


def test_committed_log_and_proposals_from_txn_log(tmp_path, extended):
    FilePadding.reset_prealloc_size()
    txns = sample_txns(count_extra=600)
    build(tmp_path, txns, snap_at={100}, roll_at={100, 300})
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    db.load_data_base()
    committed = db.get_committed_log()
    # Java drops one only when it already holds more than 500: 501 stay
    assert len(committed) == 501
    assert committed[-1].packet.zxid == db.get_max_committed_log() == txns[-1][0].zxid
    assert committed[0].packet.zxid == db.get_min_committed_log() == txns[-501][0].zxid
    p = committed[-2]
    assert p.packet.type == 2 and p.packet.data == txns[-2][0].to_bytes() + txns[-2][1].to_bytes()
    # a leader reads older txns from the log
    itr = db.get_proposals_from_txn_log(txns[150][0].zxid, 0)
    got = [prop.packet.zxid for prop in itr]
    itr.close()
    # (from the start of the log file holding it, as Java: the learner handler skips what the
    # learner already has)
    assert got == [h.zxid for h, _ in txns[101:]]
    # ...unless the log no longer starts at that zxid, or holds more than the size limit
    assert not db.get_proposals_from_txn_log(0, 0).has_next()
    assert not db.get_proposals_from_txn_log(txns[150][0].zxid, 10).has_next()
    assert not db.get_proposals_from_txn_log(txns[150][0].zxid, -1).has_next()
    snap = FileTxnSnapLog(str(tmp_path), str(tmp_path)).find_most_recent_snapshot()
    assert db.calculate_txn_log_size_limit() == int(os.path.getsize(snap) * 0.33)


def test_committed_log_lets_the_request_and_its_connection_go(tmp_path):
    """The committed log keeps each write's PROPOSAL packet for learners' DIFFs, not the request it
    came from: a closed client's connection (and its buffers) is not held for 500 more txns."""
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))

    class Connection:
        pass

    cnxn = Connection()
    gone = weakref.ref(cnxn)
    hdr = TxnHeader(SESSION_1, 7, 0x100000005, T0, OpCode.setData)
    txn = SetDataTxn("/x", b"v", 2)
    request = Request(cnxn, SESSION_1, 7, OpCode.setData, b"request body", hdr=hdr, txn=txn, zxid=hdr.zxid)
    db.add_committed_proposal(request)
    del request, cnxn
    gc.collect()
    assert gone() is None
    (p,) = db.get_committed_log()
    assert (p.packet.type, p.packet.zxid) == (2, 0x100000005)
    assert p.packet.data == hdr.to_bytes() + txn.to_bytes()


def test_snapshot_size_factor_property(tmp_path, sysprops):  # noqa: F811
    fts = FileTxnSnapLog(str(tmp_path), str(tmp_path))
    assert ZKDatabase(fts).snapshot_size_factor == 0.33
    sysprops("zookeeper.snapshotSizeFactor", "-1")
    db = ZKDatabase(fts)
    assert db.snapshot_size_factor == -1.0 and not db.is_txn_log_sync_enabled()
    sysprops("zookeeper.snapshotSizeFactor", "7")
    assert ZKDatabase(fts).snapshot_size_factor == 0.33
    sysprops("zookeeper.snapshotSizeFactor", "lots")
    assert ZKDatabase(fts).snapshot_size_factor == 0.33


def test_init_config_in_zk_database(tmp_path):
    class QV:
        def __str__(self):
            return "server.1=127.0.0.1:2888:3888:participant\nversion=100000000"

        def get_version(self):
            return 0x100000000

    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    db.load_data_base()
    db.init_config_in_zk_database(QV())
    node = db.get_node("/zookeeper/config")
    assert node.data == str(QV()).encode()
    assert node.stat.mzxid == 0x100000000
    db.init_config_in_zk_database(None)


def test_kill_session_and_passthroughs(tmp_path, extended):
    build(tmp_path, sample_txns())
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    db.load_data_base()
    assert set(db.get_ephemerals(SESSION_1)) == {"/a/e1"}
    assert db.get_ephemerals() == {SESSION_1: {"/a/e1"}}
    assert set(db.get_ephemerals(SESSION_2)) == set()
    count = db.get_node_count()
    db.kill_session(SESSION_1, 1000)
    assert db.get_node("/a/e1") is None and db.get_node_count() == count - 1
    db.clear()
    assert not db.is_initialized() and db.get_committed_log() == []
    assert db.get_session_with_time_outs() == {}


def test_fast_forward_database(tmp_path, extended):
    txns = sample_txns(count_extra=5)
    build(tmp_path, txns[:10])
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    db.load_data_base()
    # more txns land in the log (as on a follower); fast forward picks them up
    fts = FileTxnSnapLog(str(tmp_path), str(tmp_path))
    for hdr, txn in txns[10:]:
        fts.append(Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, txn, hdr.zxid))
    fts.commit()
    fts.close()
    assert db.fast_forward_data_base() == txns[-1][0].zxid
    expected, _, _ = build(tmp_path / "fresh", txns)
    assert diff_states(tree_state(expected), tree_state(db.get_data_tree())) == []


def test_atomic_epoch_files(tmp_path):
    from zookeeper_py.common.atomic_file_output_stream import (
        AtomicFileOutputStream,
        read_long_from_file,
        write_long_to_file,
    )
    path = str(tmp_path / "currentEpoch")
    write_long_to_file(path, 5)
    assert open(path, "rb").read() == b"5"
    write_long_to_file(path, -(1 << 63))
    assert read_long_from_file(path) == -(1 << 63)
    assert os.listdir(tmp_path) == ["currentEpoch"]
    # an aborted write leaves the old file alone and no .tmp behind
    with pytest.raises(RuntimeError):
        with AtomicFileOutputStream(path) as out:
            out.write(b"12")
            raise RuntimeError("crash")
    assert read_long_from_file(path) == -(1 << 63)
    assert os.listdir(tmp_path) == ["currentEpoch"]
    with open(path, "w") as f:
        f.write("7\nrest")
    assert read_long_from_file(path) == 7
    for bad, shown in (("x1", "x1"), ("", "null"), ("99999999999999999999", "99999999999999999999")):
        with open(path, "w") as f:
            f.write(bad)
        with pytest.raises(IOError, match="Found %s in %s" % (shown, path)):
            read_long_from_file(path)
    with pytest.raises(FileNotFoundError):
        read_long_from_file(str(tmp_path / "acceptedEpoch"))


def test_quotas_are_recounted_after_a_load(tmp_path):
    """setup_quota (Java's traverseNode): each zookeeper_limits leaf under /zookeeper/quota marks its
    path as a quota and gets its zookeeper_stats recounted from the loaded tree; the stats the
    snapshot holds are overwritten."""
    from zookeeper_py.quotas import Quotas
    from zookeeper_py.zoo_defs import Ids

    dt = DataTree()
    zxid = 0

    def create(path, data=b""):
        nonlocal zxid
        zxid += 1
        dt.create_node(path, data, Ids.OPEN_ACL_UNSAFE, 0, -1, zxid, 1)

    for path, data in (("/q", b"ab"), ("/q/a", b"cde"), ("/q/a/b", b""), ("/r", b""), ("/r/s", b"xyzw")):
        create(path, data)
    for real in ("/q", "/r/s"):
        parts = real.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            path = Quotas.quotaZookeeper + "/" + "/".join(parts[:i])
            if dt.get_node(path) is None:
                create(path)
        create(Quotas.quota_path(real), b"count=10,bytes=-1")
        create(Quotas.stat_path(real), b"count=0,bytes=0")  # stale on purpose
    fs = FileSnap(str(tmp_path))
    fs.serialize(dt, {}, str(tmp_path / ("snapshot.%x" % zxid)))
    loaded = DataTree()
    FileSnap(str(tmp_path)).deserialize(loaded, {})
    assert loaded.quota_paths == {"/q", "/r/s"}
    assert loaded.get_node(Quotas.stat_path("/q")).data == b"count=3,bytes=5"
    assert loaded.get_node(Quotas.stat_path("/r/s")).data == b"count=1,bytes=4"


@pytest.mark.parametrize("source", ["file", "stream in 7-byte reads"])
def test_a_load_links_every_node_and_counts_every_acl(tmp_path, extended, source):
    """A load rebuilds children, ephemerals, containers, TTLs and each ACL's reference count.
    The ACLs, parents and owners change from one node to the next, and stats differ field by
    field, so a load that carried anything over from the node before shows up here."""
    from tests.jute.test_records import Trickle
    from zookeeper_py.data import ACL, Id
    from zookeeper_py.server.ephemeral_type import CONTAINER_EPHEMERAL_OWNER, EphemeralType
    from zookeeper_py.zoo_defs import Ids, Perms

    read_write = [ACL(Perms.READ | Perms.WRITE, Id("world", "anyone"))]
    acls = [list(Ids.OPEN_ACL_UNSAFE), list(Ids.READ_ACL_UNSAFE), read_write]
    ttl_owner = EphemeralType.TTL.to_ephemeral_owner(5000)
    owners = [0, SESSION_1, 0, SESSION_2, CONTAINER_EPHEMERAL_OWNER, 0, ttl_owner]
    dt = DataTree()
    zxid = 0
    for p in range(3):
        zxid += 1
        dt.create_node("/p%d" % p, b"", acls[p], 0, -1, zxid, 1000 + zxid)
    for i in range(60):
        parent = "/p%d" % (i * 7 % 3)  # the snapshot lists each parent's children together, this mixes them up
        owner = owners[i % len(owners)]
        zxid += 1
        dt.create_node("%s/n%d" % (parent, i), b"d%d" % i, acls[i * 5 % 3], owner, -1, zxid, 1000 + zxid // 4)
        if i % 4 == 0:
            zxid += 1
            dt.set_data("%s/n%d" % (parent, i), b"changed", 1, zxid, 5000 + zxid)
    zxid += 1
    dt.create_node("/p1/n1/deeper", "ü".encode(), acls[2], 0, -1, zxid, 9000)
    expected_children = {path: sorted(node.get_children()) for path, node in dt.nodes.items()}

    fs = FileSnap(str(tmp_path))
    snap = str(tmp_path / ("snapshot.%x" % zxid))
    fs.serialize(dt, {SESSION_1: 30000, SESSION_2: 30000}, snap)
    loaded = DataTree()
    if source == "file":
        FileSnap(str(tmp_path)).deserialize(loaded, {})
    else:
        with open(snap, "rb") as f:
            ia = BinaryInputArchive.get_archive(Trickle(f.read(), step=7))
        FileSnap(str(tmp_path)).deserialize_archive(loaded, {}, ia)

    assert diff_states(tree_state(dt), tree_state(loaded)) == []
    assert {path: sorted(node.get_children()) for path, node in loaded.nodes.items()} == expected_children
    assert loaded.get_node("/p1/n1/deeper").data == "ü".encode()
    assert loaded.get_ephemerals_map() == dt.get_ephemerals_map()
    assert set(loaded.get_ephemerals_map()) == {SESSION_1, SESSION_2}
    assert loaded.get_containers() == dt.get_containers() and len(loaded.get_containers()) == 8
    assert loaded.get_ttls() == dt.get_ttls() and len(loaded.get_ttls()) == 8
    in_use = collections.Counter(node.acl for path, node in dt.nodes.items() if path != "/" and node.acl != -1)
    assert len(in_use) == 3 and sum(in_use.values()) == 64 + 1  # ours, and /zookeeper/config's read-only ACL
    assert loaded.acl_cache.reference_counter == in_use


def test_a_path_listed_twice_keeps_the_later_node_and_its_children():
    """Java's deserialize puts each node in the map as read and looks its parent up there, so
    children read after a repeated path belong to the later node."""
    from zookeeper_py.data import StatPersisted
    from zookeeper_py.server.data_node import DataNode

    oa = BinaryOutputArchive()
    oa.write_int(0, "map")  # no ACLs in the cache
    for path, data in (("", b""), ("/a", b"first"), ("/a/x", b""), ("/a", b"second"), ("/a/y", b"")):
        oa.write_string(path, "path")
        DataNode(data, -1, StatPersisted(1, 1, 0, 0, 0, 0, 0, 0, 1)).serialize(oa, "node")
    oa.write_string("/", "path")
    loaded = DataTree()
    loaded.deserialize(BinaryInputArchive(oa.to_bytes()), "tree")
    assert loaded.get_node("/a").data == b"second"
    assert loaded.get_node("/a").get_children() == {"y"}


def test_close_session_replayed_over_a_fuzzy_snapshot_moves_the_parents_pzxid(tmp_path):
    """A snapshot is fuzzy: it may hold /app as before a closeSession and /app/e already deleted by
    it. Replaying a 3.6+ closeSession, which names /app/e, must still move /app's pzxid, as 3.8
    does (ZOOKEEPER-3145); else the restored /app differs from what the server had served."""
    txns = [
        (TxnHeader(SESSION_1, 0, 1, T0, OpCode.createSession), CreateSessionTxn(30000)),
        (TxnHeader(SESSION_1, 1, 2, T0, OpCode.create), CreateTxn("/app", b"", OPEN, False, 1)),
        (TxnHeader(SESSION_1, 2, 3, T0, OpCode.create), CreateTxn("/app/e", b"", OPEN, True, 1)),
        (TxnHeader(SESSION_1, 0, 4, T0, OpCode.closeSession), CloseSessionTxn(["/app/e"])),
    ]
    build(tmp_path, txns)
    # The snapshot a Snapshot Thread started at zxid 3: /app written before the close, /app/e after it.
    dt, sessions, _ = build(tmp_path / "fuzzy", txns[:3])
    dt.nodes["/app"].remove_child("e")
    del dt.nodes["/app/e"]
    FileSnap(version_dir(tmp_path)).serialize(dt, sessions, os.path.join(version_dir(tmp_path), "snapshot.3"))

    dt2, sessions2, zxid, _ = restore(str(tmp_path))
    assert zxid == 4 and sessions2 == {}
    assert dt2.get_node("/app/e") is None
    assert dt2.get_node("/app").stat.pzxid == 4


def _one_snapshot_dir(tmp_path, nodes):
    """A data directory holding only snapshot.<zxid> of a tree of `nodes` znodes, as an operator
    restoring from a backup leaves it. (its path, the tree's state)"""
    dt = DataTree()
    for i in range(nodes):
        dt.process_txn(TxnHeader(1, i, i + 1, T0, OpCode.create), CreateTxn("/n%d" % i, bytes(100), OPEN, False, i + 1))
    os.makedirs(version_dir(tmp_path))
    path = os.path.join(version_dir(tmp_path), Util.make_snapshot_name(dt.last_processed_zxid))
    FileSnap(version_dir(tmp_path)).serialize(dt, {}, path)
    return path, tree_state(dt)


def test_a_failed_rewrite_of_a_snapshot_keeps_the_file_it_would_replace(tmp_path):
    path, state = _one_snapshot_dir(tmp_path, 50)
    with open(path, "rb") as f:
        before = f.read()
    dt, sessions = restore(str(tmp_path))[:2]
    with pytest.raises(struct.error):
        FileSnap(version_dir(tmp_path)).serialize(dt, {1: "not a timeout"}, path)  # fails after the header
    with open(path, "rb") as f:
        assert f.read() == before
    assert os.listdir(version_dir(tmp_path)) == [os.path.basename(path)]  # no tmp file left
    assert not diff_states(state, tree_state(restore(str(tmp_path))[0]))


REWRITE_AND_WAIT = r"""
import sys
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from tests.persistence.trees import restore
snap_dir, path = sys.argv[1], sys.argv[2]
dt, sessions = restore(snap_dir.rsplit("/", 1)[0])[:2]
print("loaded", flush=True)
sys.stdin.readline()  # the test watches the directory now
FileSnap(snap_dir).serialize(dt, sessions, path)  # killed while at it
"""


def test_kill_9_while_rewriting_a_snapshot_loses_nothing_and_the_leftover_goes_at_restart(tmp_path, caplog):
    """A leader's start-up snapshot has the name of the snapshot it loaded when no txn came
    since; a server killed while writing it must still find that snapshot whole."""
    path, state = _one_snapshot_dir(tmp_path, 150000)
    with open(path, "rb") as f:
        before = f.read()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-c", REWRITE_AND_WAIT, version_dir(tmp_path), path], cwd=repo,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "loaded"
        proc.stdin.write("go\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        tmp = None
        while time.monotonic() < deadline:  # until the new file is well under way
            tmp = [n for n in os.listdir(version_dir(tmp_path)) if n.startswith("tmp-snapshot.")]
            if tmp and os.path.getsize(os.path.join(version_dir(tmp_path), tmp[0])) > 1 << 20:
                break
            time.sleep(0.001)
        else:
            pytest.fail("the rewrite did not start: %s" % os.listdir(version_dir(tmp_path)))
        proc.kill()
        proc.wait(30)
    finally:
        proc.kill()
    assert proc.returncode == -9
    assert len(os.listdir(version_dir(tmp_path))) == 2, os.listdir(version_dir(tmp_path))  # killed in time
    with open(path, "rb") as f:
        assert f.read() == before
    caplog.set_level(logging.INFO)
    dt = restore(str(tmp_path))[0]
    assert not diff_states(state, tree_state(dt))
    assert os.listdir(version_dir(tmp_path)) == [os.path.basename(path)]
    assert "Removed %s, a snapshot left half-written" % tmp[0] in caplog.text


def test_a_leftover_with_this_process_pid_goes_at_restore_unless_this_process_writes_it(tmp_path):
    """A server in a container is pid 1 at every start: a dead pid 1's tmp file is not ours."""
    path, state = _one_snapshot_dir(tmp_path, 10)
    leftover = os.path.join(version_dir(tmp_path), "tmp-%s.%d.0badcafe" % (os.path.basename(path), os.getpid()))
    with open(leftover, "wb") as f:
        f.write(b"half a snapshot")
    writing = ReceivedSnapshot(FileSnap(version_dir(tmp_path)), 99)  # a tmp file this process writes now
    try:
        dt = restore(str(tmp_path))[0]
        assert not diff_states(state, tree_state(dt))
        assert sorted(os.listdir(version_dir(tmp_path))) == sorted(
            [os.path.basename(path), os.path.basename(writing.tmp_path)])
    finally:
        writing.discard()
    assert os.listdir(version_dir(tmp_path)) == [os.path.basename(path)]


READ_A_SNAPSHOT_FILE = r"""
import hashlib, json, sys
from zookeeper_py.server.persistence.snap_stream import SnapStream

def peak():  # this process's own peak (ru_maxrss would start from the parent's, kept across exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

before = peak()
data = SnapStream.read_all(sys.argv[1])
print(json.dumps({"peak_growth": peak() - before, "sha1": hashlib.sha1(data).hexdigest()}))
"""


@pytest.mark.parametrize("runtime", ["cpython", "pypy"])
def test_a_snapshot_file_is_read_into_one_buffer(tmp_path, runtime):
    """SnapStream.read_all (the way a compressed snapshot and the snapshot formatter read a file)
    holds the file once: PyPy's f.read() read into a buffer of its own and copied it, twice a
    1M-znode file's 188 MB at the peak."""
    python = sys.executable if runtime == "cpython" else pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    content = bytes(range(256)) * (256 * 1024)  # 64 MiB
    path = tmp_path / "snapshot.1"
    path.write_bytes(content)
    out = subprocess.run([python, "-c", READ_A_SNAPSHOT_FILE, str(path)], capture_output=True, text=True,
                         timeout=120, check=True, cwd=REPO)
    result = json.loads(out.stdout)
    assert result["sha1"] == hashlib.sha1(content).hexdigest()
    assert result["peak_growth"] < 1.4 * len(content), result


# PyPy: a snapshot written on a paced thread (as the Snapshot Thread writes one below
# zookeeper.forkSnapshotMinNodes) while another thread allocates, as request threads do.
WRITE_BESIDE_AN_ALLOCATING_THREAD = r"""
import gc, json, os, sys, threading, time
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

dt = DataTree()
acl = list(Ids.OPEN_ACL_UNSAFE)
for zxid in range(1, 100001):
    dt.process_txn(TxnHeader(1, zxid, zxid, 0, OpCode.create),
                   CreateTxn("/p%d/n%d" % (zxid % 100, zxid) if zxid > 100 else "/p%d" % (zxid - 1), bytes(100), acl,
                             False, zxid))
stop = []

def allocate():  # minor collections go on while the snapshot is written
    while not stop:
        [bytearray(200) for _ in range(2000)]
        time.sleep(0.0005)

class SnapshotThread(threading.Thread):
    def pace(self, seconds):
        time.sleep(seconds)

    def run(self):
        FileSnap(sys.argv[1]).serialize(dt, {}, os.path.join(sys.argv[1], "snapshot.186a0"))

gc.collect()
allocating = threading.Thread(target=allocate)
allocating.start()
before = gc.get_stats()._s
writer = SnapshotThread()
writer.start()
writer.join()
after = gc.get_stats()._s
stop.append(True)
allocating.join()
print(json.dumps({"rawmalloced_growth": after.total_rawmalloced_memory - before.total_rawmalloced_memory,
                  "file_size": os.path.getsize(os.path.join(sys.argv[1], "snapshot.186a0"))}))
"""


def test_pypy_snapshot_batches_die_young(tmp_path):
    """A snapshot's batches of nodes go to the file as they are packed. Kept to be joined ~1 MiB
    at a time, those alive at a minor collection were copied to blocks that only a major
    collection frees: on PyPy ~1.4 bytes of such garbage per byte written."""
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    out = subprocess.run([python, "-c", WRITE_BESIDE_AN_ALLOCATING_THREAD, str(tmp_path)], capture_output=True,
                         text=True, timeout=300, check=True, env=dict(os.environ, PYPY_GC_NURSERY="32MB"),
                         cwd=REPO)
    result = json.loads(out.stdout)
    assert result["rawmalloced_growth"] < 0.4 * result["file_size"], result
    dt = DataTree()
    assert FileSnap(str(tmp_path)).deserialize(dt, {}) == 0x186a0
    assert dt.get_node_count() == DataTree().get_node_count() + 100000
    assert dt.get_node("/p7/n107").data == bytes(100)
