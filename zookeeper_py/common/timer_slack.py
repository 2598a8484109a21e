"""The kernel's timer slack of the server's threads, tightened on PyPy (Linux only).

PyPy's GIL (rpython/translator/c/src/thread_gil.c) is released for an external call
(a blocking lock acquire, select(), a socket read) by clearing a flag, without waking
anyone: a thread that wants the GIL finds it free by waking from a 0.1 ms timed wait,
again and again. Linux lets such a wait run late by the thread's timer slack, 50 us by
default, so each hand-over of a request from one server thread to the next cost up to
0.15 ms instead of 0.1 ms. A slack of 1 ns makes the poll 0.1 ms. Threads inherit the
slack of the thread that starts them, so it is set in the main thread before any other.

(Yielding the GIL explicitly before going idle, which PyPy does when sys.setswitchinterval
resets its ticker, was tried too: it halved window-1 latency but cost a fifth of the
pipelined and 32-connection throughput, since the yielding thread then polls to get
the GIL back.) CPython's GIL wakes the next thread itself, so this does nothing there.
"""

import logging
import sys

from zookeeper_py.common import pypy_libc

LOG = logging.getLogger("TimerSlack")

PR_SET_TIMERSLACK = 29


def tighten_timer_slack(nanoseconds=1):
    """prctl(PR_SET_TIMERSLACK) for the calling thread (and the threads it starts later)."""
    if sys.implementation.name != "pypy" or not sys.platform.startswith("linux"):
        return False
    try:
        ulong = "unsigned long"
        prctl = pypy_libc.libc_function("prctl", "int", "int", ulong, ulong, ulong, ulong)
        if prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) != 0:
            raise OSError("prctl(PR_SET_TIMERSLACK) failed")
    except (ImportError, OSError, AttributeError) as e:
        LOG.warning("Could not tighten the timer slack: %s", e)
        return False
    return True
