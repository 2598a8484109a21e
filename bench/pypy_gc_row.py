#!/usr/bin/env python3
"""What PyPy's garbage collector does in our server under one of bench_matrix.py's rows.

    .tox/py/bin/python bench/pypy_gc_row.py [--row connect] [--before create] [--topology standalone]
        [--nursery 32MB] [--seconds 4] [--env NAME=VALUE ...] [--flags "-Dname=value ..."]
        [--server-repo DIR]

PyPy collects its young generation (the nursery) each time a nursery's worth has been allocated,
on the thread that filled it, which holds the GIL meanwhile: every thread waits. Its old
generation is collected by an incremental major collection, a step of which runs after a minor
collection once the heap has grown enough. Each pause delays every request in flight, so they
are what a row's p99 meets. py-spy does not read PyPy and PyPy has no tracemalloc: each server
process here runs with gc hooks (gc.hooks.on_gc_minor and on_gc_collect_step, installed by a
sitecustomize module on its PYTHONPATH), which over the row's measured window count the minor
collections and time them and each major step (by the phase it ran: MARKING, SWEEPING, ...), and
sample the Python stack of the thread the minor hook runs on. Bytes allocated per op = minor
collections x nursery size / ops. The stack is where PyPy next checked for pending actions after
the allocation that filled the nursery: a loop head or call at or after it, not the allocating
line.

The same window also counts what PyPy's JIT did (pypyjit.get_stats_snapshot() at its start and
end): seconds spent tracing and in the backend, loops and bridges compiled, and traces aborted,
by reason (ABORT_TOO_LONG: longer than the trace_limit parameter). The JIT compiles on the thread
that ran the code, holding the GIL, so its time is a pause too, mostly while a server's paths
are new to it. From the server's start on (not only in the window) it names each function a
trace grew too long through (pypyjit.set_trace_too_long_hook): PyPy threw that trace away and
marked the function not to be inlined, which common/jit_tuning.py's NOT_INLINED does up front
for the functions found so. --no-gc-hooks leaves the GC hooks out, which slow such a row. --flags gives the
server system properties, e.g. --flags=-Dzookeeper.pypy.jit=threshold=100,function_threshold=150,
trace_eagerness=20,trace_limit=3000 (the server's own JIT parameters, common/jit_tuning.py, with
PyPy's trace_limit of 6000 halved).

--server-repo DIR runs the server from another checkout (a worktree of another commit), for the
same measure before and after a change.

--env NAME=VALUE gives the server an environment variable, e.g. one of PyPy's GC settings
(PYPY_GC_MAJOR_COLLECT, PYPY_GC_INCREMENT_STEP; PYPY_GC_NURSERY is --nursery).

--before ROW runs a row first, unmeasured: `--before create` leaves the tree some 350k znodes
bigger, as bench_matrix.py's rows after `create` find it. The default nursery is the 32 MB
bin/zkEnv.sh gives the server; a small one (--nursery 1MB) samples the stacks more often.

Needs PyPy (Debian package pypy3; the venv bin/zkEnv.sh makes for it). Not a test.
"""

import argparse
import collections
import glob
import json
import os
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.bench_matrix import LOAD_ROWS, Setup, load_targets, row_in_background, run_row, serving  # noqa: E402
from tests.support.servers import pypy_python  # noqa: E402

# The sitecustomize the server processes import at start, before the server's main.
_HOOKS = r'''
import collections, gc, json, os, sys, threading, time
import pypyjit
_dir = os.environ["ZK_GC_ROW_DIR"]
_on = [False]
_minor = {"count": 0, "seconds": 0.0, "max": 0.0}
_steps = []
_stacks = collections.Counter()
_too_long = collections.Counter()  # since the server started, not only in the window

def _on_too_long(driver, greenkey):
    code = greenkey[0]
    _too_long["%s (%s:%d)" % (code.co_name, os.path.basename(code.co_filename), code.co_firstlineno)] += 1

def _on_minor(stats):
    if not _on[0]:
        return
    _minor["count"] += stats.count
    _minor["seconds"] += stats.duration
    _minor["max"] = max(_minor["max"], stats.duration_max)
    f = sys._getframe(1)
    frames = []
    while f is not None and len(frames) < 4:
        c = f.f_code
        frames.append("%s (%s:%d)" % (c.co_name, os.path.basename(c.co_filename), f.f_lineno))
        f = f.f_back
    _stacks[threading.current_thread().name + " | " + " <- ".join(frames)] += stats.count

def _on_step(stats):
    if _on[0]:
        states = stats.GC_STATES
        _steps.append((states[stats.oldstate], states[stats.newstate], stats.count, stats.duration,
                       stats.duration_max))

def _window():
    start, stop = os.path.join(_dir, "start"), os.path.join(_dir, "stop")
    while not os.path.exists(start):
        time.sleep(0.02)
    jit = pypyjit.get_stats_snapshot()
    _on[0] = True
    while not os.path.exists(stop):
        time.sleep(0.02)
    _on[0] = False
    jit_after = pypyjit.get_stats_snapshot()
    with open(os.path.join(_dir, "%d.json" % os.getpid()), "w") as out:
        json.dump({"minor": _minor if gc.hooks.on_gc_minor else None, "steps": _steps,
                   "nursery": gc._get_stats().nursery_size, "stacks": _stacks.most_common(),  # nursery: bytes
                   "jit_counts": {k: v - jit.counters.get(k, 0) for k, v in jit_after.counters.items()},
                   "jit_seconds": {k: v - jit.counter_times.get(k, 0.0) for k, v in jit_after.counter_times.items()},
                   "too_long": _too_long.most_common()},
                  out)

if os.environ.get("ZK_GC_ROW_GC_HOOKS") == "1":
    gc.hooks.on_gc_minor = _on_minor
    gc.hooks.on_gc_collect_step = _on_step
pypyjit.set_trace_too_long_hook(_on_too_long)
threading.Thread(target=_window, name="gc-row-window", daemon=True).start()
'''


def report(seen, seconds, ops, top):
    """The lines for one server process's JSON."""
    lines = []
    counts, seconds_in = seen["jit_counts"], seen["jit_seconds"]
    aborts = ", ".join("%d %s" % (n, name) for name, n in sorted(counts.items()) if name.startswith("ABORT_") and n)
    lines.append("JIT: %.0f ms tracing, %.0f ms in the backend; %d loops and %d bridges compiled; "
                 "traces aborted: %s" % (seconds_in.get("TRACING", 0) * 1e3, seconds_in.get("BACKEND", 0) * 1e3,
                                         counts.get("TOTAL_COMPILED_LOOPS", 0), counts.get("TOTAL_COMPILED_BRIDGES", 0),
                                         aborts or "none"))
    lines.append("functions a trace was too long through, since the server started: %s" % (
        ", ".join("%s x%d" % (f, n) if n > 1 else f for f, n in seen["too_long"]) or "none"))
    minor = seen["minor"]
    if minor is None:
        return lines  # --no-gc-hooks
    lines += ["%d minor collections in %.1f s: %.1f KB allocated per op; paused %.0f ms in all, longest %.1f ms" % (
        minor["count"], seconds, minor["count"] * seen["nursery"] / 1024 / max(ops, 1),
        minor["seconds"] * 1e3, minor["max"] * 1e3)]
    phases = collections.defaultdict(list)
    for old, new, count, duration, longest in seen["steps"]:
        phases["%s -> %s" % (old, new)].append((count, duration, longest))
    for phase, steps in sorted(phases.items(), key=lambda kv: -max(s[2] for s in kv[1])):
        per_step = sorted(d / c for c, d, _ in steps)
        lines.append("major steps %-22s %4d, median %.1f ms, longest %.1f ms" % (
            phase, sum(c for c, _, _ in steps), statistics.median(per_step) * 1e3, max(s[2] for s in steps) * 1e3))
    if not phases:
        lines.append("no major collection step")
    stacks = collections.OrderedDict(seen["stacks"])
    total = sum(stacks.values()) or 1
    lines.append("where the nursery filled (samples: %d):" % total)
    for stack, n in list(stacks.items())[:top]:
        lines.append("  %5.1f%%  %s" % (100 * n / total, stack))
    return lines


def main():
    load_rows = [r for r, spec in LOAD_ROWS.items() if spec[0] != "time"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=None, help="the PyPy of our server (default: bin/zkEnv.sh's PyPy venv)")
    ap.add_argument("--row", default="connect", choices=load_rows)
    ap.add_argument("--before", default=None, choices=load_rows, help="a row run first, unmeasured")
    ap.add_argument("--topology", default="standalone", choices=("standalone", "3node"))
    ap.add_argument("--seconds", type=float, default=4.0, help="seconds counted, within the row's measured window")
    ap.add_argument("--nursery", default="32MB", help="PYPY_GC_NURSERY for the run (default 32MB, as zkEnv.sh's)")
    ap.add_argument("--top", type=int, default=8, help="stacks to print per server")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the server, e.g. PYPY_GC_MAJOR_COLLECT=3.0 (repeatable)")
    ap.add_argument("--no-gc-hooks", action="store_true",
                    help="count only the JIT's work: the GC hooks (a Python call and a stack walk per minor "
                         "collection) slow a row whose code the JIT has yet to compile")
    ap.add_argument("--flags", default="", metavar='"-Dname=value ..."',
                    help="system properties for the server, space-separated, e.g. -Dzookeeper.pypy.jit=...")
    ap.add_argument("--server-repo", default=REPO, metavar="DIR",
                    help="the checkout whose zookeeper_py the server runs (another commit's worktree, for an A/B)")
    args = ap.parse_args()
    python = args.python or pypy_python()  # a relative path is made absolute by PythonServer
    if python is None:
        ap.error("no PyPy: install Debian's pypy3 (bin/zkEnv.sh makes its venv) or give --python")
    base = tempfile.mkdtemp(prefix="zk-gc-row-")
    hook_dir = os.path.join(base, "hooks")
    os.makedirs(hook_dir)
    with open(os.path.join(hook_dir, "sitecustomize.py"), "w") as f:
        f.write(_HOOKS)
    env = {"ZK_GC_ROW_DIR": hook_dir, "PYTHONPATH": hook_dir + os.pathsep + os.path.abspath(args.server_repo),
           "PYPY_GC_NURSERY": args.nursery, "ZK_GC_ROW_GC_HOOKS": "0" if args.no_gc_hooks else "1"}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            ap.error("--env takes NAME=VALUE, not %r" % item)
        env[name] = value
    flags = args.flags.split()
    if any(not flag.startswith("-D") for flag in flags):
        ap.error("--flags takes -Dname=value items, not %r" % args.flags)
    with serving("pypy", Setup(python, flags, env), args.topology, base) as target:
        ports, pids = load_targets(target)
        if args.before:
            before = run_row(args.before, ports, pids, 8, 1)
            print("before: %s %.0f ops/s" % (args.before, before["ops_per_s"]))
        warmup = 2.0
        with row_in_background(args.row, ports, pids, args.seconds + 1, warmup, warmup + 0.5) as result:
            open(os.path.join(hook_dir, "start"), "w").close()
            time.sleep(args.seconds)
            open(os.path.join(hook_dir, "stop"), "w").close()
        deadline = time.time() + 10
        while len(glob.glob(os.path.join(hook_dir, "*.json"))) < len(pids) and time.time() < deadline:
            time.sleep(0.1)
    print("%s %s on %s: %.0f ops/s, p50 %.0f us, p99 %.0f us; nursery %s%s" % (
        args.topology, args.row, python, result["ops_per_s"], result.get("p50_us") or 0,
        result.get("p99_us") or 0, args.nursery, "; " + " ".join(flags) if flags else ""))
    for path in sorted(glob.glob(os.path.join(hook_dir, "*.json"))):
        with open(path) as f:
            seen = json.load(f)
        print("\nserver pid %s:" % os.path.basename(path)[:-5])
        for line in report(seen, args.seconds, result["ops_per_s"] * args.seconds, args.top):
            print("  " + line)


if __name__ == "__main__":
    main()
