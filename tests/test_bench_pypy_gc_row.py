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


def _run_tool(tmp_path, *args):
    return subprocess.run([sys.executable, os.path.join(REPO, "bench", "pypy_gc_row.py"), *args],
                          capture_output=True, text=True, timeout=180, cwd=str(tmp_path))


def test_counts_what_a_pypy_server_allocates_per_op_and_its_pauses(tmp_path):
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    # A 1 MB nursery: a round trip allocates at least its request and reply, so 1.5 s of them fill it.
    proc = _run_tool(tmp_path, "--row", "get-w1", "--seconds", "1.5", "--nursery", "1MB", "--top", "5")
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


def test_counts_only_the_jit_without_gc_hooks(tmp_path):
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    proc = _run_tool(tmp_path, "--row", "get-w1", "--seconds", "1", "--no-gc-hooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"JIT: \d+ ms tracing, \d+ ms in the backend; \d+ loops and \d+ bridges compiled; "
                     r"traces aborted: ", proc.stdout), proc.stdout
    assert "minor collections" not in proc.stdout, proc.stdout


def test_flags_reach_the_server(tmp_path):
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    # A value the server refuses stops it at start, and the tool with it, naming the value.
    proc = _run_tool(tmp_path, "--row", "get-w1", "--seconds", "1", "--flags=-Dzookeeper.pypy.jit=threshold=soon")
    assert proc.returncode != 0, proc.stdout
    assert "zookeeper.pypy.jit=threshold=soon: not PyPy JIT parameters" in proc.stdout + proc.stderr
