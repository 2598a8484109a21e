"""PurgeTxnLog, DatadirCleanupManager and bin/zkCleanup.sh, against Java's PurgeTxnLog."""

import logging
import os
import shutil
import subprocess
import sys
import threading

import pytest

from tests.persistence.test_file_txn_log import sysprops  # noqa: F401  (fixture)
from tests.persistence.test_snapshots import build, extended  # noqa: F401  (fixture)
from tests.persistence.trees import diff_states, restore, tree_state
from tests.persistence.txns import sample_txns
from tests.support import java_zk
from tests.support.net import wait_until
from zookeeper_py.server.datadir_cleanup_manager import DatadirCleanupManager, PurgeTaskStatus
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.purge_txn_log import PurgeTxnLog

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def many_snapshots(data_dir, snap_dir=None):
    """A data dir with 6 snapshots, a log rolled at each, and junk beside them."""
    txns = sample_txns(count_extra=40)
    points = {5, 12, 20, 28, 36}
    dt, _, _ = build(data_dir, txns, snap_at=points, roll_at=points, snap_dir=snap_dir)
    return dt, txns


def listing(d):
    return sorted(os.listdir(os.path.join(str(d), "version-2")))


def ours(*args, env=None):
    env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    return subprocess.run([sys.executable, "-m", "zookeeper_py.server.purge_txn_log", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_purge_keeps_n_snapshots_and_the_logs_they_need(tmp_path, extended):  # noqa: F811
    dt, txns = many_snapshots(tmp_path / "d")
    before = listing(tmp_path / "d")
    PurgeTxnLog.purge(str(tmp_path / "d"), str(tmp_path / "d"), 3)
    after = listing(tmp_path / "d")
    snaps = sorted((n for n in before if n.startswith("snapshot.")),
                   key=lambda n: Util.get_zxid_from_name(n, "snapshot"))
    kept_snaps = snaps[-3:]
    oldest_kept = Util.get_zxid_from_name(kept_snaps[0], "snapshot")
    logs = sorted((n for n in before if n.startswith("log.")), key=lambda n: Util.get_zxid_from_name(n, "log"))
    # the log holding the oldest kept snapshot's zxid, and every later one
    needed = [n for n in logs if Util.get_zxid_from_name(n, "log") >= oldest_kept]
    holding = max((n for n in logs if Util.get_zxid_from_name(n, "log") <= oldest_kept),
                  key=lambda n: Util.get_zxid_from_name(n, "log"))
    assert after == sorted(kept_snaps + sorted(set(needed) | {holding}))
    # the purged dir still restores to the same tree
    dt2, _, _, _ = restore(str(tmp_path / "d"))
    assert diff_states(tree_state(dt), tree_state(dt2)) == []
    with pytest.raises(ValueError, match="count should be greater than or equal to 3"):
        PurgeTxnLog.purge(str(tmp_path / "d"), str(tmp_path / "d"), 2)


def test_purge_counts_only_valid_snapshots(tmp_path, extended):  # noqa: F811
    # A full disk leaves torn snapshots, and it is when an operator purges: counted among the
    # three to keep, they pushed out every snapshot a restore could use (Java 3.8 counts valid ones).
    dt, _ = many_snapshots(tmp_path / "d")
    snaps = sorted((n for n in listing(tmp_path / "d") if n.startswith("snapshot.")),
                   key=lambda n: Util.get_zxid_from_name(n, "snapshot"))
    for torn in snaps[-3:]:
        path = tmp_path / "d" / "version-2" / torn
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    PurgeTxnLog.purge(str(tmp_path / "d"), str(tmp_path / "d"), 3)
    assert [n for n in listing(tmp_path / "d") if n.startswith("snapshot.")] == sorted(snaps)
    dt2, _, _, _ = restore(str(tmp_path / "d"))
    assert diff_states(tree_state(dt), tree_state(dt2)) == []


@pytest.mark.java
@pytest.mark.parametrize("separate", [False, True])
def test_purge_command_matches_java(tmp_path, extended, separate):  # noqa: F811
    java_zk.require_java_zookeeper()
    if separate:
        many_snapshots(tmp_path / "src" / "logs", snap_dir=tmp_path / "src" / "snaps")
    else:
        many_snapshots(tmp_path / "src")
    for junk in ("log.1.fixed", "notes.txt", "snapshot.zz"):
        sub = ("snaps" if junk.startswith("snapshot") else "logs") if separate else ""
        (tmp_path / "src" / sub / "version-2" / junk).write_bytes(b"x")
    shutil.copytree(tmp_path / "src", tmp_path / "j")
    shutil.copytree(tmp_path / "src", tmp_path / "p")
    if separate:
        jargs = [str(tmp_path / "j" / "logs"), str(tmp_path / "j" / "snaps"), "-n", "4"]
        pargs = [str(tmp_path / "p" / "logs"), str(tmp_path / "p" / "snaps"), "-n", "4"]
    else:
        jargs = [str(tmp_path / "j"), "-n", "4"]
        pargs = [str(tmp_path / "p"), "-n", "4"]
    j = java_zk.run_java_class("org.apache.zookeeper.server.PurgeTxnLog", jargs)
    p = ours(*pargs)
    assert j.returncode == p.returncode == 0, j.stderr
    # same files removed, same lines printed (dates and all)
    assert p.stdout.replace(str(tmp_path / "p"), "D") == j.stdout.replace(str(tmp_path / "j"), "D")
    assert p.stdout.count("Removing file: ") >= 3
    for sub in (["logs", "snaps"] if separate else [""]):
        assert listing(tmp_path / "p" / sub) == listing(tmp_path / "j" / sub)


@pytest.mark.java
@pytest.mark.parametrize("args", [[], ["DIR", "-n"], ["DIR", "-n", "2"], ["DIR", "-n", "x"], ["DIR", "-x", "3"],
                                  ["/no/such/dir", "-n", "3"], ["DIR", "DIR", "DIR", "DIR", "DIR"]])
def test_purge_usage_errors_match_java(tmp_path, args):
    java_zk.require_java_zookeeper()
    args = [str(tmp_path) if a == "DIR" else a for a in args]
    j = java_zk.run_java_class("org.apache.zookeeper.server.PurgeTxnLog", args)
    p = ours(*args)
    assert p.returncode == j.returncode == 1
    assert p.stdout == j.stdout
    java_err = "".join(x for x in j.stderr.splitlines(True) if not x.startswith(("SLF4J", "log4j")))
    assert p.stderr == java_err


def test_datadir_cleanup_manager_runs_purge_task_thread_at_once(tmp_path, extended, caplog):  # noqa: F811
    many_snapshots(tmp_path / "d")
    d = str(tmp_path / "d")
    caplog.set_level(logging.INFO)
    mgr = DatadirCleanupManager(d, d, 1, 1)
    assert "Invalid autopurge.snapRetainCount: 1. Defaulting to 3" in caplog.text
    assert mgr.get_snap_retain_count() == 3
    mgr.start()
    try:
        assert mgr.get_purge_task_status() is PurgeTaskStatus.STARTED
        assert any(t.name == "PurgeTask" and t.daemon for t in threading.enumerate())
        wait_until(lambda: "Purge task completed." in caplog.text, timeout=10, message="first purge")
        assert len([n for n in listing(d) if n.startswith("snapshot.")]) == 3
        mgr.start()
        assert "Purge task is already running." in caplog.text
    finally:
        mgr.shutdown()
    assert mgr.get_purge_task_status() is PurgeTaskStatus.COMPLETED
    wait_until(lambda: not any(t.name == "PurgeTask" for t in threading.enumerate()), timeout=10,
               message="PurgeTask thread ends")


def test_datadir_cleanup_manager_not_scheduled_with_zero_interval(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        mgr = DatadirCleanupManager(str(tmp_path), str(tmp_path), 3, 0)
        mgr.start()
        mgr.shutdown()
    assert "Purge task is not scheduled." in caplog.text
    assert "Purge task not started. Ignoring shutdown!" in caplog.text
    assert mgr.get_purge_task_status() is PurgeTaskStatus.NOT_STARTED


@pytest.mark.parametrize("with_log_dir", [False, True])
def test_zk_cleanup_script_reads_zoo_cfg(tmp_path, extended, with_log_dir):  # noqa: F811
    conf = tmp_path / "conf"
    conf.mkdir()
    if with_log_dir:
        many_snapshots(tmp_path / "logs", snap_dir=tmp_path / "data")
        # blanks around "=" and CRLF line ends, which the server takes (zkEnv.sh's config_value)
        (conf / "zoo.cfg").write_bytes(b"tickTime=2000\r\ndataDir = %s\r\ndataLogDir = %s \r\nclientPort=2181\r\n"
                                       % (bytes(tmp_path / "data"), bytes(tmp_path / "logs")))
    else:
        many_snapshots(tmp_path / "data")
        (conf / "zoo.cfg").write_text("tickTime=2000\ndataDir=%s\nclientPort=2181\n" % (tmp_path / "data"))
    env = dict(os.environ, ZOOCFGDIR=str(conf), PYTHON=sys.executable, PYTHONPATH=REPO)
    r = subprocess.run([os.path.join(REPO, "bin", "zkCleanup.sh"), "-n", "3"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Removing file: ") >= 3
    assert len([n for n in listing(tmp_path / "data") if n.startswith("snapshot.")]) == 3
    if with_log_dir:
        assert "logs/version-2/log." in r.stdout


def test_toolkit_scripts_run_their_modules(tmp_path, extended):  # noqa: F811
    many_snapshots(tmp_path / "d")
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO)
    vd = os.path.join(str(tmp_path / "d"), "version-2")
    r = subprocess.run([os.path.join(REPO, "bin", "zkTxnLogToolkit.sh"), os.path.join(vd, "log.1")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("ZooKeeper Transactional Log File with dbid 0")
    r = subprocess.run([os.path.join(REPO, "bin", "zkSnapShotToolkit.sh"), os.path.join(vd, "snapshot.0")],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("ZNode Details (count=5):")


def _toolkit(script):
    return os.path.join(REPO, "bin", script)


def _largest(directory, prefix):
    return max((os.path.join(directory, n) for n in os.listdir(directory) if n.startswith(prefix)),
               key=os.path.getsize)


@pytest.mark.parametrize("script,prefix", [("zkTxnLogToolkit.sh", "log."), ("zkSnapShotToolkit.sh", "snapshot.")])
def test_toolkit_scripts_end_quietly_when_the_reader_leaves(tmp_path, extended, script, prefix):  # noqa: F811
    """`zkTxnLogToolkit.sh log | head -1`: Java's tools exit 0 and say nothing; ours printed a
    BrokenPipeError traceback (txn log) or exited 1 (snapshot) (found by the data-dir tester)."""
    build(tmp_path / "d", sample_txns(count_extra=3000), snap_at={3000})  # output well over a pipe's 64 KB
    vd = os.path.join(str(tmp_path / "d"), "version-2")
    path = _largest(vd, prefix)
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO)
    proc = subprocess.Popen([_toolkit(script), path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0, err
    assert first and err == ""


def test_snapshot_toolkit_says_a_snapshot_is_cut_short(tmp_path, extended):  # noqa: F811
    """A truncated or empty snapshot: click took the EOFError for the user's Ctrl-D and printed three
    chained tracebacks ending in click.exceptions.Abort."""
    many_snapshots(tmp_path / "d")
    vd = os.path.join(str(tmp_path / "d"), "version-2")
    snapshot = _largest(vd, "snapshot.")
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO)
    for size in (os.path.getsize(snapshot) // 2, 0):
        cut = str(tmp_path / ("snapshot.cut%d" % size))
        with open(snapshot, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(size))
        r = subprocess.run([_toolkit("zkSnapShotToolkit.sh"), cut], capture_output=True, text=True, env=env,
                           timeout=60)
        assert r.returncode == 1
        assert r.stderr == "%s ends before the snapshot does (truncated or empty)\n" % cut
