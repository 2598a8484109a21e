"""The queue between two server threads: Java's java.util.concurrent.LinkedBlockingQueue.

Every processor thread (PrepRequestProcessor, SyncRequestProcessor, FollowerRequestProcessor,
LearnerHandler's sender, a CommitProcWork thread, a selector's update queue) takes from its
own queue, which other threads fill: many producers, one consumer. `LinkedBlockingQueue` is
the class for that, with queue.SimpleQueue's methods (put, get, get_nowait, qsize, empty;
get raises queue.Empty) and Java's poll(), which returns None when the queue is empty: a
processor loop polls its queue whenever it has worked through it, and on PyPy each
queue.Empty raised there left some 0.9 KB for the young generation to collect
(bench/pypy_gc_row.py).

On CPython it is queue.SimpleQueue, written in C. PyPy has no C SimpleQueue: its pure-Python
one is a deque behind a threading.Semaphore, itself a Condition over a Lock, so every put
and get takes that lock and every blocking get allocates a waiter lock. OneConsumerQueue
below streams items some 15-30 times cheaper on PyPy 7.3 (bench/bench_queues.py prints both),
and a 3-node ensemble hands each write over some ten times. Its consumer sleeps on a
WakeupSemaphore, which on PyPy wakes it with the GIL free (wakeup_semaphore.py).
"""

import collections
import queue
import sys
import time

from zookeeper_py.common.wakeup_semaphore import WakeupSemaphore


class OneConsumerQueue:
    """An unbounded FIFO for many producer threads and exactly one consumer thread.

    The items are a deque (append and popleft are atomic). The consumer, finding it
    empty, raises `_sleeping` and blocks on `_wakeup` (a WakeupSemaphore); a producer
    that sees the flag lowers it and releases the semaphore. The flag is checked again
    after it is raised, so an item put in between is never slept on. A wake-up that
    comes when the consumer is no longer asleep is left pending: the next blocking get
    returns at once, finds nothing, and sleeps properly.
    """

    __slots__ = ("_items", "_wakeup", "_sleeping")

    def __init__(self):
        self._items = collections.deque()
        self._wakeup = WakeupSemaphore()
        self._sleeping = False

    def put(self, item, block=True, timeout=None):
        self._items.append(item)
        if self._sleeping:
            self._sleeping = False
            self._wakeup.release()

    def put_nowait(self, item):
        self.put(item)

    def get_nowait(self):
        items = self._items
        if items:
            return items.popleft()
        raise queue.Empty

    def poll(self):
        """Java's poll(): the head, or None when the queue is empty."""
        items = self._items
        return items.popleft() if items else None

    def get(self, block=True, timeout=None):
        items = self._items
        deadline = None
        while True:
            # One consumer: an item it sees stays until it takes it. Asked, not caught: a loop
            # calls get() once poll() found nothing, and on PyPy each IndexError raised
            # here was a young object per wait.
            if items:
                return items.popleft()
            if not block:
                raise queue.Empty
            self._sleeping = True
            if items:
                self._sleeping = False
                continue
            if timeout is None:
                self._wakeup.acquire()
                continue
            if deadline is None:
                deadline = time.monotonic() + timeout
            remaining = deadline - time.monotonic()
            if not self._wakeup.acquire(remaining):
                self._sleeping = False
                if items:
                    return items.popleft()
                raise queue.Empty

    def qsize(self):
        return len(self._items)

    def empty(self):
        return not self._items


class _SimpleQueue(queue.SimpleQueue):
    """queue.SimpleQueue with poll(), for its one consumer: no other thread takes what empty() saw."""

    __slots__ = ()

    def poll(self):
        """Java's poll(): the head, or None when the queue is empty."""
        return None if self.empty() else self.get_nowait()


if sys.implementation.name == "cpython":
    LinkedBlockingQueue = _SimpleQueue
else:
    LinkedBlockingQueue = OneConsumerQueue
