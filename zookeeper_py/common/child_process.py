"""One piece of work done in a forked copy of the server process (POSIX), away from its GIL.

A snapshot walks every znode: for a big tree, seconds of Python that need the GIL the
request threads need, on the one CPU the server is pinned to (cpu_affinity.py). Java's
"Snapshot Thread" runs beside the request threads on another core. A fork gives us the
same: the child has a copy-on-write image of the tree as it stood at the fork, writes the
file on any CPU the process may use, and exits; the server goes on with a pause of the
fork itself (copying the page tables: a few ms per GB of heap).

What the child may rely on:
- only the forking thread exists in it; the locks passed in `hold` were taken by that
  thread across the fork (so no other thread held them, half-way through a change), and
  are free in the child;
- every other descriptor is closed at once, so that a client socket the server closes
  meanwhile closes for its peer too, and the child holds no port;
- it dies with the server (PR_SET_PDEATHSIG, Linux), and never runs the server's code
  after `work` returns or raises: it leaves by os._exit, its error (type and message)
  written to the server through a pipe.

The cost is memory: a page either process writes while the child lives is copied. The child
writes to much of what it reads (CPython: each object's reference count; PyPy: measured as
well, from looking nodes up and copying their data, the cause inside PyPy not pinned down),
so a snapshot copies most of the tree's pages for its duration: 72 MB of a 94 MB CPython
heap, ~250 MB of a 355 MB PyPy heap (300k znodes; /proc/<child>/smaps_rollup Private_Dirty).
"""

import contextlib
import gc
import os
import sys
import time

from zookeeper_py.common import cpu_affinity, pypy_libc

PR_SET_PDEATHSIG = 1
_SIGKILL = 9
_MAX_ERROR = 4096


class ChildWorkError(OSError):
    """The work failed in the child (its error, as text), or the child died."""


class CannotFork(OSError):
    """fork() failed (e.g. ENOMEM): nothing ran; the caller may do the work itself."""


def fork_available():
    return hasattr(os, "fork")


def run_in_child(work, hold=(), keep_fds=()):
    """Run work() in a forked child process and wait for it: (its pid, seconds the fork took,
    seconds in all). ChildWorkError if it raised or died.

    `hold`: locks taken (in that order) across the fork; `keep_fds`: descriptors the child
    keeps besides 0, 1 and 2. CannotFork when fork() itself fails."""
    read_end, write_end = os.pipe()
    try:
        with contextlib.ExitStack() as held:  # released on both sides of the fork
            for lock in hold:
                held.enter_context(lock)
            began = time.monotonic()
            try:
                pid = os.fork()
            except OSError as e:
                raise CannotFork(e.errno, "fork: %s" % e.strerror) from None
    except BaseException:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:
        _child(work, write_end, set(keep_fds) | {write_end})
    forked = time.monotonic()
    os.close(write_end)
    try:
        error = _read_all(read_end)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)  # reaped even if the read raised
    code = os.waitstatus_to_exitcode(status)
    if error:
        raise ChildWorkError(error)
    if code != 0:
        raise ChildWorkError("child process %d %s" % (
            pid, "killed by signal %d" % -code if code < 0 else "exited with status %d" % code))
    return pid, forked - began, time.monotonic() - began


def _child(work, error_fd, keep):
    code = 1
    try:
        _close_fds_except(keep | {0, 1, 2})
        _die_with_parent()
        cpu_affinity.unpin_forked_child()  # it inherited the pin of the thread that forked it
        # A collection would touch (and so copy) every page of the heap; the child is short-lived.
        gc.disable()
        work()
        code = 0
    except BaseException as e:  # the child must not unwind into the server's code
        try:
            os.write(error_fd, ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace")[:_MAX_ERROR])
        except BaseException:
            pass
    finally:
        os._exit(code)


def _read_all(fd):
    parts = []
    while True:
        chunk = os.read(fd, _MAX_ERROR)
        if not chunk:
            return b"".join(parts).decode("utf-8", "replace")
        parts.append(chunk)


def _close_fds_except(keep):
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = range(os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024)
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, gone already


def _die_with_parent():
    """PR_SET_PDEATHSIG: killed when the thread that forked it ends, i.e. with the server."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        if sys.implementation.name == "pypy":
            ulong = "unsigned long"
            prctl = pypy_libc.libc_function("prctl", "int", "int", ulong, ulong, ulong, ulong)
        else:
            import ctypes  # lazy: only a forked child on CPython needs it

            prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl(PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        return
    if os.getppid() != parent:  # the server died before the call
        os._exit(1)

