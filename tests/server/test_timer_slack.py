"""PyPy's server runs with a 1 ns timer slack (common/timer_slack.py): each GIL poll of a
woken thread is then 0.1 ms, not 0.15, which is most of a hop's cost on PyPy.

Linux shows only the main thread's slack (/proc/PID/timerslack_ns); the server sets it there
before it starts any other thread, and a thread starts with its creator's slack."""

import os
import subprocess

import pytest

from tests.support.servers import PythonServer, pypy_python, serve_a_round_trip

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/timerslack_ns"), reason="needs Linux's timerslack_ns")


def main_thread_slack(pid):
    with open("/proc/%d/timerslack_ns" % pid) as f:
        return int(f.read())


def serve_and_read_slacks(server):
    return serve_a_round_trip(server, "/slack", lambda: main_thread_slack(server.proc.pid))


def test_pypy_server_runs_with_a_1ns_timer_slack(tmp_path):
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    server = PythonServer(str(tmp_path))
    server.python = python
    assert serve_and_read_slacks(server) == 1


def test_cpython_server_keeps_the_default_slack(tmp_path):
    server = PythonServer(str(tmp_path))
    implementation = subprocess.run([server.python, "-c", "import sys; print(sys.implementation.name)"],
                                    capture_output=True, text=True, check=True).stdout.strip()
    if implementation != "cpython":
        pytest.skip("our servers run on %s in this run (ZK_TEST_PYTHON)" % implementation)
    with open("/proc/self/timerslack_ns") as f:
        default = int(f.read())
    assert serve_and_read_slacks(server) == default
