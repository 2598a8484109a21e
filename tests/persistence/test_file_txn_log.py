"""FileTxnLog and FileTxnIterator: round trips, preallocation, fsync, truncation, damage."""

import logging
import os
import struct

import pytest

from tests.persistence.txns import OPEN, SESSION_1, sample_txns
from zookeeper_py.common import system_properties
from zookeeper_py.server.persistence import file_txn_log
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_txn_log import CrcCheckError, FileTxnLog
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.request import Request
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.txn import CheckVersionTxn, CreateTxn, CreateTxnV0, TxnDigest, TxnHeader
from zookeeper_py.zoo_defs import OpCode

PREALLOC = 64 * 1024 * 1024


@pytest.fixture
def sysprops():
    """Set system properties for one test; restore them and the cached preAllocSize after."""
    saved = system_properties.snapshot()
    FilePadding.reset_prealloc_size()
    yield system_properties.set_property
    for name in set(system_properties.snapshot()) - set(saved):
        system_properties.clear_property(name)
    for name, value in saved.items():
        system_properties.set_property(name, value)
    FilePadding.reset_prealloc_size()


def write_log(log_dir, txns, roll_every=None, commit=True):
    log = FileTxnLog(str(log_dir))
    for i, (hdr, txn) in enumerate(txns):
        if roll_every and i and i % roll_every == 0:
            log.roll_log()
        assert log.append(hdr, txn)
    if commit:
        log.commit()
    log.close()
    return log


def read_all(log_dir, zxid=0, fast_forward=True):
    out = []
    with FileTxnLog(str(log_dir)).read(zxid, fast_forward) as itr:
        while itr.get_header() is not None:
            out.append((itr.get_header(), itr.get_txn()))
            if not itr.next():
                break
    return out


def entry_offsets(path):
    """File offsets of each entry in a log file."""
    data = open(path, "rb").read()
    pos, offsets = 16, []
    while pos + 12 <= len(data):
        _, n = struct.unpack_from(">qi", data, pos)
        if n == 0:
            break
        offsets.append(pos)
        pos += 13 + n
    return offsets, pos


def test_round_trip_every_txn_type(tmp_path, sysprops):
    txns = sample_txns()
    write_log(tmp_path, txns)
    assert os.listdir(tmp_path) == ["log.1"]
    got = read_all(tmp_path)
    assert [h for h, _ in got] == [h for h, _ in txns]
    assert [t for _, t in got] == [t for _, t in txns]
    assert FileTxnLog(str(tmp_path)).get_last_logged_zxid() == txns[-1][0].zxid


def test_rolled_logs_read_as_one_stream_from_any_zxid(tmp_path, sysprops):
    txns = sample_txns(first_zxid=0x500000001, count_extra=40)
    write_log(tmp_path, txns, roll_every=9)
    names = sorted(os.listdir(tmp_path), key=lambda n: Util.get_zxid_from_name(n, "log"))
    assert names == [Util.make_log_name(txns[i][0].zxid) for i in range(0, len(txns), 9)]
    assert [h.zxid for h, _ in read_all(tmp_path)] == [h.zxid for h, _ in txns]
    # from the middle of a file: fast forward to that zxid
    start = txns[13][0].zxid
    assert [h.zxid for h, _ in read_all(tmp_path, start)] == [h.zxid for h, _ in txns[13:]]
    # without fast forward: from the first txn of the file holding it
    assert [h.zxid for h, _ in read_all(tmp_path, start, False)] == [h.zxid for h, _ in txns[9:]]
    # past the end: nothing
    assert read_all(tmp_path, txns[-1][0].zxid + 1) == []
    assert FileTxnLog(str(tmp_path)).get_last_logged_zxid() == txns[-1][0].zxid
    with FileTxnLog(str(tmp_path)).read(start) as itr:
        later = [os.path.join(str(tmp_path), n) for n in names[2:]]
        assert itr.get_storage_size() == sum(os.path.getsize(f) for f in later)


def test_a_learners_proposals_are_the_logged_entries_after_the_ones_passed_over(tmp_path, sysprops):
    # A leader syncing a learner from the txn log: skip_to passes over the txns the learner has
    # (across files, their CRCs still checked) and names the last; each later PROPOSAL carries
    # the entry as logged, digest included, as Java 3.8's marshallTxnEntry makes it again.
    from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
    from zookeeper_py.server.zk_database import ZKDatabase

    txns = sample_txns(first_zxid=0x500000001, count_extra=40)
    log_dir = tmp_path / "version-2"
    log_dir.mkdir()
    log = FileTxnLog(str(log_dir))
    for i, (hdr, txn) in enumerate(txns):
        if i and i % 9 == 0:
            log.roll_log()
        log.append(hdr, txn, TxnDigest(2, i) if i % 2 else None)
    log.commit()
    log.close()
    db = ZKDatabase(FileTxnSnapLog(str(tmp_path), str(tmp_path)))
    for first, learner in ((2, 30), (9, 9), (2, 3), (10, 10)):
        itr = db.get_proposals_from_txn_log(txns[first][0].zxid, 1 << 30)
        try:
            prev = itr.skip_to(txns[learner][0].zxid)
            got = [(p.packet.zxid, p.packet.data) for p in itr]
        finally:
            itr.close()
        # without fast forward the walk starts at the first txn of the last file begun before `first`
        start = (first - 1) // 9 * 9
        assert prev == (txns[learner - 1][0].zxid if learner > start else -1)
        assert got == [(hdr.zxid, Util.marshall_txn_entry(hdr, txn, TxnDigest(2, i) if i % 2 else None))
                       for i, (hdr, txn) in enumerate(txns) if i >= learner]


def test_empty_dir(tmp_path):
    assert FileTxnLog(str(tmp_path)).get_last_logged_zxid() == -1
    assert read_all(tmp_path) == []
    assert FileTxnLog(str(tmp_path / "missing")).get_last_logged_zxid() == -1


def test_file_layout_header_entries_and_preallocation(tmp_path, sysprops):
    txns = sample_txns()[:3]
    write_log(tmp_path, txns)
    path = tmp_path / "log.1"
    data = path.read_bytes()
    # FileHeader "ZKLG", version 2, dbid 0, then the file is preallocated to 64 MiB past it
    assert data[:16] == b"ZKLG" + struct.pack(">iq", 2, 0)
    assert len(data) == 16 + PREALLOC
    pos = 16
    for hdr, txn in txns:
        crc, n = struct.unpack_from(">qi", data, pos)
        body = data[pos + 12:pos + 12 + n]
        assert body == hdr.to_bytes() + txn.to_bytes()
        import zlib
        assert crc == zlib.adler32(body)
        assert data[pos + 12 + n:pos + 13 + n] == b"B"
        pos += 13 + n
    assert data[pos:] == bytes(len(data) - pos)  # zero padding to the end


def test_prealloc_size_property_in_kib_and_growth(tmp_path, sysprops):
    sysprops("zookeeper.preAllocSize", "1")  # 1 KiB steps
    txns = sample_txns(count_extra=200)
    log = FileTxnLog(str(tmp_path))
    sizes = []
    for hdr, txn in txns:
        log.append(hdr, txn)
        log.commit()
        sizes.append(os.path.getsize(tmp_path / "log.1"))
    log.close()
    # Each append first grows the file (FilePadding, from the flushed position), then writes;
    # an entry may run past the padded end, as in Java. Replay that arithmetic:
    expected, current, pos = [], 16, 16
    for hdr, txn in txns:
        current = FilePadding.calculate_file_size_with_padding(pos, current, 1024)
        pos += 13 + len(hdr.to_bytes()) + len(txn.to_bytes() if txn else b"")
        expected.append(max(current, pos))
    assert sizes == expected
    assert sizes[0] == 16 + 1024
    _, end = entry_offsets(tmp_path / "log.1")
    assert end <= sizes[-1]
    assert [h for h, _ in read_all(tmp_path)] == [h for h, _ in txns]


def test_commit_fsyncs_unless_force_sync_is_no(tmp_path, sysprops, monkeypatch):
    synced = []
    real = file_txn_log._fdatasync
    monkeypatch.setattr(file_txn_log, "_fdatasync", lambda fd: (synced.append(fd), real(fd)))
    log = FileTxnLog(str(tmp_path / "a"))
    os.makedirs(tmp_path / "a")
    hdr, txn = sample_txns()[0]
    log.append(hdr, txn)
    log.commit()
    assert len(synced) == 1 and log.is_force_sync()
    assert log.get_txn_log_sync_elapsed_time() >= 0
    log.close()

    sysprops("zookeeper.forceSync", "no")
    os.makedirs(tmp_path / "b")
    log = FileTxnLog(str(tmp_path / "b"))
    log.append(hdr, txn)
    log.commit()
    log.close()
    assert len(synced) == 1 and not log.is_force_sync()
    # committed data is in the file even without the fsync
    assert read_all(tmp_path / "b")[0][0] == hdr


def test_commit_fsyncs_every_file_since_last_commit_then_keeps_only_the_current(tmp_path, sysprops, monkeypatch):
    synced = []
    real = file_txn_log._fdatasync
    monkeypatch.setattr(file_txn_log, "_fdatasync", lambda fd: (synced.append(fd), real(fd)))
    txns = sample_txns()
    log = FileTxnLog(str(tmp_path))
    log.append(*txns[0])
    log.roll_log()
    log.append(*txns[1])
    log.roll_log()
    log.append(*txns[2])
    log.commit()
    assert len(set(synced)) == 3
    assert len(log.streams_to_flush) == 1
    log.close()
    assert sorted(os.listdir(tmp_path)) == ["log.1", "log.2", "log.3"]


def test_fsync_warning_past_threshold(tmp_path, sysprops, caplog):
    # any fsync takes more than -1 ms, so this threshold makes every commit warn
    sysprops("zookeeper.fsync.warningthresholdms", "-1")
    log = FileTxnLog(str(tmp_path))
    log.append(*sample_txns()[0])
    with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
        log.commit()
    log.close()
    assert any("fsync-ing the write ahead log in" in r.getMessage()
               and "which will adversely effect operation latency" in r.getMessage()
               and "File size is %d bytes" % (16 + PREALLOC) in r.getMessage() for r in caplog.records)


def test_old_fsync_property_name_is_read_too(tmp_path, sysprops, caplog):
    sysprops("fsync.warningthresholdms", "-1")
    log = FileTxnLog(str(tmp_path))
    log.append(*sample_txns()[0])
    with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
        log.commit()
    log.close()
    assert any("fsync-ing" in r.getMessage() for r in caplog.records)


def test_zxid_going_backwards_is_warned_and_still_written(tmp_path, sysprops, caplog):
    txns = sample_txns()[:3]
    log = FileTxnLog(str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
        log.append(*txns[1])
        log.append(*txns[0])
    log.commit()
    log.close()
    assert "Current zxid 1 is <= 2 for createSession" in caplog.text
    assert [h.zxid for h, _ in read_all(tmp_path, 0, False)] == [2, 1]
    assert log.append(None, None) is False


def test_digest_is_written_and_read_back(tmp_path, sysprops):
    hdr, txn = sample_txns()[2]
    log = FileTxnLog(str(tmp_path))
    log.append(hdr, txn, TxnDigest(2, 123456789))
    log.commit()
    log.close()
    with FileTxnLog(str(tmp_path)).read(0) as itr:
        assert itr.get_txn() == txn and itr.get_digest() == TxnDigest(2, 123456789)


def test_truncate_cuts_after_the_zxid_and_deletes_later_files(tmp_path, sysprops):
    txns = sample_txns(count_extra=20)
    write_log(tmp_path, txns, roll_every=10)
    files_before = set(os.listdir(tmp_path))
    cut = txns[13][0].zxid  # in the second file
    assert FileTxnLog(str(tmp_path)).truncate(cut)
    assert set(os.listdir(tmp_path)) == {Util.make_log_name(1), Util.make_log_name(11)}
    assert files_before > set(os.listdir(tmp_path))
    assert [h.zxid for h, _ in read_all(tmp_path)] == list(range(1, cut + 1))
    # the file ends right after the txn: no padding left
    offsets, end = entry_offsets(tmp_path / Util.make_log_name(11))
    assert os.path.getsize(tmp_path / Util.make_log_name(11)) == end
    # appending again starts a new file after the cut
    log = FileTxnLog(str(tmp_path))
    log.append(TxnHeader(SESSION_1, 99, cut + 1, 0, OpCode.create), CreateTxn("/again", b"", OPEN, False, 1))
    log.commit()
    log.close()
    assert read_all(tmp_path)[-1][1].path == "/again"


def test_truncate_with_no_logs_fails(tmp_path):
    with pytest.raises(IOError, match="No log files found to truncate"):
        FileTxnLog(str(tmp_path)).truncate(5)


def test_stray_files_are_ignored(tmp_path, sysprops):
    txns = sample_txns()
    write_log(tmp_path, txns, roll_every=5)
    for name in ("log.txt", "log.1.fixed", "log.", "snapshot.abc", "README", "log.zz.1", "currentEpoch"):
        (tmp_path / name).write_bytes(b"garbage that is no log at all")
    os.makedirs(tmp_path / "log.dir.d")
    assert [h for h, _ in read_all(tmp_path)] == [h for h, _ in txns]
    assert FileTxnLog(str(tmp_path)).get_last_logged_zxid() == txns[-1][0].zxid


def test_truncated_last_entry_ends_the_log(tmp_path, sysprops, caplog):
    """A crash in the middle of writing: the file simply ends inside the last entry."""
    txns = sample_txns()
    write_log(tmp_path, txns)
    path = tmp_path / "log.1"
    offsets, end = entry_offsets(path)
    for cut in (end - 1, offsets[-1] + 12, offsets[-1] + 5):
        with open(path, "r+b") as f:
            f.truncate(cut)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
            assert [h for h, _ in read_all(tmp_path)] == [h for h, _ in txns[:-1]]
        assert "Transaction log %s ends with a partial entry at offset %d" % (path, offsets[-1]) in caplog.text
    # a file that ends right after an entry (as truncate() leaves it) is no warning
    with open(path, "r+b") as f:
        f.truncate(offsets[-1])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
        assert [h for h, _ in read_all(tmp_path)] == [h for h, _ in txns[:-1]]
    assert caplog.text == ""
    assert FileTxnLog(str(tmp_path)).get_last_logged_zxid() == txns[-2][0].zxid


def test_partial_entry_in_preallocated_file_is_logged_and_later_files_still_read(tmp_path, sysprops, caplog):
    """Length written but the body and the 'B' not: zeros follow, as in a preallocated file."""
    txns = sample_txns(count_extra=10)
    write_log(tmp_path, txns, roll_every=8)
    first = tmp_path / "log.1"
    offsets, end = entry_offsets(first)
    with open(first, "r+b") as f:
        f.seek(offsets[-1] + 14)
        f.write(bytes(end - offsets[-1] - 14))
    with caplog.at_level(logging.WARNING):
        got = read_all(tmp_path)
    assert "Last transaction was partial." in caplog.text
    assert "Transaction log %s ends with a partial entry at offset %d" % (first, offsets[-1]) in caplog.text
    # everything before the broken entry, then the next file, is still there
    assert [h.zxid for h, _ in got] == [h.zxid for h, _ in txns[:7] + txns[8:]]


def test_flipped_byte_is_a_crc_error_naming_file_and_offset(tmp_path, sysprops, caplog):
    txns = sample_txns()
    write_log(tmp_path, txns)
    path = tmp_path / "log.1"
    offsets, _ = entry_offsets(path)
    bad = 5
    with open(path, "r+b") as f:
        f.seek(offsets[bad] + 12 + 20)  # inside the TxnHeader of entry 5
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x10]))
    seen = []
    with caplog.at_level(logging.ERROR, logger="FileTxnLog"):
        with pytest.raises(CrcCheckError) as info:
            with FileTxnLog(str(tmp_path)).read(0) as itr:
                while itr.get_header() is not None:
                    seen.append(itr.get_header())
                    itr.next()
    assert str(info.value) == "CRC check failed"
    assert info.value.log_file == str(path) and info.value.offset == offsets[bad]
    assert "CRC check failed in %s for the entry at offset %d" % (path, offsets[bad]) in caplog.text
    # nothing earlier is lost
    assert seen == [h for h, _ in txns[:bad]]


def test_fast_forward_past_a_flipped_byte_is_a_crc_error(tmp_path, sysprops):
    # read(zxid) skips the entries below zxid without decoding them, but still checks them
    txns = sample_txns()
    write_log(tmp_path, txns)
    path = tmp_path / "log.1"
    offsets, _ = entry_offsets(path)
    with open(path, "r+b") as f:
        f.seek(offsets[2] + 12 + 40)  # inside entry 2's txn, past its header
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x01]))
    with pytest.raises(CrcCheckError) as info:
        FileTxnLog(str(tmp_path)).read(txns[5][0].zxid).close()
    assert info.value.offset == offsets[2]


def test_fast_forward_lands_on_the_zxid_asked_for(tmp_path, sysprops):
    txns = sample_txns()
    write_log(tmp_path, txns)
    for i in range(len(txns)):
        with FileTxnLog(str(tmp_path)).read(txns[i][0].zxid) as itr:
            assert itr.get_header() == txns[i][0]
            assert itr.get_txn() == txns[i][1]


def test_bad_magic_number(tmp_path, sysprops):
    write_log(tmp_path, sample_txns())
    with open(tmp_path / "log.1", "r+b") as f:
        f.write(b"ZKSN")
    with pytest.raises(IOError, match="has invalid magic number"):
        read_all(tmp_path)


def test_deserialize_txn_reads_create_v0_and_3_8_trailers():
    hdr = TxnHeader(SESSION_1, 1, 5, 0, OpCode.create)
    v0 = CreateTxnV0("/old", b"d", OPEN, False)
    got_hdr = TxnHeader()
    txn = SerializeUtils.deserialize_txn(hdr.to_bytes() + v0.to_bytes(), got_hdr)
    assert got_hdr == hdr
    assert txn == CreateTxn("/old", b"d", OPEN, False, -1)
    # a 3.8 closeSession carries CloseSessionTxn and a digest; 3.5.7 semantics give None
    from zookeeper_py.txn import CloseSessionTxn
    close = TxnHeader(SESSION_1, 2, 6, 0, OpCode.closeSession)
    raw = close.to_bytes() + CloseSessionTxn(["/e1"]).to_bytes() + TxnDigest(2, 42).to_bytes()
    h, t, d = SerializeUtils.deserialize_txn_entry(raw)
    assert (h, t, d) == (close, None, TxnDigest(2, 42))
    assert SerializeUtils.deserialize_txn_entry(raw, close_session_txn=True)[1] == CloseSessionTxn(["/e1"])
    assert SerializeUtils.deserialize_txn_entry(close.to_bytes()) == (close, None, None)
    with pytest.raises(IOError, match="Unsupported Txn with type=%d9"):
        SerializeUtils.deserialize_txn(TxnHeader(1, 1, 1, 1, OpCode.sync).to_bytes())
    # Unlike Java, a top-level check txn reads back (see test_standalone_check_does_not_break_restart).
    check = TxnHeader(1, 1, 1, 1, OpCode.check)
    assert SerializeUtils.deserialize_txn(check.to_bytes() + CheckVersionTxn("/c", 1).to_bytes()) == \
        CheckVersionTxn("/c", 1)
    req = Request.from_txn(SESSION_1, 1, OpCode.create, hdr, CreateTxn("/x", b"", OPEN, False, 1), 5)
    assert SerializeUtils.serialize_request(req) == hdr.to_bytes() + CreateTxn("/x", b"", OPEN, False, 1).to_bytes()
    assert SerializeUtils.serialize_request(None) is None


def test_a_learner_keeps_a_proposals_bytes_only_where_serializing_again_gives_them():
    """A follower logs a PROPOSAL's bytes as they came (no second and third serialization) only
    where Util.marshall_txn_entry of what it read gives the same bytes; else it serializes
    what it read, as 3.5.7 does: a digest dropped, a CreateTxnV0 written as a CreateTxn."""
    from zookeeper_py.server.quorum.learner import deserialize_txn_keeping_bytes
    from zookeeper_py.txn import CloseSessionTxn

    create = TxnHeader(SESSION_1, 1, 5, 0, OpCode.create)
    close = TxnHeader(SESSION_1, 2, 6, 0, OpCode.closeSession)
    record = CreateTxn("/x", b"data", OPEN, False, 1)
    kept = [create.to_bytes() + record.to_bytes(), close.to_bytes(),
            close.to_bytes() + CloseSessionTxn(["/e1"]).to_bytes()]
    serialized_again = [create.to_bytes() + record.to_bytes() + TxnDigest(2, 42).to_bytes(),
                        create.to_bytes() + CreateTxnV0("/old", b"d", OPEN, False).to_bytes(),
                        create.to_bytes() + record.to_bytes() + b"\0\0",
                        close.to_bytes() + CloseSessionTxn(["/e1"]).to_bytes() + TxnDigest(2, 42).to_bytes()]
    for data in kept + serialized_again:
        hdr, txn, txn_bytes = deserialize_txn_keeping_bytes(data)
        logged = txn_bytes if txn_bytes is not None else Util.marshall_txn_entry(hdr, txn, None)
        if data in kept:
            assert txn_bytes is data
        else:
            assert txn_bytes is None
            assert logged != data
        assert SerializeUtils.deserialize_txn_entry(logged, close_session_txn=True)[:2] == (hdr, txn)


def test_log_cut_inside_its_header_holds_no_txn(tmp_path, sysprops, caplog):
    """A log file shorter than its 16-byte header (the server stopped between creating it and writing
    the header: test_disk_faults' snapshot-disk-full exit caught it once) is read as empty when it
    is the newest, or when only logs of later epochs follow it (the server restarted into a new
    epoch), and the txns of the other files are all read. Java fails to start (ZOOKEEPER-1621)."""
    txns = sample_txns(count_extra=10)
    write_log(tmp_path, txns, roll_every=8)
    torn_in_epoch_1 = Util.make_log_name(txns[-1][0].zxid + 1)
    later = sample_txns(first_zxid=(2 << 32) + 1)
    write_log(tmp_path, later)
    newest = Util.make_log_name(later[-1][0].zxid + 1)
    for name, size in ((newest, 0), (torn_in_epoch_1, 7)):
        with open(tmp_path / name, "wb") as f:
            f.write(b"ZKLG\0\0\0\x02"[:size])
    with caplog.at_level(logging.WARNING, logger="FileTxnLog"):
        assert [h.zxid for h, _ in read_all(tmp_path)] == [h.zxid for h, _ in txns + later]
    assert "%s ends inside its file header" % (tmp_path / newest) in caplog.text
    assert "%s ends inside its file header" % (tmp_path / torn_in_epoch_1) in caplog.text


def test_a_log_cut_inside_its_header_with_later_logs_of_its_epoch_is_refused(tmp_path, sysprops):
    """A log of the middle cut to a few bytes, with a later log of the same epoch after it: its
    txns are missing (the server that crashed so would have written its next txn to a file of the
    same name), so reading stops with an error naming them, as Java's does, rather than replay
    the later logs over a hole (a tester's damaged data dir served 5,521 of 6,000 znodes)."""
    txns = sample_txns(count_extra=10)
    write_log(tmp_path, txns, roll_every=8)
    names = sorted(os.listdir(tmp_path), key=lambda n: Util.get_zxid_from_name(n, "log"))
    cut, following = names[1], names[2]
    with open(tmp_path / cut, "r+b") as f:
        f.truncate(7)
    with pytest.raises(IOError, match="%s ends inside its file header, yet .*%s follows it in the same epoch: "
                       "the transactions 0x%x to 0x%x are missing" % (
                           cut, following, Util.get_zxid_from_name(cut, "log"),
                           Util.get_zxid_from_name(following, "log") - 1)):
        read_all(tmp_path)
