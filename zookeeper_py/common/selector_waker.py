"""Selector.wakeup for a selectors.DefaultSelector: another thread interrupts its select()."""

import socket


class SelectorWaker:
    """A socketpair that interrupts a select() from another thread (Selector.wakeup)."""

    def __init__(self):
        self.r, self.w = socket.socketpair()
        self.r.setblocking(False)
        self.w.setblocking(False)
        self.pending = False
        # Read into: PyPy's recv(4096) allocates 4 KB for each wake-up's one byte.
        self.scratch = bytearray(64)

    def wakeup(self):
        if not self.pending:
            self.pending = True
            try:
                self.w.send(b"x")
            except OSError:
                pass

    def drain(self):
        # Read first, then clear the flag: cleared first, a wakeup arriving in between
        # would have its byte swallowed here and leave the flag set for good.
        # A full read means more may wait; a short one emptied it (no BlockingIOError raised).
        try:
            while self.r.recv_into(self.scratch) == len(self.scratch):
                pass
        except OSError:
            pass
        self.pending = False

    def close(self):
        self.r.close()
        self.w.close()
