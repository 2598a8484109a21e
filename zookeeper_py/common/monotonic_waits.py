"""Timed waits that a step of the wall clock does not stretch, on PyPy.

PyPy's timed lock acquire, under every Condition.wait, Event.wait, Queue.get and
Semaphore.acquire with a timeout, waits with sem_timedwait, whose deadline is on the wall clock:
when the clock steps back (NTP, a resumed VM, an operator's `date`), a wait in progress lasts as
much longer. The session tracker then expired dead sessions a step late (an hour late for an
hour). Java, and CPython here, count timeouts on the monotonic clock. install() makes
threading.Condition's timed waits sleep on a WakeupSemaphore (sem_clockwait on CLOCK_MONOTONIC);
Event, Queue and Semaphore wait through a Condition made after it. Untimed waits are unchanged.
"""

import sys
import threading

from zookeeper_py.common.wakeup_semaphore import LockWakeupSemaphore, WakeupSemaphore

_StdlibCondition = threading.Condition


class MonotonicCondition(_StdlibCondition):
    """threading.Condition whose timed wait is a WakeupSemaphore's, fresh for each wait: notify()
    releases the waiters it takes off the list, and a waiter still on it when it wakes was not
    notified (a timeout, or a signal)."""

    def wait(self, timeout=None):
        if timeout is None:
            return super().wait()
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = WakeupSemaphore()
        self._waiters.append(waiter)
        saved_state = self._release_save()
        try:
            waiter.acquire(timeout)
        finally:
            self._acquire_restore(saved_state)
            try:
                self._waiters.remove(waiter)
                notified = False
            except ValueError:
                notified = True
        return notified


def install():
    """On PyPy with libc's sem_clockwait, make new Conditions (and the Events, Queues and
    Semaphores built on them) MonotonicConditions. True if it did."""
    if sys.implementation.name != "pypy" or WakeupSemaphore is LockWakeupSemaphore:
        return False
    threading.Condition = MonotonicCondition
    return True
