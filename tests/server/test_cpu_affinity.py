"""zookeeper.pinToOneCpu: every thread of a real server process on one CPU (by default),
read back from /proc/<pid>/task/*/status while the server serves."""

import json
import os
import subprocess
import sys
import threading

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


UNPINNED_CHECK = r"""
import json, os, threading
from zookeeper_py.common import cpu_affinity

def cpus():
    return cpu_affinity.allowed_cpus("/proc/self/task/%d/status" % threading.get_native_id())

cpu = cpu_affinity.pin_to_one_cpu()
seen = {}

def bulk_work():
    seen["before"] = cpus()
    with cpu_affinity.unpinned():
        seen["inside"] = cpus()
        seen["main meanwhile"] = cpu_affinity.allowed_cpus("/proc/self/task/%d/status" % os.getpid())
    seen["after"] = cpus()

t = threading.Thread(target=bulk_work)
t.start()
t.join()
print(json.dumps([cpu, seen["before"], seen["inside"], seen["main meanwhile"], seen["after"]]))
"""


@pytest.mark.parametrize("runtime", ["server's", "pypy"])
def test_unpinned_lets_one_thread_use_every_cpu_then_pins_it_again(two_cpus, runtime):
    """What a SNAP's two sides run under (LearnerHandler writing the tree, the learner reading it)."""
    python = sys.executable
    if runtime == "pypy":
        python = pypy_python()
        if not python:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([python, "-c", UNPINNED_CHECK], cwd=repo, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cpu, before, inside, main, after = json.loads(out.stdout)
    assert before == [cpu] and after == [cpu], out.stdout
    assert inside == two_cpus, out.stdout
    assert main == [cpu], out.stdout  # the other threads stay where they were


def test_unpinned_without_a_pin_changes_nothing(two_cpus):
    from zookeeper_py.common import cpu_affinity

    path = "/proc/self/task/%d/status" % threading.get_native_id()
    os.sched_setaffinity(0, {two_cpus[0]})  # as taskset would leave this thread, not the server's pin
    try:
        with cpu_affinity.unpinned():
            assert allowed_cpus(path) == [two_cpus[0]]
    finally:
        os.sched_setaffinity(0, set(two_cpus))


LOAD_CHECK = r"""
import json, sys, threading
from zookeeper_py.common import cpu_affinity
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.zk_database import ZKDatabase

def cpus():
    return cpu_affinity.allowed_cpus("/proc/self/task/%d/status" % threading.get_native_id())

seen = {}
real_deserialize = FileSnap.deserialize

def deserialize(self, dt, sessions):
    seen["loading"] = cpus()
    return real_deserialize(self, dt, sessions)

FileSnap.deserialize = deserialize
cpu = cpu_affinity.pin_to_one_cpu()
ZKDatabase(FileTxnSnapLog(sys.argv[1], sys.argv[1])).load_data_base()
print(json.dumps([cpu, seen["loading"], cpus()]))
"""


def test_the_data_directory_is_loaded_unpinned(two_cpus, tmp_path):
    """Members of one host starting together load side by side (cpu_affinity.unpinned's numbers)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", LOAD_CHECK, str(tmp_path)], cwd=repo, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    cpu, loading, after = json.loads(out.stdout)
    assert loading == two_cpus, out.stdout
    assert after == [cpu], out.stdout
