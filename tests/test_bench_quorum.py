"""bench/bench_quorum.py's reading of a learner's log: the SNAP phases it reports are those of
the last SNAP in the log, not of an earlier one (a member restarted in the re-election rounds
may have synced by SNAP before its data directory was wiped)."""

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_bench_quorum():
    spec = importlib.util.spec_from_file_location("bench_quorum", os.path.join(REPO, "bench", "bench_quorum.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snap_lines(start_s, load_s, write_s):
    def at(seconds, text):
        minutes, seconds = divmod(seconds, 60)
        stamp = ("2026-12-04 15:%02d:%06.3f" % (minutes, seconds)).replace(".", ",")
        return stamp + " [myid:1] - INFO  " + text
    return [
        at(start_s, "Getting a snapshot from leader 0x100000005"),
        at(start_s + load_s, "Snapshotting: 0x100000005 to /data/version-2/snapshot.100000005"),
        at(start_s + load_s + write_s, "Learner received UPTODATE message"),
    ]


def test_snap_phases_of_the_last_snap_in_the_log():
    bench_quorum = load_bench_quorum()
    early = snap_lines(1, 0.0, 0.0)  # a small SNAP while the tree was nearly empty
    late = snap_lines(30, 2.5, 1.25)
    log = "\n".join(early + ["2026-12-04 15:00:10,000 [myid:1] - INFO  following"] + late)
    load_s, write_s = bench_quorum.snap_phases(log)
    assert abs(load_s - 2.5) < 0.002 and abs(write_s - 1.25) < 0.002


def test_snap_phases_without_a_snap():
    bench_quorum = load_bench_quorum()
    assert bench_quorum.snap_phases("2026-12-04 15:00:10,000 [myid:1] - INFO  following\n") is None
