"""MonotonicCondition: a Condition whose timed waits sleep on a WakeupSemaphore (what
monotonic_waits.install() puts in threading's place on PyPy). It must keep Condition's contract:
True when notified, False after the timeout, each notify() waking one waiter."""

import threading
import time

from zookeeper_py.common.monotonic_waits import MonotonicCondition


def test_a_timed_wait_is_true_when_notified_and_false_after_its_timeout():
    cond = MonotonicCondition()
    with cond:
        start = time.monotonic()
        assert cond.wait(0.2) is False
        assert 0.15 < time.monotonic() - start < 5
        assert cond._waiters == type(cond._waiters)()  # a timed-out waiter leaves no trace

    results = []

    def waiter():
        with cond:
            results.append(cond.wait(30))

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with cond:
            if len(cond._waiters) == 3:
                break
        time.sleep(0.01)
    with cond:
        cond.notify()
        assert len(cond._waiters) == 2  # one notify takes one waiter off the list
    deadline = time.monotonic() + 10
    while not results and time.monotonic() < deadline:
        time.sleep(0.01)
    assert results == [True]
    with cond:
        cond.notify_all()
    for t in threads:
        t.join(10)
    assert results == [True, True, True]
