"""Mirror of org.apache.zookeeper.Environment: what `envi` and the start-up log print."""

import os
import resource
import socket
import sys

from zookeeper_py.version import Version


def _memory():
    """(free, max, total) bytes of this process, as the JVM's Runtime reports its heap."""
    try:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except OSError:
        rss = 0
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 0
    return max(total - rss, 0), total, rss


class Environment:
    """Mirror of org.apache.zookeeper.Environment.

    The keys are Java's, so tools that parse `envi` keep working; the values describe
    this Python process (java.version is the Python version, and so on).
    """

    @staticmethod
    def list():
        # lazy: with subprocess (platform's), 50 ms of PyPy at the server's first four-letter word
        import getpass
        import platform
        import tempfile

        try:
            host = socket.getfqdn()
        except OSError:
            host = "<NA>"
        try:
            user = getpass.getuser()
        except Exception:
            user = "<NA>"
        free, max_, total = _memory()
        return [
            ("zookeeper.version", Version.get_full_version()),
            ("host.name", host),
            ("java.version", platform.python_version()),
            ("java.vendor", platform.python_implementation()),
            ("java.home", sys.prefix),
            ("java.class.path", os.pathsep.join(p for p in sys.path if p)),
            ("java.library.path", os.environ.get("LD_LIBRARY_PATH", "")),
            ("java.io.tmpdir", tempfile.gettempdir()),
            ("java.compiler", "<NA>"),
            ("os.name", platform.system()),
            ("os.arch", platform.machine()),
            ("os.version", platform.release()),
            ("user.name", user),
            ("user.home", os.path.expanduser("~")),
            ("user.dir", os.getcwd()),
            ("os.memory.free", "%dMB" % (free // (1 << 20))),
            ("os.memory.max", "%dMB" % (max_ // (1 << 20))),
            ("os.memory.total", "%dMB" % (total // (1 << 20))),
        ]
