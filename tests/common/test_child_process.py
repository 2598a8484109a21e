"""child_process.run_in_child: work done in a real forked child, its error brought back, the
locks it was given free in it, no other descriptor of ours held open by it, and no child
left behind when its server dies."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tests.support.locks import AnnouncingLock
from zookeeper_py.common import child_process

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(not child_process.fork_available(), reason="no os.fork on this platform")


def test_work_runs_in_another_process(tmp_path):
    out = open(tmp_path / "pid", "w")
    with out:
        pid, fork_took, took = child_process.run_in_child(
            lambda: (out.write(str(os.getpid())), out.flush()), keep_fds=(out.fileno(),))
    assert (tmp_path / "pid").read_text() == str(pid)
    assert pid != os.getpid()
    assert 0 <= fork_took <= took


def test_the_childs_error_comes_back():
    def work():
        raise ValueError("no room for the tree")

    with pytest.raises(child_process.ChildWorkError, match="ValueError: no room for the tree"):
        child_process.run_in_child(work)


def test_a_child_killed_by_a_signal_is_an_error():
    with pytest.raises(child_process.ChildWorkError, match="killed by signal 9"):
        child_process.run_in_child(lambda: os.kill(os.getpid(), signal.SIGKILL))


def test_held_locks_are_free_in_the_child_and_here():
    plain, reentrant = threading.Lock(), threading.RLock()

    def work():
        # Taken across the fork by the forking thread: still held here, it would time out.
        for lock in (plain, reentrant):
            if not lock.acquire(timeout=5):
                raise RuntimeError("a held lock stayed taken in the child")
            lock.release()

    child_process.run_in_child(work, hold=(plain, reentrant))
    assert plain.acquire(blocking=False)
    assert reentrant.acquire(blocking=False)


def test_a_held_lock_waits_for_its_holder():
    """A lock another thread holds is taken before the fork: the child never sees it half-way."""
    lock = AnnouncingLock()
    state = {"value": "before"}
    taken = threading.Event()
    seen = []

    def holder():
        with lock:
            taken.set()
            # Released once the fork's side asks for the lock (or after 10 s, if it never does).
            lock.wanted.wait(10)
            state["value"] = "after"  # written under the lock, which is released only then

    thread = threading.Thread(target=holder)
    thread.start()
    assert taken.wait(10)
    read_end, write_end = os.pipe()
    try:
        child_process.run_in_child(lambda: os.write(write_end, state["value"].encode()), hold=(lock,),
                                   keep_fds=(write_end,))
        seen.append(os.read(read_end, 16).decode())
    finally:
        thread.join()
        os.close(read_end)
        os.close(write_end)
    assert seen == ["after"]


def test_the_child_holds_no_other_descriptor():
    """A socket the server closes while the child runs closes for its peer at once."""
    ours, peer = socket.socketpair()
    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    errors = []

    def child_work():
        os.write(ready_write, b"r")
        os.read(go_read, 1)  # it keeps these two pipes and nothing else of ours

    def run():
        try:
            child_process.run_in_child(child_work, keep_fds=(ready_write, go_read))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        assert os.read(ready_read, 1) == b"r"  # the child runs
        ours.close()
        peer.settimeout(5)
        assert peer.recv(1) == b""  # EOF: no copy of `ours` is left open in the child
    finally:
        os.write(go_write, b"g")
        runner.join(timeout=30)
        for fd in (ready_read, ready_write, go_read, go_write):
            os.close(fd)
        peer.close()
    assert errors == []


def test_the_child_dies_with_its_server(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent("""
        import os, sys, time
        from zookeeper_py.common import child_process
        out = open(sys.argv[1], "w")
        def work():
            out.write(str(os.getpid())); out.flush()
            time.sleep(600)
        child_process.run_in_child(work, keep_fds=(out.fileno(),))
    """)
    server = subprocess.Popen([sys.executable, "-c", script, str(pid_file)], cwd=_REPO)
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the child never started"
            assert server.poll() is None, "the server process ended"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(child):
            assert time.monotonic() < deadline, "child %d outlived its server" % child
            time.sleep(0.05)
    finally:
        if server.poll() is None:
            server.kill()


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie (reaped by init soon) is dead
    except FileNotFoundError:
        return False


def test_a_failed_fork_is_cannot_fork(monkeypatch):
    def no_fork():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    lock = threading.Lock()
    with pytest.raises(child_process.CannotFork):
        child_process.run_in_child(lambda: None, hold=(lock,))
    assert lock.acquire(blocking=False), "the lock stayed taken"


def test_a_child_of_a_pinned_server_may_use_every_cpu(tmp_path):
    """The child inherits the pin of the thread that forked it (cpu_affinity.py); it is let off it."""
    from zookeeper_py.common.cpu_affinity import allowed_cpus  # lazy: Linux only

    if not sys.platform.startswith("linux") or len(allowed_cpus()) < 2:
        pytest.skip("threads are pinned on Linux, with 2 CPUs or more")
    script = textwrap.dedent("""
        import json, sys
        from zookeeper_py.common import child_process, cpu_affinity
        out = open(sys.argv[1], "w")
        pinned = cpu_affinity.pin_to_one_cpu()
        def work():
            json.dump({"pinned": pinned, "child": cpu_affinity.allowed_cpus()}, out); out.flush()
        child_process.run_in_child(work, keep_fds=(out.fileno(),))
        assert cpu_affinity.allowed_cpus() == [pinned], "the server's own thread lost its pin"
    """)
    result = tmp_path / "cpus.json"
    subprocess.run([sys.executable, "-c", script, str(result)], check=True, timeout=60, cwd=_REPO)
    seen = json.loads(result.read_text())
    assert seen["pinned"] is not None
    assert seen["child"] == allowed_cpus()
