"""TxnLogToolkit: the same output, files and exit codes as Java's (3.8, installed here)."""

import os
import shutil
import struct
import subprocess
import sys

import pytest

from tests.persistence.test_file_txn_log import entry_offsets, write_log
from tests.persistence.txns import sample_txns
from tests.support import java_zk
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAVA_CLASS = "org.apache.zookeeper.server.persistence.TxnLogToolkit"


def ours(*args, input=None):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-m", "zookeeper_py.server.persistence.txn_log_toolkit", *args],
                          capture_output=True, text=True, input=input, env=env, timeout=60)


def java(*args, input=None):
    java_zk.require_java_zookeeper()
    return java_zk.run_java_class(JAVA_CLASS, list(args), input=input)


def java_stderr(result):
    # log4j/slf4j chatter is not part of the tool's output
    return "".join(line for line in result.stderr.splitlines(True)
                   if not line.startswith(("SLF4J", "log4j:")))


@pytest.fixture
def sample_log(tmp_path):
    FilePadding.reset_prealloc_size()
    d = tmp_path / "logs"
    d.mkdir()
    write_log(d, sample_txns(count_extra=3))
    return str(d / "log.1")


def flip_byte(path, entry, delta=20):
    offsets, _ = entry_offsets(path)
    with open(path, "r+b") as f:
        f.seek(offsets[entry] + 12 + delta)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x01]))
    return offsets[entry]


@pytest.mark.java
def test_dump_of_java_written_logs_matches_java(java_written):
    logs = sorted(n for n in os.listdir(java_written.version_dir) if n.startswith("log."))
    for name in logs[:2] + logs[-1:]:
        path = os.path.join(java_written.version_dir, name)
        j, p = java(path), ours(path)
        assert j.returncode == 0 and p.returncode == 0, (j.stderr, p.stderr)
        assert p.stdout == j.stdout
        assert p.stdout.startswith("ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n")
        assert p.stdout.rstrip().endswith("txns.")


@pytest.mark.java
def test_dump_of_our_log_matches_java(sample_log):
    """Java's toolkit reads the log we wrote, every txn type, and prints what we print."""
    j, p = java(sample_log), ours("-d", sample_log)
    assert j.returncode == 0, j.stderr
    assert p.stdout == j.stdout
    assert "EOF reached after %d txns." % len(sample_txns(count_extra=3)) in p.stdout
    assert " createSession 30000\n" in p.stdout
    assert " multi create:" in p.stdout


@pytest.mark.java
def test_crc_error_dump_and_recovery_match_java(sample_log, tmp_path):
    flip_byte(sample_log, 3)
    flip_byte(sample_log, 6)
    j, p = java(sample_log), ours(sample_log)
    assert p.returncode == j.returncode == 0
    assert p.stdout == j.stdout
    assert p.stdout.count("CRC ERROR - ") == 2
    # -r -y on two copies: same output, byte-identical .fixed files
    jdir, pdir = tmp_path / "j", tmp_path / "p"
    jdir.mkdir()
    pdir.mkdir()
    shutil.copy(sample_log, jdir / "log.1")
    shutil.copy(sample_log, pdir / "log.1")
    j = java("-r", "-y", "-v", str(jdir / "log.1"))
    p = ours("-r", "-y", "-v", str(pdir / "log.1"))
    assert p.returncode == j.returncode == 0
    assert p.stdout.replace(str(pdir), "DIR") == j.stdout.replace(str(jdir), "DIR")
    assert "has been written with 2 fixed CRC error(s)" in p.stdout
    assert (pdir / "log.1.fixed").read_bytes() == (jdir / "log.1.fixed").read_bytes()
    # the fixed log reads through again
    os.rename(pdir / "log.1", pdir / "broken")
    os.rename(pdir / "log.1.fixed", pdir / "log.1")
    with FileTxnLog(str(pdir)).read(0) as itr:
        n = 1
        while itr.next():
            n += 1
    assert n == len(sample_txns(count_extra=3))


@pytest.mark.java
def test_interactive_recovery_asks_per_error(sample_log, tmp_path):
    flip_byte(sample_log, 2)
    flip_byte(sample_log, 4)
    for answers in ("no\nyes\n", "maybe\nY\nN\n"):
        for d in ("j", "p"):
            shutil.rmtree(tmp_path / d, ignore_errors=True)
            (tmp_path / d).mkdir()
            shutil.copy(sample_log, tmp_path / d / "log.1")
        j = java("-r", str(tmp_path / "j" / "log.1"), input=answers)
        p = ours("-r", str(tmp_path / "p" / "log.1"), input=answers)
        assert p.returncode == j.returncode == 0
        assert p.stdout.replace(str(tmp_path / "p"), "D") == j.stdout.replace(str(tmp_path / "j"), "D")
        assert p.stdout.count("Would you like to fix it (Yes/No/Abort) ? ") >= 2
        assert (tmp_path / "p" / "log.1.fixed").read_bytes() == (tmp_path / "j" / "log.1.fixed").read_bytes()
    # Abort: exit code 0 and the message on stderr
    shutil.rmtree(tmp_path / "p")
    (tmp_path / "p").mkdir()
    shutil.copy(sample_log, tmp_path / "p" / "log.1")
    p = ours("-r", str(tmp_path / "p" / "log.1"), input="a\n")
    assert p.returncode == 0 and p.stderr == "Recovery aborted.\n"


@pytest.mark.java
def test_partial_last_entry_matches_java(sample_log):
    offsets, end = entry_offsets(sample_log)
    with open(sample_log, "r+b") as f:
        f.seek(end - 1)
        f.write(b"\0")  # the last 'B' is gone
    j, p = java(sample_log), ours(sample_log)
    assert p.returncode == j.returncode == 1
    assert p.stdout == j.stdout
    assert p.stderr == java_stderr(j) == "Last transaction was partial.\n"
    # a file cut inside the last entry just ends there
    with open(sample_log, "r+b") as f:
        f.truncate(offsets[-1] + 7)
    j, p = java(sample_log), ours(sample_log)
    assert p.returncode == j.returncode == 0
    assert p.stdout == j.stdout
    assert p.stdout.endswith("EOF reached after %d txns.\n" % (len(offsets) - 1))


@pytest.mark.java
@pytest.mark.parametrize("args", [[], ["-h"], ["-x", "log.1"], ["/no/such/log.1"], ["-r"]])
def test_usage_errors_match_java(args):
    j, p = java(*args), ours(*args)
    assert p.returncode == j.returncode
    if "-h" not in args and args:
        assert p.stderr == java_stderr(j)
    if not args or "-h" in args:
        # 3.8's options, chop mode (-c -z) included
        assert p.stdout == j.stdout
        assert p.stdout.startswith("usage: TxnLogToolkit [-dhrvc] <txn_log_file_name> (-z <zxid>)\n")


@pytest.mark.java
def test_bad_magic_matches_java(tmp_path):
    path = tmp_path / "log.5"
    path.write_bytes(b"ZKSN" + struct.pack(">iq", 2, -1) + bytes(100))
    j, p = java(str(path)), ours(str(path))
    assert p.returncode == j.returncode == 2
    assert p.stderr == java_stderr(j) == "Invalid magic number for log.5\n"


def test_recovery_file_must_not_exist(sample_log):
    open(sample_log + ".fixed", "w").close()
    p = ours("-r", sample_log)
    assert p.returncode == 1
    assert p.stderr == "Recovery file %s.fixed already exists or not writable\n" % sample_log
