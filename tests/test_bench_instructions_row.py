"""bench/instructions_row.py on a short row: it counts the instructions of a CPython server under
callgrind per op, for each checkout it is given (a smoke test of the tool, not a speed assertion)."""

import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")


def test_counts_instructions_per_op_for_each_checkout(tmp_path):
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "bench", "instructions_row.py"), "--row", "get-w1",
         "--seconds", "2", "--warm", "1", "--server-repo", REPO, "--server-repo", REPO],
        capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = re.findall(r"standalone get-w1: (\d+) ops in 2 s under callgrind \(\d+/s\), (\d+) instructions per op",
                      proc.stdout)
    assert len(runs) == 2, proc.stdout
    for ops, per_op in runs:
        # a round trip runs the selector, the processors and the reply: tens of thousands at least
        assert int(ops) > 0 and int(per_op) > 10000, proc.stdout
    medians = re.findall(r"^median .*: (\d+) instructions per op \(([+-]\d+), ([+-][\d.]+)% against ",
                         proc.stdout, re.M)
    assert len(medians) == 2 and medians[0][1] == "+0", proc.stdout
    # the same code twice: the counts agree where wall-clock rates would not
    assert abs(float(medians[1][2])) < 5, proc.stdout
