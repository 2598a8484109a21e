"""The wall clock stepping under a running server (NTP, a resumed VM, an operator's `date`): Java
counts session timeouts on the monotonic clock, so a step changes nothing. PyPy's timed waits
had their deadline on the wall clock (sem_timedwait): after a step back of an hour, a dead
session's ephemerals stayed an hour (found by the wall-clock tester). The step is made by an
LD_PRELOAD shim (tests/support/wall_clock_shift.c) on the server process only."""

import os
import shutil
import subprocess
import time

import pytest
from kazoo.client import KazooClient

from tests.support.net import wait_until
from tests.support.raw_zk import RawClient
from tests.support.servers import PythonServer, pypy_python
from zookeeper_py.data import ACL, Id
from zookeeper_py.proto import CreateRequest
from zookeeper_py.zoo_defs import OpCode

EPHEMERAL = 1  # CreateMode.EPHEMERAL's flags

SHIM_SOURCE = os.path.join(os.path.dirname(__file__), "..", "support", "wall_clock_shift.c")


@pytest.fixture
def shifted_pypy_server(tmp_path):
    """Our server on PyPy under the shim, and the file whose number of seconds shifts its wall clock."""
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the wall-clock shim (Debian package gcc)")
    shim = str(tmp_path / "wall_clock_shift.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", shim, SHIM_SOURCE, "-ldl", "-lpthread"], check=True)
    shift_file = tmp_path / "shift"
    shift_file.write_text("0")
    server = PythonServer(str(tmp_path / "server"), extra_cfg={"tickTime": "500", "minSessionTimeout": "1000"})
    server.python = python
    server.extra_env = {"LD_PRELOAD": shim, "WALL_CLOCK_SHIFT_FILE": str(shift_file)}
    server.start()
    yield server, shift_file
    server.stop()


def test_a_dead_session_expires_on_time_after_the_wall_clock_steps_back(shifted_pypy_server):
    server, shift_file = shifted_pypy_server
    dead = RawClient("127.0.0.1", server.client_port)
    dead.connect(timeout_ms=2000)
    hdr, _ = dead.request(OpCode.create, CreateRequest("/eph", b"", [ACL(31, Id("world", "anyone"))], EPHEMERAL))
    assert hdr.err == 0, hdr
    zk = KazooClient(server.address, timeout=10)
    zk.start(timeout=15)
    try:
        shift_file.write_text("-3600")

        def stepped():  # the server reads the shift every 50 ms: wait until its clock shows it
            zk.set("/eph", b"")
            return zk.exists("/eph").mtime / 1000.0 < time.time() - 3000
        wait_until(stepped, timeout=10, interval=0.05, message="the server's wall clock stepped back")
        dead.sock.close()  # gone without a closeSession: only the session timeout ends it
        closed_at = time.monotonic()
        wait_until(lambda: zk.exists("/eph") is None, timeout=15, interval=0.2,
                   message="the dead session's ephemeral deleted after its 2 s timeout")
        assert time.monotonic() - closed_at < 10
        # and the clock the znodes get is the stepped one, as Java's
        zk.create("/after")
        assert abs(zk.exists("/after").ctime / 1000.0 - (time.time() - 3600)) < 60
    finally:
        zk.stop()
        zk.close()
