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
"""

import contextlib
import gc
import logging
import os
import sys

LOG = logging.getLogger("GcTuning")

GEN0_THRESHOLD = 50000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 10  # Python's default: a full collection also waits for the 25% growth rule

_tuned = False


def tune_collector():
    """Raise the youngest generation's threshold; from now on gc_paused freezes what a snapshot load made."""
    global _tuned
    if sys.implementation.name != "cpython":
        if sys.implementation.name == "pypy":
            # PyPy ignores a value it cannot parse: the log shows what it took.
            LOG.info("PyPy GC nursery: %s (PYPY_GC_NURSERY=%s)", gc.get_stats().nursery_size,
                     os.environ.get("PYPY_GC_NURSERY", "unset"))
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
