"""Util, FilePadding, getLogFiles: names, ordering, validity, padding arithmetic."""

import os

import pytest

from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog
from zookeeper_py.server.persistence.util import Util, list_files


def test_names_are_lowercase_hex_without_leading_zeros():
    assert Util.make_log_name(1) == "log.1"
    assert Util.make_log_name(0x100000001) == "log.100000001"
    assert Util.make_snapshot_name(0) == "snapshot.0"
    assert Util.make_snapshot_name(0xABCDEF) == "snapshot.abcdef"
    # Long.toHexString of a negative long is its two's complement
    assert Util.make_log_name(-1) == "log.ffffffffffffffff"


@pytest.mark.parametrize("name,prefix,zxid", [
    ("log.1", "log", 1),
    ("log.100000001", "log", 0x100000001),
    ("log.ABC", "log", 0xABC),
    ("snapshot.0", "snapshot", 0),
    ("log.7fffffffffffffff", "log", 0x7FFFFFFFFFFFFFFF),
    ("log.1.", "log", 1),  # String.split drops trailing empty parts
    ("log.-5", "log", -5),  # Long.parseLong takes a sign
    ("log.8000000000000000", "log", -1),  # overflows a signed long
    ("log.1.fixed", "log", -1),
    ("snapshot.5.gz", "snapshot", 5),  # 3.6+ compressed snapshots (SnapStream)
    ("snapshot.5.snappy", "snapshot", 5),
    ("log.5.gz", "log", -1),
    ("log.0x10", "log", -1),
    ("log.", "log", -1),
    ("log", "log", -1),
    ("log.xyz", "log", -1),
    ("log. 1", "log", -1),
    ("snapshot.1", "log", -1),
    ("currentEpoch", "log", -1),
])
def test_get_zxid_from_name(name, prefix, zxid):
    assert Util.get_zxid_from_name(name, prefix) == zxid


def test_sort_data_dir_is_by_zxid_and_stable():
    files = ["/d/log.10", "/d/log.2", "/d/junk", "/d/log.a", "/d/other", "/d/log.1"]
    assert Util.sort_data_dir(files, "log", True) == ["/d/junk", "/d/other", "/d/log.1", "/d/log.2", "/d/log.a",
                                                      "/d/log.10"]
    assert Util.sort_data_dir(files, "log", False) == ["/d/log.10", "/d/log.a", "/d/log.2", "/d/log.1", "/d/junk",
                                                       "/d/other"]
    assert Util.sort_data_dir(None, "log", True) == []


def test_is_valid_snapshot(tmp_path):
    def make(name, content):
        p = tmp_path / name
        p.write_bytes(content)
        return str(p)

    assert Util.is_valid_snapshot(make("snapshot.1", b"x" * 20 + b"\x00\x00\x00\x01/"))
    assert not Util.is_valid_snapshot(make("snapshot.2", b"x" * 20 + b"\x00\x00\x00\x02/"))
    assert not Util.is_valid_snapshot(make("snapshot.3", b"\x00\x00\x00\x01/"))  # shorter than 10 bytes
    assert not Util.is_valid_snapshot(make("snapshot.4", b""))
    assert not Util.is_valid_snapshot(make("snapshot.x", b"x" * 20 + b"\x00\x00\x00\x01/"))
    assert not Util.is_valid_snapshot(make("snap.5", b"x" * 20 + b"\x00\x00\x00\x01/"))
    assert not Util.is_valid_snapshot(None)
    with pytest.raises(OSError):
        Util.is_valid_snapshot(str(tmp_path / "snapshot.6"))


def test_padding_arithmetic():
    step = 64 * 1024 * 1024
    # a fresh log: header written (16 bytes) and known size 16
    assert FilePadding.calculate_file_size_with_padding(16, 16, step) == 16 + step
    # far from the end: unchanged
    assert FilePadding.calculate_file_size_with_padding(1000, 16 + step, step) == 16 + step
    # within 4 KiB of the end: one more step
    assert FilePadding.calculate_file_size_with_padding(16 + step - 4096, 16 + step, step) == 16 + 2 * step
    # already past the end: position + step, rounded down to a multiple of the step
    assert FilePadding.calculate_file_size_with_padding(3 * step + 10, step, step) == 4 * step
    # preallocation off
    assert FilePadding.calculate_file_size_with_padding(5000, 100, 0) == 100
    assert FilePadding.calculate_file_size_with_padding(5000, 100, -1) == 100


def test_get_log_files_picks_the_log_holding_the_snapshot_zxid_and_later(tmp_path):
    for name in ("log.1", "log.10", "log.20", "log.35", "snapshot.15", "log.1.fixed", "README"):
        (tmp_path / name).write_bytes(b"")
    listing = list_files(str(tmp_path))
    names = lambda fs: [os.path.basename(f) for f in fs]  # noqa: E731
    assert names(FileTxnLog.get_log_files(listing, 0x15)) == ["log.10", "log.20", "log.35"]
    assert names(FileTxnLog.get_log_files(listing, 0x20)) == ["log.20", "log.35"]
    assert names(FileTxnLog.get_log_files(listing, 0)) == ["log.1", "log.10", "log.20", "log.35"]
    assert names(FileTxnLog.get_log_files(listing, 0xF)) == ["log.1", "log.10", "log.20", "log.35"]
    assert names(FileTxnLog.get_log_files(listing, 0x100)) == ["log.35"]
    assert FileTxnLog.get_log_files(None, 0) == []
    assert list_files(str(tmp_path / "missing")) is None
