#!/usr/bin/env python3
"""Instructions per op of our CPython server in one of bench_matrix.py's rows, counted by callgrind.

    .tox/py/bin/python bench/instructions_row.py [--row set] [--seconds 20] [--rounds 1]
        [--server-repo DIR ...] [--python PATH]

On a shared 2-core machine a row's ops/s and CPU per op move by 10% from run to run, more than
most changes to one request's path save. The instructions the server executes per op do not:
the standalone server runs under `valgrind --tool=callgrind`, the row warms it for a few seconds,
its counters are zeroed, the row runs `--seconds` more, and the instructions counted then are
divided by the ops the row completed. Two runs of one commit over 20 s agree within 0.3%
(pipelined `set`: 184.3k and 184.7k instructions per op); shorter windows wander more.

Under callgrind the server runs some 50x slower (~800 sets/s), so fewer requests share each
selector round and each fsync than at full speed: the count includes more of that per-round
work than a saturated server spends per op. It is for comparing two versions of the per-request
code, not a CPU figure to set beside Java's.

Each --server-repo DIR (a worktree of another commit; repeatable) is one variant, the first
being the baseline; without it, this checkout. With --rounds N the variants take turns N times
and each one's median is printed with its change from the baseline's.

Needs valgrind (Debian package valgrind) and CPython; the server runs on --python (default: the
interpreter running this script, which needs the server's dependencies). Not a test.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.bench_matrix import LOAD_ROWS, Setup, load_targets, run_row, serving  # noqa: E402


def count_row(repo, python, row, seconds, warm, workdir):
    """(ops, instructions) of one run of `row` against a server from `repo` under callgrind."""
    out_dir = tempfile.mkdtemp(dir=workdir, prefix="callgrind-")
    wrapper = os.path.join(out_dir, "python")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/callgrind.%%p "%s" "$@"\n'
                % (out_dir, python))
    os.chmod(wrapper, 0o755)
    setup = Setup(wrapper, env={"PYTHONPATH": repo})
    with serving("python", setup, "standalone", out_dir) as target:
        ports, pids = load_targets(target)
        pid = pids[0]  # valgrind's process is the server's: the wrapper execs it
        run_row(row, ports, pids, warm, 0)
        subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
        result = run_row(row, ports, pids, seconds, 0)
        subprocess.run(["callgrind_control", "-d", "row", str(pid)], check=True, capture_output=True)
        instructions = _dumped_total(os.path.join(out_dir, "callgrind.%d.1" % pid))
    if result["errors"]:
        raise SystemExit("%d errors in the row: %s" % (result["errors"], result))
    return result["ops_per_s"] * seconds, instructions


def _dumped_total(path, timeout=60):
    """The `totals:` of a callgrind dump, waiting for the file to be written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    if line.startswith("totals:"):
                        return int(line.split()[1])
        time.sleep(0.2)
    raise SystemExit("callgrind wrote no totals to %s in %d s" % (path, timeout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--row", default="set", choices=[r for r, spec in LOAD_ROWS.items() if spec[0] == "load"])
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds counted")
    ap.add_argument("--warm", type=float, default=4.0, help="seconds of the row before counting")
    ap.add_argument("--rounds", type=int, default=1, help="turns of every variant; medians are printed")
    ap.add_argument("--server-repo", action="append", default=[], metavar="DIR",
                    help="run the server from this checkout (repeatable: one variant each)")
    ap.add_argument("--python", default=sys.executable, help="the CPython of the server")
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit("%s is not installed (Debian package valgrind)" % tool)
    repos = [os.path.abspath(r) for r in args.server_repo] or [REPO]
    per_op = [[] for _ in repos]  # by variant: one checkout may be given twice
    workdir = tempfile.mkdtemp(prefix="instructions-row-")
    try:
        for _ in range(args.rounds):
            for repo, counts in zip(repos, per_op):
                ops, instructions = count_row(repo, args.python, args.row, args.seconds, args.warm, workdir)
                counts.append(instructions / ops)
                print("%s standalone %s: %d ops in %g s under callgrind (%.0f/s), %.0f instructions per op"
                      % (repo, args.row, ops, args.seconds, ops / args.seconds, instructions / ops), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if len(repos) > 1 or args.rounds > 1:
        base = statistics.median(per_op[0])
        for repo, counts in zip(repos, per_op):
            median = statistics.median(counts)
            print("median %s: %.0f instructions per op (%+.0f, %+.1f%% against %s)"
                  % (repo, median, median - base, 100.0 * (median - base) / base, repos[0]))


if __name__ == "__main__":
    main()
