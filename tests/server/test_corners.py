"""Corners of 3.5.7 found missing or untested (issue 13, item 5), each against our server and Java 3.8.

- electionAlg 0, 1, 2: refused at startup as Java 3.6+ does (exit 2, "Invalid electionAlg value.
  Only 3 is supported."), our message also naming the key and the file.
"""

import pytest

from tests.support.net import free_ports
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
