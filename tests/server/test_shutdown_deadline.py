"""A signal ends the server within zoo_keeper_server_main.SHUTDOWN_DEADLINE_SECONDS, however its
shutdown goes, as a JVM ends at once on SIGTERM: kazoo's test harness once waited two minutes for
one of our members to exit. The hang is made on purpose here: a sitecustomize module on the
server's PYTHONPATH replaces one shutdown method with a wait that never ends."""

import os
import signal
import textwrap
import time

import pytest

from tests.support.net import free_port, wait_until
from tests.support.servers import REPO, PythonServer
from zookeeper_py.server.zoo_keeper_server_main import SHUTDOWN_DEADLINE_SECONDS

pytestmark = pytest.mark.timeout(120)

# (module, class, method) whose shutdown never ends: the standalone server's, a member's
HANGS = {
    "standalone": ("zookeeper_py.server.zoo_keeper_server_main", "ZooKeeperServerMain", "shutdown"),
    "member": ("zookeeper_py.server.quorum.quorum_peer", "QuorumPeer", "shutdown"),
}


def hanging_server(tmp_path, where):
    site = tmp_path / "site"
    site.mkdir()
    module, cls, method = HANGS[where]
    (site / "sitecustomize.py").write_text(textwrap.dedent("""\
        import importlib, threading
        def _never_ends(self, *args, **kwargs):
            threading.Event().wait()
        setattr(getattr(importlib.import_module(%r), %r), %r, _never_ends)
        """ % (module, cls, method)))
    extra = {}
    if where == "member":  # a member of three, alone: it looks for a leader until it is stopped
        ports = [free_port() for _ in range(4)]
        extra = {"server.1": "127.0.0.1:%d:%d" % (ports[0], ports[1]),
                 "server.2": "127.0.0.1:%d:%d" % (ports[2], ports[3]), "server.3": "127.0.0.1:1:2"}
    server = PythonServer(str(tmp_path), extra_cfg=extra, myid=1 if extra else None)
    server.extra_env = {"PYTHONPATH": str(site) + os.pathsep + REPO}
    server.start(wait=not extra)
    if extra:
        wait_until(lambda: "LOOKING" in server.all_output(), timeout=30, message="the member to look for a leader")
    return server


@pytest.mark.parametrize("where", sorted(HANGS))
def test_a_shutdown_that_never_ends_is_cut_at_its_deadline(tmp_path, where):
    server = hanging_server(tmp_path, where)
    try:
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(SHUTDOWN_DEADLINE_SECONDS + 15)
        took = time.monotonic() - started
        assert code == 128 + signal.SIGTERM, server.output_tail()
        assert SHUTDOWN_DEADLINE_SECONDS - 1 < took < SHUTDOWN_DEADLINE_SECONDS + 10, took
        out = server.all_output()
        assert "Shutdown after signal 15 not finished in %d s" % SHUTDOWN_DEADLINE_SECONDS in out, out[-4000:]
        assert "_never_ends" in out, out[-4000:]  # the thread dump shows where it was stuck
    finally:
        server.stop(kill=True)


def test_a_second_signal_ends_the_process_at_once(tmp_path):
    server = hanging_server(tmp_path, "standalone")
    try:
        server.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: "Received signal 15, shutting down" in server.all_output(), timeout=10,
                   message="the first signal to be logged")
        started = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        code = server.proc.wait(10)
        assert code == 128 + signal.SIGINT, server.output_tail()
        assert time.monotonic() - started < 5
        assert "Received signal 2 again, exiting now" in server.all_output()
    finally:
        server.stop(kill=True)
