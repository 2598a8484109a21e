#!/usr/bin/env python3
"""Where one of bench_matrix.py's load rows spends the leader's time: Linux `perf` on our server.

    .tox/py/bin/python bench/perf_row.py [--python PATH] [--row set] [--topology 3node] [--seconds 2]

Starts our server (a 3-member ensemble by default) on the interpreter given (default: the one
running this script), runs the row's load as bench_matrix.py does, and records the leader (or
the standalone server) with `perf record --call-graph dwarf` for a few seconds of that load.
Prints the row's ops/s and the top of `perf report`: each hot function with the Python
functions (`py::Class.method:file`) that led to it.

Python frames show on CPython 3.12 and later, which write a perf map when PYTHONPERFSUPPORT=1
(set here); older CPython and PyPy show the C functions only (PyPy: use vmprof). Needs the
`perf` binary (Debian package linux-perf) and permission to record (root, or
kernel.perf_event_paranoid <= 1). Not a test.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.bench_matrix import LOAD_ROWS, Setup, load_targets, row_in_background, serving, system_property_flags  # noqa: E402
from tests.support.ensemble import Ensemble  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable, help="the interpreter of our server")
    ap.add_argument("--row", default="set", choices=[r for r, spec in LOAD_ROWS.items() if spec[0] == "load"])
    ap.add_argument("--topology", default="3node", choices=("standalone", "3node"))
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds recorded (dwarf call graphs are large)")
    ap.add_argument("--flags", default="", help="-Dname=value system properties for our server")
    ap.add_argument("--top", type=int, default=60, help="lines of perf report to print")
    args = ap.parse_args()
    if not shutil.which("perf"):
        ap.error("no perf binary (Debian package linux-perf)")
    flags = system_property_flags(ap, "--flags", args.flags)
    base = tempfile.mkdtemp(prefix="zk-perf-")
    data = os.path.join(base, "perf.data")
    setup = Setup(args.python, flags, {"PYTHONPERFSUPPORT": "1"})
    with serving("python", setup, args.topology, base) as target:
        ports, pids = load_targets(target)
        recorded = (target.servers[target.wait_for_quorum()].proc.pid if isinstance(target, Ensemble)
                    else target.proc.pid)
        warmup = 2.0
        # recorded in the measured window, after the row's own warm-up
        with row_in_background(args.row, ports, pids, args.seconds + 4, warmup, warmup + 2) as result:
            record = subprocess.run(["perf", "record", "-F", "999", "--call-graph", "dwarf,16384", "-o", data, "-p",
                                     str(recorded), "--", "sleep", str(args.seconds)], capture_output=True, text=True)
    if record.returncode != 0:
        sys.exit("perf record failed (exit %d; root, or kernel.perf_event_paranoid <= 1, is needed):\n%s" % (
            record.returncode, record.stderr.strip()))
    print("%s %s on %s: %.0f ops/s, p50 %.0f us, p99 %.0f us; perf of pid %d (%s)" % (
        args.topology, args.row, args.python, result["ops_per_s"], result["p50_us"], result["p99_us"], recorded,
        "the leader" if args.topology == "3node" else "the server"))
    report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym", "-G", "--stdio"],
                            capture_output=True, text=True).stdout
    lines = [line for line in report.splitlines()
             if line.strip() and not line.startswith("#") and ("%" in line or "py::" in line)]
    print("\n".join(lines[:args.top]))
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
