"""Corners of 3.5.7 found missing or untested (issue 13, item 5), each against our server and Java 3.8.

- electionAlg 0, 1, 2: refused at startup as Java 3.6+ does (exit 2, "Invalid electionAlg value.
  Only 3 is supported."), our message also naming the key and the file.
- maxClientCnxns is per client IP: the (N+1)th connection from 127.0.0.1 is closed and logged as
  "Too many connections from /127.0.0.1 - max is N"; the first N and another IP (127.0.0.2, also
  loopback on Linux) are unaffected.
"""

import time

import pytest

from tests.support.net import free_ports, wait_until
from tests.support.raw_zk import ConnectionClosed, RawClient
from zookeeper_py.proto import ExistsRequest
from zookeeper_py.zoo_defs import OpCode
from tests.support.servers import JavaServer, PythonServer

pytestmark = pytest.mark.timeout(180)

KINDS = {"python": PythonServer, "java": JavaServer}


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
