"""How one server thread wakes another that sleeps for work: Java's LockSupport.park/unpark.

`WakeupSemaphore` is a semaphore that starts at zero: `release()` wakes the sleeper,
`acquire(timeout)` sleeps until then (True) or until the timeout (False). Callers check
their own condition again after waking, so a wake-up more than needed is harmless.

On PyPy it is libc's sem_t, called through PyPy's built-in cffi backend (pypy_libc.py),
which releases PyPy's GIL for the call. That is the point: with a threading.Lock, the woken thread
(on the same CPU, where the server pins its threads: cpu_affinity.py) preempts the thread
that woke it while that one still holds the GIL, finds it held, and sleeps out PyPy's
0.1 ms GIL poll (timer_slack.py). sem_post wakes it while the GIL is free, so it runs at
once; the waker is the one that waits for the GIL, when it has nothing left to do but
go back to sleep. bench/bench_queues.py's round trip (two hand-overs) on one CPU: ~340 us
with a Lock, ~5 us with sem_t. CPython keeps the Lock: its GIL hands itself to a waiting
thread, and sem_t through ctypes, tried there too (12 -> 6 us a round trip on one CPU), made
bench/bench_matrix.py's 3-node window-1 gets 11% faster but its pipelined sets 10% slower.
"""

import errno
import sys
import threading
import time

from zookeeper_py.common import pypy_libc

_SEM_WORDS = 8  # 64 bytes: glibc's sem_t is 32 on 64-bit machines, musl's smaller
_CLOCK_MONOTONIC = 1  # Linux's clockid_t for CLOCK_MONOTONIC


class LockWakeupSemaphore:
    """A Lock held while nobody is to be woken; a wake-up that nobody awaits leaves it released."""

    __slots__ = ("_lock",)

    def __init__(self):
        self._lock = threading.Lock()
        self._lock.acquire()

    def release(self):
        try:
            self._lock.release()
        except RuntimeError:
            pass  # already released: the sleeper has a wake-up coming

    def acquire(self, timeout=None):
        if timeout is None:
            return self._lock.acquire()
        return timeout > 0 and self._lock.acquire(True, timeout)


def _libc_semaphore_class():
    """WakeupSemaphore over libc's sem_t, or None where it cannot be loaded."""
    sem_t = "long[%d]" % _SEM_WORDS
    try:
        sem_init = pypy_libc.libc_function("sem_init", "int", "long *", "int", "unsigned int")
        sem_post = pypy_libc.libc_function("sem_post", "int", "long *")
        sem_wait = pypy_libc.libc_function("sem_wait", "int", "long *")
        sem_clockwait = pypy_libc.libc_function("sem_clockwait", "int", "long *", "int", "long *")
    except (ImportError, AttributeError, OSError):
        return None

    class LibcWakeupSemaphore:
        __slots__ = ("_sem",)

        def __init__(self):
            self._sem = pypy_libc.new(sem_t)
            if sem_init(self._sem, 0, 0) != 0:
                raise OSError(pypy_libc.get_errno(), "sem_init failed")

        def release(self):
            sem_post(self._sem)

        def acquire(self, timeout=None):
            if timeout is None:
                sem_wait(self._sem)  # -1 on EINTR: a spurious wake-up, which callers allow
                return True
            if timeout <= 0:
                return False
            deadline = time.clock_gettime(time.CLOCK_MONOTONIC) + timeout
            seconds = int(deadline)
            until = pypy_libc.new("long[2]", [seconds, int((deadline - seconds) * 1e9)])  # struct timespec
            if sem_clockwait(self._sem, _CLOCK_MONOTONIC, until) == 0:
                return True
            return pypy_libc.get_errno() != errno.ETIMEDOUT

    try:
        LibcWakeupSemaphore()
    except OSError:
        return None
    return LibcWakeupSemaphore


WakeupSemaphore = LockWakeupSemaphore
if sys.implementation.name == "pypy" and sys.platform.startswith("linux"):
    WakeupSemaphore = _libc_semaphore_class() or LockWakeupSemaphore
