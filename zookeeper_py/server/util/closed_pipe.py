"""Offline tools whose output is piped (`| head`): a reader that leaves ends the tool quietly.

Java's PrintStream swallows the write error and the tool exits 0; Python raises BrokenPipeError at
the next write or flush, which printed a traceback (exit 1).
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def stdout_reader_may_leave():
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
