"""zookeeper.pinToOneCpu: every thread of a real server process on one CPU (by default),
read back from /proc/<pid>/task/*/status while the server serves."""

import os
import sys

import pytest

from tests.support.servers import PythonServer, pypy_python
from zookeeper_py.common.cpu_affinity import allowed_cpus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads are pinned on Linux only")


def thread_cpus(pid):
    """{thread id: its allowed CPUs} of a process."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            out[int(tid)] = allowed_cpus("/proc/%d/task/%s/status" % (pid, tid))
        except FileNotFoundError:
            pass  # a thread that ended
    return out


@pytest.fixture
def two_cpus():
    cpus = allowed_cpus()
    if len(cpus) < 2:
        pytest.skip("this process may use one CPU only (%s): nothing to pin" % cpus)
    return cpus


def thread_policies(pid):
    """{thread id: its scheduling policy number} of a process (0 SCHED_OTHER, 3 SCHED_BATCH)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/sched" % (pid, tid)) as f:
                out[int(tid)] = next(int(line.split(":")[1]) for line in f if line.startswith("policy"))
        except FileNotFoundError:
            pass  # a thread that ended
    return out


def serve_and_read(tmp_path, flags, python=None, read=thread_cpus):
    server = PythonServer(str(tmp_path), flags=flags)
    if python:
        server.python = python
    server.start()
    try:
        server.srvr()  # serving: every thread of the request path has started
        return read(server.proc.pid), server.all_output()
    finally:
        server.stop()


def test_allowed_cpus_reads_ranges_and_lists(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCpus_allowed:\tff\nCpus_allowed_list:\t0-3,8,10-11\nMems_allowed:\t1\n")
    assert allowed_cpus(str(status)) == [0, 1, 2, 3, 8, 10, 11]


def test_false_leaves_every_thread_on_the_cpus_it_was_given(tmp_path, two_cpus):
    cpus, log = serve_and_read(tmp_path, ["-Dzookeeper.pinToOneCpu=false"])
    assert all(c == two_cpus for c in cpus.values()), cpus
    assert "pinned to CPU" not in log


@pytest.mark.parametrize("runtime", ["server's", "pypy"])
def test_by_default_every_thread_is_on_one_cpu(tmp_path, two_cpus, runtime):
    python = None
    if runtime == "pypy":
        python = pypy_python()
        if not python:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
    cpus, log = serve_and_read(tmp_path, [], python)
    assert len(cpus) > 5, cpus  # the selector, the processors, the session tracker...
    (pinned,) = {tuple(c) for c in cpus.values()}
    assert len(pinned) == 1 and pinned[0] in two_cpus, cpus
    assert "Server threads pinned to CPU %d" % pinned[0] in log


def test_a_bad_value_is_a_config_error_naming_the_property(tmp_path):
    server = PythonServer(str(tmp_path), flags=["-Dzookeeper.pinToOneCpu=sometimes"])
    code, output = server.run_to_exit(30)
    assert code == 2, output
    assert "zookeeper.pinToOneCpu=sometimes: not true or false" in output


@pytest.mark.parametrize("runtime", ["server's", "pypy"])
def test_sched_batch_true_puts_every_thread_under_sched_batch(tmp_path, runtime):
    python = None
    if runtime == "pypy":
        python = pypy_python()
        if not python:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
    policies, log = serve_and_read(tmp_path, ["-Dzookeeper.schedBatch=true"], python, thread_policies)
    assert len(policies) > 5 and set(policies.values()) == {os.SCHED_BATCH}, policies
    assert "Server threads under SCHED_BATCH" in log


def test_by_default_the_scheduling_policy_is_left_as_it_was(tmp_path):
    policies, log = serve_and_read(tmp_path, [], read=thread_policies)
    assert set(policies.values()) == {os.sched_getscheduler(0)}, policies
    assert "SCHED_BATCH" not in log


def test_a_bad_sched_batch_value_is_a_config_error(tmp_path):
    server = PythonServer(str(tmp_path), flags=["-Dzookeeper.schedBatch=yes"])
    code, output = server.run_to_exit(30)
    assert code == 2, output
    assert "zookeeper.schedBatch=yes: not true or false" in output
