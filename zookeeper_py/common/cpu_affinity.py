"""The server's threads on one CPU (Linux), as `taskset -c <cpu>` would put them.

Only one thread runs Python at a time (the GIL), and a request goes from thread to thread
(selector, PrepRequestProcessor, SyncThread, CommitProcessor, ...), each hand-over waking
the next thread. Whether that thread wakes on the same CPU or on the other one is what
bench/bench_queues.py's round trip (two hand-overs) shows on this 2-core machine:
- CPython: 53-60 us with the threads free, 12-15 us under `taskset -c 0`; a wake-up on
  another CPU, and the GIL handed across, cost more than the whole hand-over on one.
- PyPy: ~50 us with the threads free, ~5 us under `taskset -c 0`, since a thread wakes the
  next with PyPy's GIL released (wakeup_semaphore.py). Woken by a threading.Lock instead,
  the woken thread preempts its waker, which still holds the GIL, and sleeps out PyPy's
  0.1 ms GIL poll: ~335 us pinned.
The server's rows were measured with bench/bench_matrix.py, pinned and unpinned servers
taking turns in one run, on this machine with the load generators on the same 2 cores
(numbers in the README): most rows gained on both runtimes, the rest within their spread.

`zookeeper.pinToOneCpu` (a -D property, as SERVER_JVMFLAGS gives it): `true` (the default)
or `false`. The CPU is one of those the process may use (as taskset or a cgroup left
them), chosen by process id, so that servers sharing a host spread over its CPUs; a
process allowed only one CPU is left as it is.

unpinned() lets one thread off the pin for a long run of work of its own (a SNAP's two sides,
the load of the data directory at start).

`zookeeper.schedBatch` (-D as well): `true` puts every thread under SCHED_BATCH, which
any user may choose, so that a woken thread does not preempt the one that woke it;
`false` (the default) leaves the policy as the process got it. On a quiet host it made
PyPy's 3-node window-1 rows 1.7-2.4 times as fast, before wakeup_semaphore.py did as much without
it; with two CPU-bound processes beside the server, a woken SCHED_BATCH thread waits out
the busy one's time slice, and set at window 1 fell from ~1,500 to 87 a second.
"""

import contextlib
import logging
import os
import sys
import threading

from zookeeper_py.common import pypy_libc, system_properties

LOG = logging.getLogger("CpuAffinity")

PIN_TO_ONE_CPU = "zookeeper.pinToOneCpu"
SCHED_BATCH = "zookeeper.schedBatch"
_MASK_WORDS = 16  # a cpu_set_t of 1024 CPUs, as glibc's

_pin = None  # (the CPU, the CPUs the process was given, set_affinity) once pin_to_one_cpu pinned it


def allowed_cpus(status_path="/proc/self/status"):
    """The CPUs this process may run on (Cpus_allowed_list of /proc/self/status), sorted."""
    with open(status_path) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                cpus = set()
                for part in line.split(":", 1)[1].strip().split(","):
                    first, _, last = part.partition("-")
                    cpus.update(range(int(first), int(last or first) + 1))
                return sorted(cpus)
    raise OSError("no Cpus_allowed_list in %s" % status_path)


def _set_affinity_pypy():
    """sched_setaffinity from PyPy (its os has none)."""
    mask_t = "unsigned long[%d]" % _MASK_WORDS
    libc_set = pypy_libc.libc_function("sched_setaffinity", "int", "int", "size_t", "unsigned long *")

    def set_affinity(tid, cpus):
        mask = pypy_libc.new(mask_t)
        for cpu in cpus:
            mask[cpu // 64] |= 1 << (cpu % 64)
        if libc_set(tid, pypy_libc.sizeof(mask_t), mask) != 0:
            err = pypy_libc.get_errno()
            raise OSError(err, "sched_setaffinity(%d, %s): %s" % (tid, sorted(cpus), os.strerror(err)))

    return set_affinity


def for_each_thread(apply):
    """apply(thread id) for every thread of this process. Threads started later inherit the
    CPU and the policy of the thread that starts them; any started before are changed too."""
    for tid in sorted(int(t) for t in os.listdir("/proc/self/task")):
        try:
            apply(tid)
        except ProcessLookupError:
            pass  # a thread that has ended


def pin_to_one_cpu():
    """Put every thread of this process on one CPU unless zookeeper.pinToOneCpu is false; the CPU or None."""
    global _pin
    if not system_properties.get_true_or_false(PIN_TO_ONE_CPU, "true"):
        return None
    if not sys.platform.startswith("linux"):
        LOG.info("Server threads not pinned to one CPU: that is done on Linux only")
        return None
    try:
        cpus = allowed_cpus()
        if len(cpus) < 2:
            return None
        cpu = cpus[os.getpid() % len(cpus)]
        set_affinity = os.sched_setaffinity if hasattr(os, "sched_setaffinity") else _set_affinity_pypy()
        for_each_thread(lambda tid: set_affinity(tid, {cpu}))
    except (ImportError, OSError, AttributeError) as e:
        LOG.warning("Could not pin the server's threads to one CPU: %s", e)
        return None
    _pin = (cpu, cpus, set_affinity)
    LOG.info("Server threads pinned to CPU %d of %s (%s=false leaves them free)", cpu, ",".join(map(str, cpus)),
             PIN_TO_ONE_CPU)
    return cpu


@contextlib.contextmanager
def unpinned():
    """Let the calling thread run on any of the process's CPUs for a long run of work on one
    thread, then put it back on the pinned CPU.

    The pin pays where threads hand requests to each other. A SNAP is one thread's work on
    each side (the leader's LearnerHandler writes the tree, the learner reads it) for seconds:
    two members sharing a host were pinned to the same CPU half the time (by process id on
    2 CPUs), and then the two sides took turns on it instead of running side by side: a
    1M-znode SNAP to an emptied CPython follower took 3.79-4.56 s then, 2.84-2.93 s on
    different CPUs, and 2.82-3.25 s unpinned whichever CPUs the members got
    (bench/bench_snap_sync.py; PyPy 3.53-3.72, 3.00-3.05 and 2.85-3.37 s). The same holds for
    members of one host starting together, each loading its data directory: three members
    from a 1M-znode snapshot to all serving took a median of 5.51 s pinned, 4.27 s with the
    load unpinned (CPython; PyPy 5.04 and 3.69 s; 6 starts each, taking turns)."""
    pin = _pin
    if pin is None:
        yield
        return
    cpu, cpus, set_affinity = pin
    tid = threading.get_native_id()
    try:
        set_affinity(tid, set(cpus))
    except OSError as e:
        LOG.warning("Could not let thread %d off CPU %d: %s", tid, cpu, e)
        yield
        return
    try:
        yield
    finally:
        set_affinity(tid, {cpu})


def unpin_forked_child():
    """In a child forked from the pinned server (child_process.py): let it onto every CPU the
    server was given, to work beside the server rather than take turns with it."""
    pin = _pin
    if pin is not None:
        cpu, cpus, set_affinity = pin
        try:
            set_affinity(threading.get_native_id(), set(cpus))
        except OSError:
            pass  # it works on the pinned CPU then, as a thread would


def set_sched_batch():
    """Put every thread of this process under SCHED_BATCH if zookeeper.schedBatch is true; True if done."""
    if not system_properties.get_true_or_false(SCHED_BATCH, "false"):
        return False
    if not hasattr(os, "SCHED_BATCH"):
        LOG.warning("%s=true is ignored: this system has no SCHED_BATCH", SCHED_BATCH)
        return False
    try:
        for_each_thread(lambda tid: os.sched_setscheduler(tid, os.SCHED_BATCH, os.sched_param(0)))
    except OSError as e:
        LOG.warning("Could not put the server's threads under SCHED_BATCH: %s", e)
        return False
    LOG.info("Server threads under SCHED_BATCH (%s=true)", SCHED_BATCH)
    return True
