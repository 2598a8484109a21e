"""Disk faults against real server processes, ours and Java ZooKeeper 3.8 side by side.

- the txn log's disk fills up (dataDir on a small tmpfs mounted by the test);
- the snapshot disk fills up (dataDir on a small tmpfs, dataLogDir elsewhere);
- fsync of the txn log fails with EIO while its writes still succeed (the data dir
  on fsync_fault_fs.py, a pass-through FUSE file system armed by the test: the
  kernel has no device-mapper here for a dm "error" target; see below for why not
  ext4 on a loop device over a full tmpfs);
- the snapshot cannot be read (bytes flipped, cut short, a directory in its place),
  with and without an older good one to fall back to.

Each test checks what the server does (stops by itself, or refuses to start), the log
record that says why, and then clears the fault, restarts the server and checks that
every write the client saw acknowledged is there. Mounting needs root with
CAP_SYS_ADMIN; where that fails the test is skipped with the reason.

Why not a loop device for the fsync failure: ext4 on a loop device whose sparse
backing file sits on a full tmpfs does make fdatasync fail with ENOSPC, but when one
request of the loop device is written only in part (its first page was allocated
before, the rest cannot be), this kernel's loop driver reports it as done: fdatasync
returns 0 and the data is gone, so acknowledged writes would be lost by the fault
injection itself.

In-process tests at the end drive SyncRequestProcessor with a real txn log: a request
is handed downstream at most once, and never after its fsync failed.
"""

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest

from tests.persistence.txns import logged_zxids
from tests.support import java_zk
from tests.support.net import wait_until
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.server.request_processor import RequestProcessor

kazoo_client = pytest.importorskip("kazoo.client", reason="kazoo is not installed for this interpreter")
from kazoo.retry import KazooRetry  # noqa: E402

KINDS = {"python": PythonServer, "java": JavaServer}
CRITICAL_SYNC = "Severe unrecoverable error, from thread : SyncThread:0"
SNAPSHOT_EXIT = "Severe unrecoverable error, exiting"
ENOSPC = "No space left on device"
EIO = "Input/output error"
# a log record starts with its timestamp; lines after it until the next one belong to it
_RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


@pytest.fixture(params=sorted(KINDS))
def kind(request):
    if request.param == "java":
        java_zk.require_java_zookeeper()
    return request.param


# -- faults ------------------------------------------------------------------------


def _run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def _umount(path):
    if _run(["umount", path]).returncode != 0:
        _run(["umount", "-l", path])


@contextlib.contextmanager
def tmpfs(path, size):
    """A tmpfs of `size` (mount's syntax: 2m) at path, unmounted afterwards."""
    os.makedirs(path, exist_ok=True)
    r = _run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path])
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs at %s (%s): the disk-full tests need root with CAP_SYS_ADMIN"
                    % (path, (r.stderr or r.stdout).strip()))
    try:
        yield path
    finally:
        _umount(path)


def resize_tmpfs(path, size):
    r = _run(["mount", "-o", "remount,size=%s" % size, path])
    assert r.returncode == 0, r.stderr


FSYNC_FAULT_FS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fsync_fault_fs.py")
_FUSEPY_CHECK = ("try:\n import fusepy as f\nexcept ImportError:\n import fuse as f\n"
                 "f.FUSE, f.Operations, f.FuseOSError\n")


def _fusepy_python():
    """An interpreter that can run fsync_fault_fs.py (has fusepy and libfuse), or None."""
    for python in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(python) and _run([python, "-c", _FUSEPY_CHECK]).returncode == 0:
            return python
    return None


class FsyncFaultDisk:
    """A directory whose fsync fails on demand: fsync_fault_fs.py (FUSE) over a real one.

    Writes reach the backing directory as usual; while armed, every fsync and
    fdatasync of a file below `path` fails with EIO in the kernel, as on a failing
    disk (device-mapper, which would give a dm "error" or dm-flakey target, is not
    in this kernel)."""

    def __init__(self, path, flag):
        self.path = path
        self.flag = flag

    def arm(self):
        with open(self.flag, "w"):
            pass

    def disarm(self):
        os.remove(self.flag)


@contextlib.contextmanager
def fsync_fault_disk(base):
    if not os.path.exists("/dev/fuse"):
        pytest.skip("no /dev/fuse here: the fsync-failure tests need FUSE")
    python = _fusepy_python()
    if python is None:
        pytest.skip("fusepy is not installed (Debian: apt-get install python3-fusepy; it brings libfuse2): "
                    "the fsync-failure tests mount tests/persistence/fsync_fault_fs.py")
    backing = os.path.join(base, "backing")
    mountpoint = os.path.join(base, "faulty")
    flag = os.path.join(base, "fsync-fails")
    os.makedirs(backing)
    os.makedirs(mountpoint)
    out_path = os.path.join(base, "fsync_fault_fs.out")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([python, FSYNC_FAULT_FS, backing, mountpoint, flag], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.ismount(mountpoint) or proc.poll() is not None, timeout=20,
                   message="the FUSE file system mounted")
        if not os.path.ismount(mountpoint):
            with open(out_path, errors="replace") as f:
                pytest.skip("cannot mount a FUSE file system here: %s" % f.read()[-500:])
        yield FsyncFaultDisk(mountpoint, flag)
    finally:
        if os.path.ismount(mountpoint):
            _umount(mountpoint)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# -- servers and clients ---------------------------------------------------------------


def make_server(kind, base, data_dir, extra_cfg=None):
    return KINDS[kind](base, data_dir=data_dir, extra_cfg=extra_cfg)


def connect(server, retries=2):
    zk = kazoo_client.KazooClient(
        hosts=server.address, timeout=10.0,
        connection_retry=KazooRetry(max_tries=retries, delay=0.1, max_delay=0.2),
        command_retry=KazooRetry(max_tries=0))
    zk.start(timeout=15)
    return zk


def close(zk):
    try:
        zk.stop()
    finally:
        zk.close()


def payload(i, size):
    head = b"payload-%06d-" % i
    return head + b"x" * max(0, size - len(head))


def write_until_refused(server, size, window, limit=200000, first=0, zk=None):
    """Create /n<i> nodes of `size` bytes, `window` in flight, until the server stops
    answering (through `zk`, or a session of its own, which is a write too). Returns
    ({path: data} acknowledged, number of creates sent)."""
    own = zk is None
    if own:
        zk = connect(server, retries=0)
    acked = {}
    pending = {}
    failed = None
    i = first
    try:
        deadline = time.time() + 120
        while failed is None:
            assert time.time() < deadline, "the server kept accepting writes (%d acknowledged)" % len(acked)
            assert i - first < limit, "the disk never filled up after %d writes" % limit
            while len(pending) < window:
                path = "/n%06d" % i
                data = payload(i, size)
                pending[path] = (data, zk.create_async(path, data))
                i += 1
            done = [p for p, (_, r) in pending.items() if r.ready()]
            if not done:
                next(iter(pending.values()))[1].wait(15)
                continue
            for path in done:
                data, result = pending.pop(path)
                try:
                    result.get()
                    acked[path] = data
                except Exception as e:  # ConnectionLoss once the server is gone
                    failed = e
        for path, (data, result) in pending.items():
            result.wait(15)
            if result.successful():
                acked[path] = data
    finally:
        if own:
            close(zk)
    return acked, i - first


def wait_exit(server, timeout=60):
    """The server process ends by itself; returns its exit code."""
    wait_until(lambda: server.proc.poll() is not None, timeout=timeout,
               message="%s server exiting by itself" % server.kind)
    return server.stop()


def assert_acknowledged(server, acked):
    """Every acknowledged write is there, with its data."""
    zk = connect(server)
    try:
        paths = sorted(acked)
        missing = []
        for start in range(0, len(paths), 500):
            batch = [(p, zk.get_async(p)) for p in paths[start:start + 500]]
            for path, result in batch:
                try:
                    data, _ = result.get(timeout=30)
                except Exception as e:
                    missing.append((path, repr(e)))
                    continue
                if data != acked[path]:
                    missing.append((path, "data differs"))
        assert not missing, "%d acknowledged writes lost on %s, e.g. %s" % (len(missing), server.kind, missing[:5])
    finally:
        close(zk)


def assert_member_caught_up(server, acked):
    """After a sync through it, the ensemble member `server` has every acknowledged write."""
    zk = connect(server)
    try:
        zk.sync("/")
    finally:
        close(zk)
    assert_acknowledged(server, acked)


def log_record(text, headline, cause):
    """The log record (its line and the stack trace under it) holding `headline` and
    naming `cause`; fails showing the records that hold the headline."""
    lines = text.splitlines()
    seen = []
    for i, line in enumerate(lines):
        if headline not in line:
            continue
        record = [line]
        for more in lines[i + 1:]:
            if _RECORD_START.match(more):
                break
            record.append(more)
        if any(cause in r for r in record):
            return record
        seen.append(record[:3])
    raise AssertionError("no log record %r naming %r; records with the headline: %r" % (headline, cause, seen))


# -- the txn log's disk fills up ------------------------------------------------------


@pytest.mark.parametrize("size,window", [(1000, 20), (20000, 1)], ids=["small-pipelined", "big-one-by-one"])
def test_txn_log_disk_full(kind, size, window, tmp_path):
    """Java: the append or the commit raises ENOSPC in SyncThread, a critical thread, so
    the server goes to ERROR and the standalone main exits (0, or 1 when closing the
    log fails too; ours always 1: it stopped on an error). A full disk is never acknowledged;
    after making room every acknowledged write is there, and the server logs on after the
    partial last entry."""
    base = str(tmp_path)
    with tmpfs(os.path.join(base, "disk"), "2m") as disk:
        server = make_server(kind, base, os.path.join(disk, "data"))
        server.start()
        try:
            acked, sent = write_until_refused(server, size, window)
            code = wait_exit(server)
            assert code in ((0, 1) if kind == "java" else (1,)), "%s exited with %s:\n%s" % (
                kind, code, server.output_tail())
            assert len(acked) < sent
            text = server.all_output()
            log_record(text, CRITICAL_SYNC, ENOSPC)

            resize_tmpfs(disk, "64m")
            server.start()
            assert_acknowledged(server, acked)
            # it goes on from there: a new write survives another restart
            zk = connect(server)
            try:
                zk.create("/after", b"room again")
            finally:
                close(zk)
            server.restart()
            assert_acknowledged(server, dict(acked, **{"/after": b"room again"}))
        finally:
            server.stop()


# -- the snapshot disk fills up ---------------------------------------------------------


def test_snapshot_disk_full(kind, tmp_path):
    """The Snapshot Thread's IOException: "Severe unrecoverable error, exiting" and exit
    code 10 (TXNLOG_ERROR_TAKING_SNAPSHOT). The txn log is on another disk, so every
    acknowledged write is in it; on restart the cut-short snapshot fails the cheap
    validity test (no "/" seal at the end) and the previous one is used with the logs."""
    base = str(tmp_path)
    log_dir = os.path.join(base, "txnlog")
    with tmpfs(os.path.join(base, "snapdisk"), "2m") as disk:
        server = make_server(kind, base, os.path.join(disk, "data"),
                             extra_cfg={"dataLogDir": log_dir, "snapCount": "10"})
        server.start()
        try:
            acked, sent = write_until_refused(server, 100000, 1)
            code = wait_exit(server)
            assert code == 10, "%s exited with %s:\n%s" % (kind, code, server.output_tail())
            log_record(server.all_output(), SNAPSHOT_EXIT, ENOSPC)
            snaps = os.listdir(os.path.join(disk, "data", "version-2"))
            assert len([s for s in snaps if s.startswith("snapshot.")]) >= 2, snaps

            resize_tmpfs(disk, "64m")
            server.start()
            assert_acknowledged(server, acked)
        finally:
            server.stop()


def test_snapshot_failing_while_empty_is_deleted(tmp_path):
    """3.6+'s FileTxnSnapLog.save: when not a byte of the snapshot could be written (the
    disk is full), the empty file is removed so that it never counts as the newest
    snapshot; the IOException still goes up (the caller exits 10)."""
    from zookeeper_py.server.data_tree import DataTree
    from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog

    with tmpfs(os.path.join(str(tmp_path), "disk"), "1m") as disk:
        snap_log = FileTxnSnapLog(disk, disk)
        filler = os.path.join(disk, "filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(bytes(1 << 16))
            except OSError as e:
                assert e.errno == 28, e
        dt = DataTree()
        dt.last_processed_zxid = 0x2A
        with pytest.raises(OSError) as raised:
            snap_log.save(dt, {})
        assert raised.value.errno == 28
        assert os.listdir(os.path.join(disk, "version-2")) == []
        snap_log.close()


# -- a follower's disk fills up ----------------------------------------------------------


def test_follower_disk_full_leaves_its_role(kind, tmp_path):
    """In a quorum the same SyncThread failure puts the follower's server into ERROR, so
    the follower leaves its role (Learner.isRunning is false: shutdown, LOOKING) while
    the other two go on acknowledging writes. As Java's, it keeps trying to rejoin
    and fails while the disk is full (the epoch file cannot be written); once there
    is room it follows again with every acknowledged write."""
    from tests.support.ensemble import Ensemble

    ens = Ensemble(str(tmp_path), kinds=("python", "python", kind))
    version_dir = os.path.join(ens.data_dir(3), "version-2")
    try:
        with tmpfs(version_dir, "2m"):
            # 1 and 2 first, so one of them leads and the member with the small disk follows
            ens.start([1, 2])
            ens.wait_for_quorum([1, 2], timeout=90)
            ens.start([3])
            leader = ens.wait_for_quorum(timeout=90)
            assert leader != 3 and ens.mode(3) == "follower", ens.modes()
            zk = kazoo_client.KazooClient(hosts=ens.address(leader), timeout=10.0)
            zk.start(timeout=15)
            acked = {}
            try:
                deadline = time.time() + 120
                after = None
                i = 0
                while after is None or i < after + 20:
                    assert time.time() < deadline, "the follower's disk never filled up:\n%s" % ens.tails()
                    path, data = "/n%06d" % i, payload(i, 20000)
                    zk.create(path, data)
                    acked[path] = data
                    i += 1
                    if after is None and i % 10 == 0 and CRITICAL_SYNC.replace(":0", ":3") in ens.log(3):
                        after = i
            finally:
                close(zk)
            text = ens.log(3)
            log_record(text, CRITICAL_SYNC.replace(":0", ":3"), ENOSPC)
            severe = text.index(CRITICAL_SYNC.replace(":0", ":3"))
            assert "PeerState set to LOOKING" in text[severe:], "member 3 did not leave its role"
            assert ens.is_running(3)

            resize_tmpfs(version_dir, "64m")
            wait_until(lambda: ens.mode(3) == "follower", timeout=60, message="member 3 following again")
            assert_member_caught_up(ens.servers[3], acked)
            ens.stop()
    finally:
        ens.stop()


def _fill(directory):
    """Fill the filesystem of directory with one file; returns its path."""
    filler = os.path.join(directory, "filler")
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(bytes(64 * 1024))
                f.flush()
        except OSError as e:
            assert "No space left" in str(e), e
    return filler


def test_leader_whose_disk_filled_follows_again_and_restarts(kind, tmp_path):
    """The leader's disk fills and it stops for a while (SIGSTOP): the other two elect a new
    leader (epoch 2) and take writes. Resumed, it steps down and tries to follow while no epoch
    file can be written. Once there is room it follows, and a restart must then find both epoch
    files at the new epoch. Ours set each epoch in memory before writing its file (3.5.7's order),
    so a write that failed was never retried: acceptedEpoch stayed at 1 and the restart refused
    ("The accepted epoch, 1 is less than the current epoch, 2"). Java 3.8 writes the file first."""
    from tests.support.ensemble import Ensemble

    ens = Ensemble(str(tmp_path), kinds=("python", "python", kind))
    version_dir = os.path.join(ens.data_dir(3), "version-2")
    try:
        with tmpfs(version_dir, "2m"):
            ens.start_first([3])  # listening before the others start, the highest sid wins
            assert ens.wait_for_quorum(timeout=90) == 3, ens.modes()
            acked = {}
            zk = kazoo_client.KazooClient(hosts=ens.connect_string([1, 2]), timeout=10.0,
                                          connection_retry=KazooRetry(max_tries=-1, max_delay=0.5),
                                          command_retry=KazooRetry(max_tries=-1, max_delay=0.5))
            zk.start(timeout=15)
            try:
                for i in range(10):
                    path, data = "/before%d" % i, payload(i, 100)
                    zk.create(path, data)
                    acked[path] = data
                filler = _fill(version_dir)
                ens.pause(3)
                assert ens.wait_for_quorum([1, 2], timeout=60) in (1, 2)
                for i in range(10):  # epoch 2
                    path, data = "/after%d" % i, payload(i, 100)
                    zk.create(path, data)
                    acked[path] = data
                ens.resume(3)
                wait_until(lambda: ens.log(3).count(ENOSPC) >= 3, timeout=60,
                           message="member 3 failing to join with a full disk")
                assert ens.is_running(3) and ens.mode(3) != "follower"
                os.remove(filler)
                wait_until(lambda: ens.mode(3) == "follower", timeout=60, message="member 3 following again")
            finally:
                close(zk)
            ens.stop_member(3)
            ens.start_member(3)
            wait_until(lambda: ens.mode(3) == "follower" or not ens.is_running(3), timeout=60,
                       message="member 3 restarted")
            assert ens.mode(3) == "follower", ens.log(3)[-3000:]
            assert_member_caught_up(ens.servers[3], acked)
            ens.stop()
    finally:
        ens.stop()


# -- fsync of the txn log fails -----------------------------------------------------------


def test_txn_log_fsync_fails(kind, tmp_path):
    """write() succeeds, fdatasync() fails with EIO. Java's FileChannel.force throws out
    of SyncRequestProcessor.run: the server stops, and the write whose fsync failed
    is not acknowledged. After the fault is gone every acknowledged write is there."""
    base = str(tmp_path)
    with fsync_fault_disk(base) as disk:
        server = make_server(kind, base, os.path.join(disk.path, "data"))
        server.start()
        try:
            # the session is opened before the fault: createSession is a txn too
            zk = connect(server, retries=0)
            acked = {}
            try:
                for i in range(20):
                    data = payload(i, 1000)
                    zk.create("/before%02d" % i, data)
                    acked["/before%02d" % i] = data
                disk.arm()
                more, sent = write_until_refused(server, 1000, 1, first=1000, limit=10, zk=zk)
            finally:
                close(zk)
            assert not more and sent == 1, "acknowledged although its fsync failed: %s" % sorted(more)
            code = wait_exit(server)
            assert code in (0, 1), "%s exited with %s:\n%s" % (kind, code, server.output_tail())
            record = log_record(server.all_output(), CRITICAL_SYNC, EIO)
            assert any("sync" in line.lower() or ".force" in line for line in record), record

            disk.disarm()
            server.start()
            assert_acknowledged(server, acked)
        finally:
            server.stop()


# -- the snapshot cannot be read ---------------------------------------------------------


@pytest.fixture(scope="module")
def written_by_us(tmp_path_factory):
    """A data dir our server wrote with snapCount=10: several snapshots and logs, every
    node holding a `payload` (so a flipped byte lands in data, not in a length)."""
    base = str(tmp_path_factory.mktemp("snapshots"))
    server = PythonServer(base, extra_cfg={"snapCount": "10"})
    server.start()
    nodes = {}
    try:
        zk = connect(server)
        try:
            for i in range(40):
                data = payload(i, 2000)
                zk.create("/n%06d" % i, data)
                nodes["/n%06d" % i] = data
        finally:
            close(zk)
    finally:
        server.stop()
    snaps = snapshots(os.path.join(server.data_dir, "version-2"))
    assert len(snaps) >= 3, snaps
    return server.data_dir, nodes


def snapshots(version_dir):
    """snapshot.<zxid> files, newest first."""
    names = [n for n in os.listdir(version_dir) if re.match(r"^snapshot\.[0-9a-f]+$", n)]
    return [os.path.join(version_dir, n) for n in sorted(names, key=lambda n: int(n.split(".")[1], 16), reverse=True)]


def damage(path, how):
    """Damage the snapshot file `path`; returns its good bytes."""
    with open(path, "rb") as f:
        good = f.read()
    if how == "flipped":
        at = good.rfind(b"payload-")
        assert at > 0, "no payload in %s" % path
        bad = bytearray(good)
        bad[at + 100] ^= 0x20  # inside the data: only the checksum can tell
        with open(path, "wb") as f:
            f.write(bad)
    elif how == "truncated":
        with open(path, "r+b") as f:
            f.truncate(len(good) * 2 // 3)
    elif how == "directory":
        os.remove(path)
        os.mkdir(path)
        with open(os.path.join(path, "junk"), "wb") as f:
            f.write(b"not a snapshot")
    return good


# What Java logs when it passes over the damaged snapshot, and when it finds none.
SKIPPED = {
    "flipped": ("problem reading snap file", "CRC corruption"),
    "truncated": ("Invalid snapshot", "snapshot"),
    "directory": ("invalid snapshot", "Is a directory"),
}
NONE_VALID = {
    "flipped": ("Unexpected exception, exiting abnormally", "Not able to find valid snapshots"),
    "truncated": ("Unexpected exception, exiting abnormally", "No snapshot found, but there are log entries"),
    "directory": ("Unexpected exception, exiting abnormally", "No snapshot found, but there are log entries"),
}


@pytest.mark.parametrize("how", sorted(SKIPPED))
def test_damaged_newest_snapshot_falls_back(kind, how, written_by_us, tmp_path):
    """Java tries the newest snapshots in turn and uses the first that reads back whole,
    then replays the logs after it: nothing is lost."""
    source, nodes = written_by_us
    base = str(tmp_path)
    data_dir = shutil.copytree(source, os.path.join(base, "data"))
    newest = snapshots(os.path.join(data_dir, "version-2"))[0]
    damage(newest, how)
    server = make_server(kind, base, data_dir)
    server.start()
    try:
        assert_acknowledged(server, nodes)
        headline, cause = SKIPPED[how]
        log_record(server.all_output(), headline, cause)
    finally:
        server.stop()


@pytest.mark.parametrize("how", sorted(NONE_VALID))
def test_damaged_only_snapshot_refuses_to_start(kind, how, written_by_us, tmp_path):
    """With no good snapshot left the server does not start from the logs alone: it
    exits 1 ("Unexpected exception, exiting abnormally") naming why. With the good
    snapshot back it starts with everything."""
    source, nodes = written_by_us
    base = str(tmp_path)
    data_dir = shutil.copytree(source, os.path.join(base, "data"))
    snaps = snapshots(os.path.join(data_dir, "version-2"))
    for older in snaps[1:]:
        os.remove(older)
    good = damage(snaps[0], how)
    server = make_server(kind, base, data_dir)
    server.start(wait=False)
    try:
        code = wait_exit(server)
        assert code == 1, "%s exited with %s:\n%s" % (kind, code, server.output_tail())
        headline, cause = NONE_VALID[how]
        log_record(server.all_output(), headline, cause)

        if os.path.isdir(snaps[0]):
            shutil.rmtree(snaps[0])
        with open(snaps[0], "wb") as f:
            f.write(good)
        server.start()
        assert_acknowledged(server, nodes)
    finally:
        server.stop()


def test_a_log_of_the_middle_cut_inside_its_header_refuses_to_start(kind, written_by_us, tmp_path):
    """Only the oldest snapshot left, and a log the replay needs cut to 10 bytes with later logs
    after it: its txns are gone, so neither server starts (ours replayed the later logs over the
    hole and served the tree without them). With the log back, all is there."""
    source, nodes = written_by_us
    base = str(tmp_path)
    data_dir = shutil.copytree(source, os.path.join(base, "data"))
    version_dir = os.path.join(data_dir, "version-2")
    snaps = snapshots(version_dir)
    for newer in snaps[:-1]:
        os.remove(newer)
    oldest_snap = int(snaps[-1].rsplit(".", 1)[1], 16)
    logs = sorted((n for n in os.listdir(version_dir) if n.startswith("log.")), key=lambda n: int(n[4:], 16))
    cut = os.path.join(version_dir, next(n for n in logs[:-1] if int(n[4:], 16) > oldest_snap + 1))
    with open(cut, "rb") as f:
        good = f.read()
    with open(cut, "r+b") as f:
        f.truncate(10)
    server = make_server(kind, base, data_dir)
    server.start(wait=False)
    try:
        code = wait_exit(server)
        assert code == 1, "%s exited with %s:\n%s" % (kind, code, server.output_tail())
        log_record(server.all_output(), "Unexpected exception, exiting abnormally",
                   "EOFException" if kind == "java" else "are missing")

        with open(cut, "wb") as f:
            f.write(good)
        server.start()
        assert_acknowledged(server, nodes)
    finally:
        server.stop()


# -- SyncRequestProcessor's error path, in process ------------------------------------------


class Recorder(RequestProcessor):
    """The next processor: records what it is handed; raises on the request `fail_on`."""

    def __init__(self, fail_on=None):
        self.handed = []
        self.fail_on = fail_on
        self.shut_down = threading.Event()

    def process_request(self, request):
        self.handed.append(request)
        if request is self.fail_on:
            raise RuntimeError("downstream failure on cxid %d" % request.cxid)

    def shutdown(self):
        self.shut_down.set()


def _sync_processor(data_dir, next_processor):
    from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
    from zookeeper_py.server.sync_request_processor import SyncRequestProcessor
    from zookeeper_py.server.zoo_keeper_server import ZooKeeperServer

    zks = ZooKeeperServer(FileTxnSnapLog(data_dir, data_dir), 2000)
    zks.startdata()
    return zks, SyncRequestProcessor(zks, next_processor)


def _create_requests(first_zxid, n, size=100):
    from zookeeper_py.server.request import Request
    from zookeeper_py.txn import CreateTxn, TxnHeader
    from zookeeper_py.zoo_defs import Ids, OpCode

    session = 0x100000A00000001
    out = []
    for i in range(n):
        zxid = first_zxid + i
        hdr = TxnHeader(session, i + 1, zxid, 1700000000000 + i, OpCode.create)
        txn = CreateTxn("/r%04d" % i, payload(i, size), list(Ids.OPEN_ACL_UNSAFE), False, 1)
        out.append(Request(None, session, i + 1, OpCode.create, None, hdr=hdr, txn=txn, zxid=zxid))
    return out


def test_downstream_failure_hands_each_request_once(tmp_path):
    """Java's flush() takes each request off toFlush before handing it on, so when the
    next processor throws, shutdown() hands on only the rest (they are fsynced)."""
    data_dir = str(tmp_path)
    recorder = Recorder()
    zks, sync = _sync_processor(data_dir, recorder)
    requests = _create_requests(1, 3)
    recorder.fail_on = requests[1]
    for r in requests:  # queued before the thread starts: one group commit for all three
        sync.process_request(r)
    sync.start()
    wait_until(lambda: not sync.running, timeout=10, message="SyncThread dying of the downstream failure")
    assert recorder.handed == requests[:2]
    sync.shutdown()
    assert [r.cxid for r in recorder.handed] == [r.cxid for r in requests]
    assert recorder.shut_down.is_set()
    assert logged_zxids(data_dir) == [1, 2, 3]
    zks.get_zk_database().close()


def test_failed_commit_is_never_handed_on(tmp_path):
    """The fsync of a group commit fails (EIO from the file system): nothing of that
    group goes downstream, not even when shutdown() comes after the fault is gone.
    Java's shutdown() commits again and hands on what that commit "made durable",
    though after a failed fsync Linux may have dropped the pages and report the
    next fsync as a success."""
    base = str(tmp_path)
    with fsync_fault_disk(base) as disk:
        data_dir = os.path.join(disk.path, "data")
        recorder = Recorder()
        zks, sync = _sync_processor(data_dir, recorder)
        try:
            sync.start()
            first = _create_requests(1, 3)
            for r in first:
                sync.process_request(r)
            wait_until(lambda: len(recorder.handed) == 3, timeout=10, message="the first group handed on")
            disk.arm()
            second = _create_requests(4, 5)
            for r in second:
                sync.process_request(r)
            wait_until(lambda: not sync.running, timeout=20, message="SyncThread dying of the failed fsync")
            assert sync.log_failed
            disk.disarm()
            sync.shutdown()
            assert recorder.handed == first, "a request whose fsync failed was handed on"
            assert sync.to_flush == []
            assert recorder.shut_down.is_set()
        finally:
            zks.get_zk_database().close()
