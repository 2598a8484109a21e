"""Corners of 3.5.7 found missing or untested (issue 13, item 5), each against our server and Java 3.8.

- electionAlg 0, 1, 2: refused at startup as Java 3.6+ does (exit 2, "Invalid electionAlg value.
  Only 3 is supported."), our message also naming the key and the file.
- maxClientCnxns is per client IP: the (N+1)th connection from 127.0.0.1 is closed and logged as
  "Too many connections from /127.0.0.1 - max is N"; the first N and another IP (127.0.0.2, also
  loopback on Linux) are unaffected.
- TxnLogToolkit's chop mode (-c -z zxid, 3.6+; LogChopper): <log>.chopped<zxid> holds the txns up to
  zxid, byte for byte what Java 3.8 writes, with Java's output; Java reads the chopped log.
- Compressed snapshots (3.6+ SnapStream, zookeeper.snapshot.compression.method=gz or snappy):
  Java 3.8 writes snapshot.<zxid>.gz/.snappy, our server reads them and serves the same tree; ours
  writes them too, and Java reads ours back; zkSnapShotToolkit prints them as Java's SnapshotFormatter.
- IPv6: clientPortAddress=::1; kazoo ("[::1]:port"), our zkCli and Java's zkCli (-server [::1]:port)
  connect on it, and nothing listens on 127.0.0.1 then. Skipped where lo has no ::1.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from kazoo.client import KazooClient

from tests.persistence.test_file_txn_log import entry_offsets, read_all, write_log
from tests.persistence.txns import sample_txns
from tests.support import java_zk, kazoo_ext
from tests.support.java_cli import run_our_zkcli, run_zkcli
from tests.support.net import four_letter_word, free_ports, ipv6_loopback_missing, wait_until
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.proto import ExistsRequest
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.zoo_defs import OpCode

pytestmark = pytest.mark.timeout(180)

KINDS = {"python": PythonServer, "java": JavaServer}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLKIT = "org.apache.zookeeper.server.persistence.TxnLogToolkit"


@pytest.mark.parametrize("kind", ["python", "java"])
@pytest.mark.parametrize("alg", ["0", "1", "2"])
@pytest.mark.parametrize("replicated", [False, True], ids=["standalone", "replicated"])
def test_election_alg_other_than_3_is_refused(tmp_path, kind, alg, replicated):
    cfg = {"electionAlg": alg}
    if replicated:
        p = free_ports(4)
        cfg.update({"server.1": "127.0.0.1:%d:%d" % (p[0], p[1]), "server.2": "127.0.0.1:%d:%d" % (p[2], p[3])})
    server = KINDS[kind](str(tmp_path), extra_cfg=cfg, myid=1 if replicated else None)
    code, out = server.run_to_exit()
    assert code == 2, out
    assert "Invalid electionAlg value. Only 3 is supported." in out, out
    if kind == "python":
        assert "electionAlg=%s" % alg in out and server.cfg_path in out, out


def _session_from(port, ip, clients):
    """A new session from client address ip appended to clients (True), or False when refused."""
    c = None
    try:
        c = RawClient("127.0.0.1", port, source_ip=ip)
        c.connect()
    except (ConnectionClosed, OSError):  # refused: the reset can come as early as connect()
        if c is not None:
            c.close()
        return False
    clients.append(c)
    return True


@pytest.mark.parametrize("kind", ["python", "java"])
def test_max_client_cnxns_is_per_ip(tmp_path, kind):
    limit = 3
    server = KINDS[kind](str(tmp_path), extra_cfg={"maxClientCnxns": str(limit)}).start(timeout=60)
    clients = []
    try:
        # The start-up srvr counts until the server has seen it close: retry a refusal below the limit.
        deadline = time.time() + 20
        while len(clients) < limit:
            if not _session_from(server.client_port, "127.0.0.1", clients):
                assert time.time() < deadline, "only %d sessions under maxClientCnxns=%d" % (len(clients), limit)
                time.sleep(0.05)
        assert not _session_from(server.client_port, "127.0.0.1", clients), "connection %d let in" % (limit + 1)
        wait_until(lambda: "Too many connections from /127.0.0.1 - max is %d" % limit in server.all_output(),
                   timeout=10, message="the refusal in the log")
        # Another client IP has its own count.
        for _ in range(limit):
            assert _session_from(server.client_port, "127.0.0.2", clients), "127.0.0.2 refused"
        for c in clients:
            hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False))
            assert hdr.err == 0
    finally:
        for c in clients:
            c.close()
        server.stop()


def _toolkit(kind, *args):
    """TxnLogToolkit run by ours or by Java 3.8; (exit code, stdout, stderr without slf4j chatter)."""
    if kind == "java":
        r = java_zk.run_java_class(TOOLKIT, list(args))
    else:
        r = subprocess.run([sys.executable, "-m", "zookeeper_py.server.persistence.txn_log_toolkit", *args],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    err = "".join(l for l in r.stderr.splitlines(True) if not l.startswith(("SLF4J", "log4j:")))
    return r.returncode, r.stdout, err


def _chop_both(tmp_path, log_path, zxid_arg):
    """Chop a copy of log_path with ours and with Java; ((out, chopped bytes or None) ours, same java)."""
    results = {}
    for kind in ("python", "java"):
        d = tmp_path / ("chop-" + kind)
        d.mkdir(exist_ok=True)
        path = str(d / os.path.basename(log_path))
        shutil.copyfile(log_path, path)
        code, out, err = _toolkit(kind, "-c", "-z", zxid_arg, path)
        assert code == 0 and err == "", (kind, code, out, err)
        chopped = [n for n in os.listdir(str(d)) if ".chopped" in n]
        data = open(os.path.join(str(d), chopped[0]), "rb").read() if chopped else None
        results[kind] = (out, chopped, data)
    return results["python"], results["java"]


@pytest.fixture
def sample_log(tmp_path):
    FilePadding.reset_prealloc_size()
    d = tmp_path / "logs"
    d.mkdir()
    write_log(d, sample_txns(count_extra=3))
    return str(d / "log.1")


def test_chop_matches_java_and_java_reads_the_result(tmp_path, sample_log):
    java_zk.require_java_zookeeper()
    count = len(entry_offsets(sample_log)[0])
    keep = count // 2
    ours, java = _chop_both(tmp_path, sample_log, "0x%x" % keep)
    assert ours == java
    out, names, data = ours
    assert names == ["log.1.chopped%d" % keep]
    assert out.endswith("Chopping at %x new log has %d records\n" % (keep, keep))
    # The chopped file is the header and the first `keep` entries, no padding.
    offsets, _ = entry_offsets(sample_log)
    assert data == open(sample_log, "rb").read()[:offsets[keep]]
    # Java's dump of it, and our FileTxnLog reading it as log.1 of a dataDir.
    chopped = str(tmp_path / "chop-python" / names[0])
    code, dump, _ = _toolkit("java", chopped)
    assert code == 0 and dump.endswith("EOF reached after %d txns.\n" % keep), dump
    assert _toolkit("python", chopped)[1] == dump
    d = tmp_path / "read"
    d.mkdir()
    shutil.copyfile(chopped, str(d / "log.1"))
    assert [hdr.zxid for hdr, _ in read_all(d)] == list(range(1, keep + 1))


@pytest.mark.parametrize("case", ["last", "absent", "decimal", "bad-number"])
def test_chop_corner_cases_match_java(tmp_path, sample_log, case):
    java_zk.require_java_zookeeper()
    count = len(entry_offsets(sample_log)[0])
    zxid_arg = {"last": "0x%x" % count, "absent": "0x%x" % (count + 50), "decimal": "3",
                "bad-number": "0xzz"}[case]
    if case == "bad-number":
        # Java: Long.decode's NumberFormatException leaves main uncaught: exit 1, no chopped file.
        j = _toolkit("java", "-c", "-z", zxid_arg, sample_log)
        p = _toolkit("python", "-c", "-z", zxid_arg, sample_log)
        assert j[0] == p[0] == 1 and 'NumberFormatException: For input string: "0xzz"' in j[2] + p[2], (j, p)
        return
    ours, java = _chop_both(tmp_path, sample_log, zxid_arg)
    assert ours == java
    out = ours[0]
    if case == "decimal":
        assert out.endswith("Chopping at 3 new log has 3 records\n")
    else:
        # Nothing chopped: a zxid that is the last one, or not in the log, fails as Java (exit 0, the message).
        assert out.endswith("Got exception: Failed to chop log.1\n"), out


def test_chop_of_a_java_written_log(tmp_path):
    server = JavaServer(str(tmp_path / "java"))
    server.start(timeout=60)
    try:
        zk = KazooClient(hosts=server.address, timeout=10.0)
        zk.start(timeout=15)
        for i in range(10):
            zk.create("/n%d" % i, b"v%d" % i)
        zk.stop()
        zk.close()
    finally:
        server.stop()
    version2 = os.path.join(server.data_dir, "version-2")
    log = os.path.join(version2, sorted(n for n in os.listdir(version2) if n.startswith("log."))[0])
    zxids = [int(l.split(" zxid 0x")[1].split()[0], 16) for l in _toolkit("java", log)[1].splitlines()
             if " zxid 0x" in l]
    middle = zxids[len(zxids) // 2]
    ours, java = _chop_both(tmp_path, log, "0x%x" % middle)
    assert ours == java and ours[2] is not None
    chopped = str(tmp_path / "chop-python" / ours[1][0])
    dump = _toolkit("java", chopped)[1]
    assert [l for l in dump.splitlines() if " zxid 0x" in l][-1].split(" zxid 0x")[1].startswith("%x " % middle)


def _snapshots(server, ext):
    version2 = os.path.join(server.data_dir, "version-2")
    names = [n for n in os.listdir(version2) if n.startswith("snapshot.")] if os.path.isdir(version2) else []
    return sorted((n for n in names if n.endswith("." + ext)), key=lambda n: int(n.split(".")[1], 16))


def _tree(address, count):
    zk = KazooClient(hosts=address, timeout=10.0)
    zk.start(timeout=15)
    try:
        return {c: zk.get("/snap/" + c)[0] for c in zk.get_children("/snap")} if zk.exists("/snap") else {}
    finally:
        zk.stop()
        zk.close()


def _write_nodes(address, start, count):
    zk = KazooClient(hosts=address, timeout=10.0)
    zk.start(timeout=15)
    try:
        zk.ensure_path("/snap")
        for i in range(start, start + count):
            zk.create("/snap/n%03d" % i, b"v%d" % i * 700)
    finally:
        zk.stop()
        zk.close()


@pytest.mark.parametrize("method", ["gz", "snappy"])
def test_compressed_snapshots_java_writes_ours_reads_and_back(tmp_path, method):
    java_zk.require_java_zookeeper()
    data_dir = str(tmp_path / "data")
    for d in ("java1", "ours", "ours2", "java2"):
        (tmp_path / d).mkdir()
    flags = ["-Dzookeeper.snapshot.compression.method=" + method]
    cfg = {"snapCount": "10"}
    java = JavaServer(str(tmp_path / "java1"), extra_cfg=cfg, flags=flags, data_dir=data_dir).start(timeout=60)
    try:
        _write_nodes(java.address, 0, 30)
    finally:
        java.stop()
    written = _snapshots(java, method)
    assert len(written) >= 2 and int(written[-1].split(".")[1], 16) > 0, os.listdir(data_dir + "/version-2")
    expected = {"n%03d" % i: b"v%d" % i * 700 for i in range(30)}
    # zkSnapShotToolkit reads it as Java's SnapshotFormatter does.
    newest = os.path.join(data_dir, "version-2", written[-1])
    j = java_zk.run_java_class("org.apache.zookeeper.server.SnapshotFormatter", ["-d", newest])
    p = subprocess.run([sys.executable, "-m", "zookeeper_py.server.snapshot_formatter", "-d", newest],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=REPO))
    assert j.returncode == p.returncode == 0 and p.stdout == j.stdout and "/snap/n000" in p.stdout, p.stderr
    # Ours, plain by default, reads Java's newest compressed snapshot (and the log after it).
    ours = PythonServer(str(tmp_path / "ours"), extra_cfg=cfg, data_dir=data_dir).start()
    try:
        assert "Reading snapshot %s" % os.path.join(data_dir, "version-2", written[-1]) in ours.all_output()
        assert _tree(ours.address, 30) == expected
    finally:
        ours.stop()
    # Ours writing compressed snapshots: Java reads them back.
    ours = PythonServer(str(tmp_path / "ours2"), extra_cfg=cfg, flags=flags, data_dir=data_dir).start()
    try:
        _write_nodes(ours.address, 30, 30)
        wait_until(lambda: len(_snapshots(ours, method)) > len(written), 20, message="our compressed snapshot")
    finally:
        ours.stop()
    ours_newest = _snapshots(ours, method)[-1]
    assert ours_newest not in written
    expected.update({"n%03d" % i: b"v%d" % i * 700 for i in range(30, 60)})
    java = JavaServer(str(tmp_path / "java2"), extra_cfg=cfg, data_dir=data_dir).start(timeout=60)
    try:
        assert _tree(java.address, 60) == expected
    finally:
        java.stop()
    assert "Reading snapshot %s" % os.path.join(data_dir, "version-2", ours_newest) in java.all_output()


def wait_serving_on(host, port, proc=None, timeout=60):
    """Wait until srvr on host:port shows a Mode line; the srvr text."""
    def mode():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("the server exited with %s" % proc.returncode)
        try:
            text = four_letter_word(host, port, "srvr", timeout=2)
        except OSError:
            return None
        return text if "Mode:" in text else None
    return wait_until(mode, timeout=timeout, interval=0.05, message="a server on [%s]:%d" % (host, port))


@pytest.mark.parametrize("address", [None, "0.0.0.0"], ids=["no-address", "0.0.0.0"])
@pytest.mark.parametrize("kind", ["python", "java"])
def test_default_client_address_takes_ipv6_and_ipv4_clients(tmp_path, kind, address):
    """No clientPortAddress, or 0.0.0.0: Java's wildcard listens dual-stack, so [::1] clients
    connect as well as 127.0.0.1 ones. cons shows an IPv4 client as /127.0.0.1 (not
    ::ffff:127.0.0.1) and an IPv6 one as Java 14+ prints it, /[0:0:0:0:0:0:0:1]:port. Ours
    listened on IPv4 only for 0.0.0.0, and printed /::1:port."""
    reason = ipv6_loopback_missing()
    if reason:
        pytest.skip(reason)
    cfg = {"4lw.commands.whitelist": "*"}
    if address:
        cfg["clientPortAddress"] = address
    server = KINDS[kind](str(tmp_path), extra_cfg=cfg)
    server.start()
    try:
        for hosts, shown in (("[::1]:%d" % server.client_port, "/[0:0:0:0:0:0:0:1]:"),
                             ("127.0.0.1:%d" % server.client_port, "/127.0.0.1:")):
            zk = KazooClient(hosts=hosts, timeout=10.0)
            zk.start(timeout=15)
            try:
                zk.ensure_path("/dual")
                assert zk.exists("/dual") is not None
                cons = four_letter_word("127.0.0.1", server.client_port, "cons")
                assert any(line.startswith(" " + shown) and "sid=0x" in line for line in cons.splitlines()), cons
                assert "ffff" not in cons, cons
            finally:
                zk.stop()
                zk.close()
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["python", "java"])
def test_ipv6_client_port_address(tmp_path, kind):
    reason = ipv6_loopback_missing()
    if reason:
        pytest.skip(reason)
    server = KINDS[kind](str(tmp_path), extra_cfg={"clientPortAddress": "::1"})
    server.start(wait=False)
    try:
        wait_serving_on("::1", server.client_port, server.proc)
        # Bound to ::1 only.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.client_port), timeout=2).close()
        address = "[::1]:%d" % server.client_port
        zk = KazooClient(hosts=address, timeout=10.0)
        zk.start(timeout=15)
        try:
            zk.create("/v6", b"over ipv6")
            assert zk.get("/v6")[0] == b"over ipv6"
            # the ip id as Java's InetAddress.getHostAddress() writes it (ours said "::1")
            assert kazoo_ext.who_am_i(zk) == [("ip", "0:0:0:0:0:0:0:1")]
        finally:
            zk.stop()
            zk.close()
        ours = run_our_zkcli(address, ["get", "/v6"])
        assert ours.returncode == 0 and "over ipv6" in ours.stdout, ours.stdout + ours.stderr
        ours = run_our_zkcli(address, ["create", "/v6/ours", "x"])
        assert ours.returncode == 0 and "Created /v6/ours" in ours.stdout + ours.stderr, ours.stdout + ours.stderr
        if java_zk.missing_reason() is None:
            java = run_zkcli(address, ["ls", "/v6"])
            assert java.returncode == 0 and "[ours]" in java.stdout, java.stdout + java.stderr
    finally:
        server.stop()
