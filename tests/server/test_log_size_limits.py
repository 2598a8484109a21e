"""3.6+ size limits on the txn log, ours and Java 3.8's with the same settings: a commit that
leaves the log file longer than zookeeper.txnLogSizeLimitInKb starts a new file, and
zookeeper.snapSizeLimitInKb brings a snapshot once about half to all of it went to the log.
Both compare the file's length, preallocation included (64 MB), so a small limit rolls after
every commit, in Java as in ours. Ours ignored both, unsaid: one log, no snapshot."""

import contextlib
import glob
import os

import pytest
from kazoo.client import KazooClient

from tests.conftest import SERVER_KINDS

pytestmark = pytest.mark.timeout(180)

CREATES = 60


@pytest.fixture(params=["python", "java"])
def kind(request):
    return request.param


def _write_and_count(kind, base, flag):
    server = SERVER_KINDS[kind](str(base), flags=[flag])
    try:
        server.start()
        with _client(server) as zk:
            for i in range(CREATES):  # one at a time: a commit each
                zk.create("/n%03d" % i, b"x" * 200)
        server.stop()
        version_2 = os.path.join(server.data_dir, "version-2")
        logs = glob.glob(os.path.join(version_2, "log.*"))
        snapshots = glob.glob(os.path.join(version_2, "snapshot.*"))
        server.start()  # everything written is read back from those files
        with _client(server) as zk:
            assert len([c for c in zk.get_children("/") if c.startswith("n")]) == CREATES
    finally:
        server.stop()
    return len(logs), len(snapshots)


@contextlib.contextmanager
def _client(server):
    zk = KazooClient(hosts=server.address, timeout=15)
    try:
        zk.start(timeout=15)
        yield zk
    finally:
        zk.stop()
        zk.close()


def test_txn_log_size_limit_rolls_the_log(kind, tmp_path):
    logs, _ = _write_and_count(kind, tmp_path, "-Dzookeeper.txnLogSizeLimitInKb=16")
    assert logs >= CREATES // 2, "%d log files for %d creates" % (logs, CREATES)


def test_snap_size_limit_brings_snapshots(kind, tmp_path):
    logs, snapshots = _write_and_count(kind, tmp_path, "-Dzookeeper.snapSizeLimitInKb=100")
    # A snapshot thread still at work skips the next ("Too busy to snap"): not one per create.
    assert snapshots >= 10 and logs >= 10, "%d snapshots and %d logs for %d creates" % (snapshots, logs, CREATES)
