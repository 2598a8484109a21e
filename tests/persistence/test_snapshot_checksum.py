"""A snapshot's seal is checked by a checksum of what the load consumed (FileSnap._RunningChecksum),
read from the file as the load goes (SnapStream.get_input_stream): the sum must be Adler32's at
every position, a flipped byte anywhere must be caught, and the load must not hold the file whole."""

import io
import json
import os
import random
import subprocess
import sys
import zlib

import pytest

from tests.support.servers import REPO, pypy_python
from zookeeper_py.jute import BinaryInputArchive
from zookeeper_py.jute.binary_input_archive import _READ_CHUNK
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap, _RunningChecksum
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

OPEN = list(Ids.OPEN_ACL_UNSAFE)


def test_the_running_checksum_is_adler32_up_to_any_position():
    data = random.Random(7).randbytes(3 * _READ_CHUNK + 12345)
    ia = BinaryInputArchive.get_archive(io.BytesIO(data))
    checksum = _RunningChecksum(ia)
    consumed = 0
    for step in (0, 1, 7, _READ_CHUNK - 9, 1, 70001, _READ_CHUNK, 5):
        for _ in range(step):
            ia.read_byte()
        consumed += step
        assert checksum.value() == zlib.adler32(data[:consumed]), consumed
    assert checksum.value() == zlib.adler32(data[:consumed])  # asking again moves nothing


def test_an_empty_stream_sums_to_adler32s_start():
    assert _RunningChecksum(BinaryInputArchive.get_archive(io.BytesIO(b""))).value() == 1


def big_snapshot(directory, znodes=150000):
    """A snapshot (150k znodes: about 28 MB, some 430 of the load's reads) and the tree's paths."""
    dt = DataTree()
    for i in range(1, znodes + 1):
        dt.process_txn(TxnHeader(1, i, i, 0, OpCode.create), CreateTxn("/n%d" % i, b"d" * 150, OPEN, False, i))
    path = os.path.join(directory, Util.make_snapshot_name(znodes))
    FileSnap(directory).serialize(dt, {1: 30000}, path)
    return path, set(dt.nodes)


def left_open(path):
    fds = "/proc/self/fd"
    return any(os.path.realpath(os.path.join(fds, fd)) == path for fd in os.listdir(fds))


def test_a_big_snapshot_loads_whole_and_is_not_left_open(tmp_path):
    path, paths = big_snapshot(str(tmp_path))
    dt = DataTree()
    sessions = {}
    assert FileSnap(str(tmp_path)).deserialize(dt, sessions) == 150000
    assert set(dt.nodes) == paths and sessions == {1: 30000}
    assert dt.get_node("/n150000").data == b"d" * 150
    if sys.platform.startswith("linux"):
        assert not left_open(path)


@pytest.mark.parametrize("where", ["first read", "past the first reads", "last bytes of the tree"])
def test_a_flipped_byte_anywhere_in_a_big_snapshot_is_caught(tmp_path, where):
    path, _ = big_snapshot(str(tmp_path))
    size = os.path.getsize(path)
    # The seal (long + "/") is the last 13 bytes; each spot lies in a node's data bytes ("d"s),
    # so the tree still parses and only the checksum can tell.
    spot = {"first read": _READ_CHUNK // 2, "past the first reads": 3 * _READ_CHUNK + 4321,
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
        assert not left_open(path)


def test_an_empty_snapshot_file_is_refused(tmp_path):
    path = str(tmp_path / Util.make_snapshot_name(5))
    open(path, "wb").close()
    with pytest.raises(IOError, match="ends early"):
        FileSnap(str(tmp_path)).read_snapshot_file(DataTree(), {}, path)
    if sys.platform.startswith("linux"):
        assert not left_open(path)


LOAD_AND_MEASURE = """
import gc, json, os, sys
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

pypy = sys.implementation.name == "pypy"
if pypy:
    gc.disable()  # PyPy: no major collection, so every block copied out of the nursery stays
    raw = lambda: gc.get_stats()._s.total_rawmalloced_memory
gc.collect()
before, raw_before = status("VmRSS"), raw() if pypy else 0
dt = DataTree()
FileSnap(sys.argv[1]).read_snapshot_file(dt, {}, sys.argv[2])
print(json.dumps({"nodes": dt.get_node_count(), "peak_over_final": status("VmHWM") - status("VmRSS"),
                  "rawmalloced_growth": raw() - raw_before if pypy else None}))
"""


def load_in_a_new_process(python, tmp_path):
    path, _ = big_snapshot(str(tmp_path), znodes=100000)
    out = subprocess.run([python, "-c", LOAD_AND_MEASURE, str(tmp_path), path], capture_output=True, text=True,
                         timeout=300, check=True, env=dict(os.environ, PYPY_GC_NURSERY="32MB"), cwd=REPO)
    result = json.loads(out.stdout)
    assert result["nodes"] == DataTree().get_node_count() + 100000
    return result, os.path.getsize(path)


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="measures CPython's RSS")
def test_a_load_never_holds_the_whole_file(tmp_path):
    """Read as the load consumes it, a snapshot costs no more at the load's peak than the tree it
    makes: a mapped file's pages (or a file read whole) were the file's size more."""
    result, size = load_in_a_new_process(sys.executable, tmp_path)
    assert result["peak_over_final"] < 0.25 * size, (result, size)


def test_pypy_loads_without_garbage_the_size_of_the_file(tmp_path):
    """On PyPy a file read whole is one block that only a major collection frees, and so were
    the parts of it its checksum copied: twice the file's size in all. Read and summed 64 KiB
    at a time, those copies die in the nursery; what is left is the tree's own tables."""
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    result, size = load_in_a_new_process(python, tmp_path)
    assert result["rawmalloced_growth"] < size, (result, size)
