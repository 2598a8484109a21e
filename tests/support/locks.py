"""A lock that says when another thread starts to take it: a test's holder releases it then,
so what happens under the lock is ordered by the lock itself, not by a delay."""

import threading


class AnnouncingLock:
    """threading.Lock, plus `wanted`: set when any thread but the holder calls acquire()."""

    def __init__(self):
        self._lock = threading.Lock()
        self.holder = None
        self.wanted = threading.Event()

    def acquire(self, blocking=True, timeout=-1):
        if self.holder is not None and self.holder is not threading.current_thread():
            self.wanted.set()
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.holder = threading.current_thread()
        return got

    def release(self):
        self.holder = None
        self._lock.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
