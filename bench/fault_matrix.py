#!/usr/bin/env python3
"""The long fault-injection matrix: ensemble sizes x kinds x nemeses, one trial per cell, a markdown table.
It is not a test; tests/faults/test_fault_suite.py is the CI's shorter run of the same trials.

    .tox/py/bin/python bench/fault_matrix.py [--members 3,5] [--kinds python,mixed] [--nemeses all]
                                             [--duration 60] [--clients 4] [--seed 1] [--keep]

Each cell starts a fresh ensemble on loopback (tickTime 500, initLimit 10, syncLimit 5): `python` is
all zookeeper_py members, `mixed` is zookeeper_py members with Java ZooKeeper 3.8 ones (2+1 of 3,
3+2 of 5; skipped where Java is not installed). `clients` kazoo sessions do compare-and-set on
/r0../r4 and adds to a set for `duration` seconds while the nemesis strikes every ~7 s (3 s quiet,
4 s of fault, heal):

    kill-random, kill-leader   kill -9, restarted at the heal
    pause                      SIGSTOP / SIGCONT of the leader or a random member
    partition                  a minority (1 of 3, 2 of 5) cut from the rest on the peer ports
                               (iptables, root only; the cell says why where it cannot run)
    resets                     connect + RST (SO_LINGER 0) on every client, quorum and election port

then heals, waits until every member serves, and checks: the history is linearizable (per register,
and the set; tests/faults/checker.py), no acknowledged add is missing from any member's final set,
and every member holds the same registers, set and last zxid. Prints one row per cell:
members, kinds, nemesis, faults injected, operations, indeterminate ones, linearizable, lost
acknowledged adds, agree, elapsed; then the problems of the cells that failed. The exit code is 1
when a cell failed. Needs kazoo and pytest (the tox env has both).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.faults.nemesis import NEMESES, PartitionUnavailable, check_partition_support  # noqa: E402
from tests.faults.workload import Verdict, format_table, run_trial  # noqa: E402
from tests.support import java_zk  # noqa: E402


def kinds_for(members, kind):
    if kind == "python":
        return ["python"] * members
    if kind == "mixed":
        java = members // 2
        return ["python"] * (members - java) + ["java"] * java
    raise SystemExit("unknown kind %r (python or mixed)" % kind)


def skipped(kinds, nemesis, reason):
    v = Verdict(kinds, nemesis)
    v.linearizable = v.agree = "skipped"
    v.problems.append("skipped: " + reason)
    return v


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", default="3,5", help="ensemble sizes, comma-separated (default 3,5)")
    parser.add_argument("--kinds", default="python,mixed", help="python and/or mixed (default both)")
    parser.add_argument("--nemeses", default="all", help="all, or some of: " + ", ".join(NEMESES))
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of workload per cell (default 60)")
    parser.add_argument("--clients", type=int, default=4, help="client sessions (default 4)")
    parser.add_argument("--seed", default="1", help="seed of the nemeses' and clients' choices")
    parser.add_argument("--keep", action="store_true", help="keep every cell's directory (failed ones are kept)")
    args = parser.parse_args(argv)

    sizes = [int(m) for m in args.members.split(",")]
    kinds = args.kinds.split(",")
    nemeses = list(NEMESES) if args.nemeses == "all" else args.nemeses.split(",")
    for n in nemeses:
        if n not in NEMESES:
            raise SystemExit("unknown nemesis %r (one of %s)" % (n, ", ".join(NEMESES)))
    partition_reason = check_partition_support() if "partition" in nemeses else None
    java_reason = java_zk.missing_reason() if "mixed" in kinds else None

    verdicts = []
    started = time.monotonic()
    for members in sizes:
        for kind in kinds:
            for nemesis in nemeses:
                cell_kinds = kinds_for(members, kind)
                label = "%d %s %s" % (members, kind, nemesis)
                if kind == "mixed" and java_reason:
                    verdicts.append(skipped(cell_kinds, nemesis, java_reason))
                    continue
                if nemesis == "partition" and partition_reason:
                    verdicts.append(skipped(cell_kinds, nemesis, partition_reason))
                    continue
                base = tempfile.mkdtemp(prefix="fault-matrix-%d-%s-%s-" % (members, kind, nemesis))
                print("-- %s (%s)" % (label, base), file=sys.stderr, flush=True)
                try:
                    v = run_trial(base, cell_kinds, nemesis, duration=args.duration, clients=args.clients,
                                  seed="%s-%s" % (args.seed, label))
                except PartitionUnavailable as e:
                    v = skipped(cell_kinds, nemesis, str(e))
                except Exception as e:
                    v = Verdict(cell_kinds, nemesis)
                    v.problems.append("trial failed: %r (directory %s)" % (e, base))
                verdicts.append(v)
                print("   " + v.report().splitlines()[0], file=sys.stderr, flush=True)
                if v.passed and not args.keep:
                    shutil.rmtree(base, ignore_errors=True)

    print(format_table(verdicts))
    print()
    print("%d cells in %.0fs; duration %.0fs per cell, %d clients, seed %s" % (
        len(verdicts), time.monotonic() - started, args.duration, args.clients, args.seed))
    failed = [v for v in verdicts if not v.passed and v.linearizable != "skipped"]
    for v in verdicts:
        if not v.passed:
            print()
            print(v.report())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
