"""bench/pypy_gc_row.py on one short row: it counts and times a PyPy server's collections over the
row, names the threads it sampled and counts its JIT's work (a smoke test of the tool, not a speed
assertion)."""

import os
import re
import subprocess
import sys

import pytest

from tests.support.servers import pypy_python

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_counts_what_a_pypy_server_allocates_per_op_and_its_pauses(tmp_path):
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    # A 1 MB nursery: a round trip allocates at least its request and reply, so 1.5 s of them fill it.
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "bench", "pypy_gc_row.py"), "--row", "get-w1", "--seconds", "1.5",
         "--nursery", "1MB", "--top", "5"],
        capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "standalone get-w1 on " in proc.stdout and "nursery 1MB" in proc.stdout, proc.stdout
    counted = re.findall(r"(\d+) minor collections in 1\.5 s: ([\d.]+) KB allocated per op; "
                         r"paused (\d+) ms in all, longest ([\d.]+) ms", proc.stdout)
    assert len(counted) == 1, proc.stdout  # one server process
    minors, per_op, longest = int(counted[0][0]), float(counted[0][1]), float(counted[0][3])
    assert minors > 0 and per_op > 0 and longest > 0, proc.stdout
    sampled = re.findall(r"^\s+[\d.]+%  (\S.*?) \| ", proc.stdout, re.M)
    assert sampled and any("SelectorThread" in t or "SyncThread" in t for t in sampled), proc.stdout
    jit = re.findall(r"JIT: \d+ ms tracing, \d+ ms in the backend; \d+ loops and \d+ bridges compiled", proc.stdout)
    assert len(jit) == 1, proc.stdout


def test_counts_only_the_jit_without_gc_hooks_and_passes_flags(tmp_path):
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "bench", "pypy_gc_row.py"), "--row", "get-w1", "--seconds", "1",
         "--no-gc-hooks", "--flags=-Dzookeeper.pypy.jit=off"],
        capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "; -Dzookeeper.pypy.jit=off" in proc.stdout, proc.stdout
    # The JIT off: nothing traced or compiled in the window; and no GC lines without the hooks.
    assert "JIT: 0 ms tracing, 0 ms in the backend; 0 loops and 0 bridges compiled; traces aborted: none" in proc.stdout
    assert "minor collections" not in proc.stdout, proc.stdout
