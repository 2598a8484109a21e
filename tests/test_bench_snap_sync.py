"""bench/bench_snap_sync.py, small: every trial's follower is synced by a SNAP and the table
has a row of figures for our server (the bench would print them for a broken sync too)."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_small_run_syncs_every_trial_by_snap():
    out = subprocess.run([sys.executable, os.path.join(REPO, "bench", "bench_snap_sync.py"), "--znodes", "3000",
                          "--trials", "2", "--kinds", "python"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    trials = re.findall(r"python trial (\d): synced in ([\d.]+) s, load ([\d.]+) s", out.stderr)
    assert [t[0] for t in trials] == ["0", "1"], out.stderr  # a load figure: the log shows a SNAP
    # 3,000 znodes load in under 5 ms, printed as 0.00
    assert all(0 <= float(load) <= float(total) for _, total, load in trials), out.stderr
    assert re.search(r"^ours \(CPython\)\s+[\d.]+\s+[\d.]+ / [\d.]+\s+[\d.]+", out.stdout, re.M), out.stdout
    started = re.search(r"python: 3 members from the snapshot to all serving in ([\d.]+) s", out.stderr)
    assert started and float(started.group(1)) > 0, out.stderr
