"""A server's thread names from its `kill -QUIT` thread dump (printed as a JVM prints one)."""

import os
import re
import signal
import time

_DUMP_HEADER = "Full thread dump zookeeper_py"
_THREAD_LINE = re.compile(r'^"(.*)" (?:daemon )?id=\d+ (?:RUNNABLE|WAITING|TIMED_WAITING|BLOCKED|TERMINATED)$', re.M)


def read_text(path):
    """A file's text ("" while it does not exist yet)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def thread_names(server, timeout=15):
    """The names of the server process's threads, from its `kill -QUIT` thread dump."""
    before = read_text(server.out_path).count(_DUMP_HEADER)
    os.kill(server.proc.pid, signal.SIGQUIT)
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        text = read_text(server.out_path)
        if text.count(_DUMP_HEADER) > before:
            names = _THREAD_LINE.findall(text[text.rindex(_DUMP_HEADER):])
            if names and names == last:
                return set(names)
            last = names
        time.sleep(0.1)  # polls the file the dump is written to
    raise AssertionError("no thread dump from pid %d within %ss" % (server.proc.pid, timeout))
