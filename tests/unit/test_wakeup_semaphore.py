"""WakeupSemaphore: wakes a sleeping thread, times out, keeps a wake-up that came early; on real
threads, and on PyPy (where it is libc's sem_t) in a PyPy process."""

import subprocess
import textwrap
import threading
import time

import pytest

from tests.support.servers import REPO, pypy_python
from zookeeper_py.common.wakeup_semaphore import LockWakeupSemaphore, WakeupSemaphore

KINDS = [LockWakeupSemaphore, WakeupSemaphore]


@pytest.mark.parametrize("kind", KINDS)
def test_a_release_wakes_a_thread_asleep_in_acquire(kind):
    s = kind()
    woke = []
    t = threading.Thread(target=lambda: woke.append(s.acquire()))
    t.start()
    time.sleep(0.1)
    assert not woke, "acquire returned before any release"
    s.release()
    t.join(5)
    assert woke == [True]


@pytest.mark.parametrize("kind", KINDS)
def test_acquire_times_out_and_a_release_before_it_is_kept(kind):
    s = kind()
    t0 = time.monotonic()
    assert s.acquire(0.2) is False
    assert 0.19 <= time.monotonic() - t0 < 5
    assert s.acquire(0) is False
    s.release()
    t0 = time.monotonic()
    assert s.acquire(5) is True
    assert time.monotonic() - t0 < 1


# Run by PyPy: the class the server gets there, a timeout, and OneConsumerQueue's hand-overs
# through it between real threads (a lost wake-up hangs a get until its 10 s timeout).
_PYPY_CHECK = textwrap.dedent("""
    import threading, time
    from zookeeper_py.common.wakeup_semaphore import WakeupSemaphore
    from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
    assert WakeupSemaphore.__name__ == "LibcWakeupSemaphore", WakeupSemaphore
    s = WakeupSemaphore()
    t0 = time.monotonic()
    assert s.acquire(0.1) is False and 0.09 <= time.monotonic() - t0 < 5
    a, b = LinkedBlockingQueue(), LinkedBlockingQueue()
    def echo():
        for _ in range(5000):
            b.put(a.get())
    t = threading.Thread(target=echo, daemon=True)  # a lost wake-up fails the get below, not the exit
    t.start()
    for i in range(5000):
        a.put(i)
        assert b.get(timeout=10) == i
    t.join()
    print("ok")
""")


def test_on_pypy_it_is_libc_sem_t_and_hands_items_over():
    python = pypy_python()
    if not python:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    out = subprocess.run([python, "-c", _PYPY_CHECK], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr
