"""A snapshot's seal is checked by a checksum taken on its own thread while the tree is read
(FileSnap._ChecksumAhead), from a mapped file on CPython (SnapStream.open_all): the sum must be
Adler32's at every position, a flipped byte anywhere must be caught, and nothing stays mapped."""

import json
import os
import random
import subprocess
import sys
import zlib

import pytest

from tests.support.servers import REPO, pypy_python
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence import snap_stream
from zookeeper_py.server.persistence.file_snap import _CHECKSUM_STEP, FileSnap, _ChecksumAhead
from zookeeper_py.server.persistence.snap_stream import SnapStream
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

OPEN = list(Ids.OPEN_ACL_UNSAFE)


def test_the_running_checksum_is_adler32_up_to_any_position():
    buf = random.Random(7).randbytes(2 * _CHECKSUM_STEP + 12345)
    ends = [0, 1, _CHECKSUM_STEP - 1, _CHECKSUM_STEP, _CHECKSUM_STEP + 1, _CHECKSUM_STEP + 70001,
            2 * _CHECKSUM_STEP + 5, len(buf)]
    with _ChecksumAhead(buf) as checksum:
        for end in ends:
            assert checksum.up_to(end) == zlib.adler32(buf[:end]), end


SUM_WITH_MAJOR_COLLECTIONS_OFF = """
import gc, json, sys, zlib
from zookeeper_py.server.persistence.file_snap import _ChecksumAhead
buf = bytes(range(256)) * (256 * 1024)  # 64 MiB
gc.disable()  # PyPy: no major collection, so every block copied out of the nursery stays
before = gc.get_stats()._s.total_rawmalloced_memory
with _ChecksumAhead(buf) as checksum:
    ok = checksum.up_to(len(buf)) == zlib.adler32(buf)
after = gc.get_stats()._s.total_rawmalloced_memory
print(json.dumps({"ok": ok, "rawmalloced_growth": after - before}))
"""


def test_pypy_sums_the_buffer_without_copying_it_out_of_the_nursery():
    """PyPy's zlib.adler32 copies the part of the buffer it is given. Parts of 8 MiB were copied
    to blocks that only a major collection frees: a 1M-znode load's peak held the file's size
    of them again. Summed in small parts, the copies die young."""
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    out = subprocess.run([python, "-c", SUM_WITH_MAJOR_COLLECTIONS_OFF], capture_output=True, text=True,
                         timeout=300, check=True, env=dict(os.environ, PYPY_GC_NURSERY="32MB"), cwd=REPO)
    result = json.loads(out.stdout)
    assert result["ok"]
    assert result["rawmalloced_growth"] < 8 << 20, result


def test_an_empty_buffer_sums_to_adler32s_start():
    with _ChecksumAhead(b"") as checksum:
        assert checksum.up_to(0) == 1


def big_snapshot(directory, znodes=150000):
    """A snapshot (150k znodes: about 28 MB, 3 checksum steps and a part) and the tree's paths."""
    dt = DataTree()
    for i in range(1, znodes + 1):
        dt.process_txn(TxnHeader(1, i, i, 0, OpCode.create), CreateTxn("/n%d" % i, b"d" * 150, OPEN, False, i))
    path = os.path.join(directory, Util.make_snapshot_name(znodes))
    FileSnap(directory).serialize(dt, {1: 30000}, path)
    assert znodes < 150000 or os.path.getsize(path) > 3 * _CHECKSUM_STEP
    return path, set(dt.nodes)


def mapped(path):
    with open("/proc/self/maps") as f:
        return any(line.rstrip().endswith(path) for line in f)


def test_a_big_snapshot_loads_whole_and_is_not_left_mapped(tmp_path):
    path, paths = big_snapshot(str(tmp_path))
    dt = DataTree()
    sessions = {}
    assert FileSnap(str(tmp_path)).deserialize(dt, sessions) == 150000
    assert set(dt.nodes) == paths and sessions == {1: 30000}
    assert dt.get_node("/n150000").data == b"d" * 150
    if sys.platform.startswith("linux"):
        assert not mapped(path)


@pytest.mark.parametrize("where", ["first step", "past the first step", "last bytes of the tree"])
def test_a_flipped_byte_anywhere_in_a_big_snapshot_is_caught(tmp_path, where):
    path, _ = big_snapshot(str(tmp_path))
    size = os.path.getsize(path)
    # The seal (long + "/") is the last 13 bytes; each spot lies in a node's data bytes ("d"s),
    # so the tree still parses and only the checksum can tell.
    spot = {"first step": _CHECKSUM_STEP // 2, "past the first step": _CHECKSUM_STEP + 4321,
            "last bytes of the tree": size - 13 - 1000}[where]
    with open(path, "r+b") as f:
        f.seek(spot)
        window = f.read(400)
        offset = spot + window.index(b"d" * 100) + 50
        f.seek(offset)
        f.write(b"e")
    with pytest.raises(IOError, match="CRC corruption"):
        FileSnap(str(tmp_path)).read_snapshot_file(DataTree(), {}, path)
    if sys.platform.startswith("linux"):
        assert not mapped(path)


def test_an_empty_snapshot_file_is_refused_not_mapped(tmp_path):
    path = str(tmp_path / Util.make_snapshot_name(5))
    open(path, "wb").close()
    with SnapStream.open_all(path) as buf:
        assert len(buf) == 0
    with pytest.raises(IOError, match="ends early"):
        FileSnap(str(tmp_path)).read_snapshot_file(DataTree(), {}, path)


def test_a_file_system_that_cannot_map_still_loads(tmp_path, monkeypatch):
    path, paths = big_snapshot(str(tmp_path), znodes=2000)

    def refuse(*args, **kwargs):
        raise OSError(19, "No such device")

    monkeypatch.setattr(snap_stream.mmap, "mmap", refuse)
    dt = DataTree()
    assert FileSnap(str(tmp_path)).deserialize(dt, {}) == 2000
    assert set(dt.nodes) == paths
