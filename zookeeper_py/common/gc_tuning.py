"""CPython's cyclic garbage collector, set for a server that holds a large tree (as JVM GC flags are).

Python frees almost everything by reference counting; the cyclic collector only finds
cycles, but it walks the young objects every `threshold0` allocations and every live
object in a full collection. The defaults (700 allocations, a full collection whenever
the survivors have grown by a quarter) are set for short scripts:
- each request allocates a few dozen objects, so the youngest generation was walked
  every ~20 requests; a threshold of 50,000 took CPython's server CPU per create from
  42 to 37 us and per set from 25 to 23 us (bench_server.py, pipelined 32x8);
- a full collection walks the whole tree: 0.34 s with 1M znodes (2M tracked objects),
  a pause for every client. The tree a snapshot load made is frozen (gc.freeze) after
  the load, so full collections walk only what came later. The tree's nodes hold no
  reference cycles, so reference counting still frees them when they are deleted.

Only the server mains call tune_collector(); a process that did not (a test running
servers in-process) keeps Python's defaults and never freezes. PyPy's collector is a
different, generational one without these knobs; its nursery is sized before it starts,
from PYPY_GC_NURSERY (bin/zkEnv.sh sets it), and tune_collector() logs the size PyPy took.

On PyPy a snapshot load (at start, or a learner's SNAP) leaves its garbage for a major
collection, which the load holds off: the file's buffer and the outgrown arrays of the
tree's dict. A 1M-znode tree held 1.1 GB of RSS after its load, ~1,120 bytes a znode,
until a major collection came in steps while the server served. Even after it, glibc
kept the freed blocks (~160 bytes a znode). So a tuned PyPy process runs a full
collection right after a load, before the server serves, and hands the freed heap back
with malloc_trim: 439 bytes a znode, for 0.23-0.43 s more of a 1.5-1.6 s load (Java: 2.5-2.8 s).
A PyPy server started on that tree had 854-869 MB of RSS once serving, 624 MB with this.
CPython frees as it goes; malloc_trim returned nothing there.
"""

import contextlib
import gc
import logging
import os
import sys
import time

from zookeeper_py.common import pypy_libc

LOG = logging.getLogger("GcTuning")

GEN0_THRESHOLD = 50000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 10  # Python's default: a full collection also waits for the 25% growth rule

_tuned = False
_collect_after_load = False


def tune_collector():
    """CPython: raise the youngest generation's threshold; from now on gc_paused freezes what a
    snapshot load made. PyPy: from now on collect_after_load collects and trims what a load left."""
    global _tuned, _collect_after_load
    if sys.implementation.name != "cpython":
        if sys.implementation.name == "pypy":
            # PyPy ignores a value it cannot parse: the log shows what it took.
            LOG.info("PyPy GC nursery: %s (PYPY_GC_NURSERY=%s)", gc.get_stats().nursery_size,
                     os.environ.get("PYPY_GC_NURSERY", "unset"))
            _collect_after_load = True
        return False
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    _tuned = True
    return True


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic GC while a snapshot loads; in a tuned process, freeze what it loaded.

    A load creates millions of objects that all stay alive; the collector would walk
    them again and again as they pile up (a 1M-znode load takes over twice as long).
    The freeze comes before the collector is back on: otherwise its first young
    collection walks every object the load made (0.3 s with 1M znodes).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if _tuned:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def rss_bytes():
    """The process's resident set (Linux), or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def malloc_trim():
    """glibc's malloc_trim(0), called through PyPy's cffi: True if glibc returned memory to the OS."""
    try:
        trim = pypy_libc.libc_function("malloc_trim", "int", "size_t")
    except (ImportError, AttributeError, OSError):  # not PyPy, or not glibc (musl has no malloc_trim)
        return False
    return trim(0) == 1


def collect_after_load():
    """In a tuned PyPy process, once a load has dropped its buffers: a full collection, then the
    freed heap back to the OS (the RSS before and after logged). Nothing elsewhere."""
    if not _collect_after_load:
        return
    before = rss_bytes()
    t0 = time.monotonic()
    gc.collect()
    malloc_trim()
    after = rss_bytes()
    if before is not None and after is not None:
        LOG.info("Collected after the load in %.3f s: RSS %d MB, was %d MB", time.monotonic() - t0,
                 after >> 20, before >> 20)
