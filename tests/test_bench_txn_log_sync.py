"""bench/bench_txn_log_sync.py, small: every round makes exactly the proposals the learner lacks."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_small_run_makes_the_proposals_the_learner_lacks():
    out = subprocess.run([sys.executable, os.path.join(REPO, "bench", "bench_txn_log_sync.py"), "--txns", "3000",
                          "--behind", "700", "--size", "100", "--rounds", "2"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.findall(r"^round (\d): [\d.]+ s, (\d+) proposals$", out.stdout, re.M) == [("0", "700"), ("1", "700")]
    assert re.search(r"median [\d.]+ s to walk 3000 txns of 100 bytes for a learner 700 behind", out.stdout)
