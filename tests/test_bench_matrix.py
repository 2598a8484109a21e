"""bench/bench_matrix.py end to end on one small row: the JSON line it writes holds the machine,
the options and the measurements (a smoke test of the judge, not a speed assertion)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support import java_zk
from tests.support.servers import FREE_THREADED_PYTHONS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def matrix_command(out, servers, rows, duration, warmup, *more):
    """bench_matrix.py's command line for `rows` of standalone `servers`, its JSON lines to `out`."""
    return [sys.executable, os.path.join(REPO, "bench", "bench_matrix.py"), "--servers", servers,
            "--topologies", "standalone", "--rows", rows, "--duration", duration, "--warmup", warmup,
            "--out", str(out), *more]


def run_matrix(tmp_path, server, rows, duration, warmup, *more):
    """Run bench_matrix.py to success (Java skipped where it cannot run): (its process, its JSON lines)."""
    if server == "java" and java_zk.missing_reason():
        pytest.skip(java_zk.missing_reason())
    out = tmp_path / "results.jsonl"
    proc = subprocess.run(matrix_command(out, server, rows, duration, warmup, *more), capture_output=True, text=True,
                          timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, [json.loads(x) for x in out.read_text().splitlines()]


@pytest.mark.parametrize("server", ["python", "java"])
def test_one_row_one_json_line(server, tmp_path):
    proc, lines = run_matrix(tmp_path, server, "get-w1", "1", "0.3")
    assert len(lines) == 1, lines
    line = lines[0]
    assert (line["server"], line["topology"], line["row"]) == (server, "standalone", "get-w1")
    assert line["ops_per_s"] > 0 and line["errors"] == 0
    assert 0 < line["p50_us"] <= line["p99_us"]
    assert line["params"]["connections"] == 1 and line["params"]["in_flight"] == 1
    assert line["options"]["duration_s"] == 1
    for key in ("cpu_model", "cores", "kernel", "python", "java", "commit", "pypy_gc_nursery"):
        assert key in line["machine"], key
    assert len(line["commit"]) == 40
    assert "| get-w1 |" in proc.stdout  # the table


def test_a_rows_window_shows_a_process_burning_cpu_beside_it(tmp_path):
    """Each load row records what else the machine did in its measured window: a process the judge
    did not start, spinning on a CPU meanwhile, is unattributed CPU there, and the table prints it."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        proc, (line,) = run_matrix(tmp_path, "python", "get-w1", "1.5", "0.3")
    finally:
        burner.kill()
        burner.wait()
    window = line["window"]
    assert set(window) == {"machine_busy_s", "steal_s", "other_servers_cpu_s", "unattributed_cpu_s",
                           "disk_written_mb"}, window
    # the burner shares 2 CPUs with the server and the load: a third of one at least
    assert window["unattributed_cpu_s"] > 0.4, window
    assert window["machine_busy_s"] > window["unattributed_cpu_s"] and window["other_servers_cpu_s"] == 0, window
    assert "unattributed %.2f" % window["unattributed_cpu_s"] in proc.stderr


def test_rounds_keep_each_run_and_their_median(tmp_path):
    """--rounds 2: one JSON line per row, its measures the medians of the two runs, both runs kept."""
    _, lines = run_matrix(tmp_path, "python", "get-w1,set-w1", "0.5", "0.2", "--rounds", "2")
    assert [line["row"] for line in lines] == ["get-w1", "set-w1"]
    for line in lines:
        rounds = line["rounds"]
        assert len(rounds) == 2 and all(r["ops_per_s"] > 0 for r in rounds), rounds
        assert line["ops_per_s"] == pytest.approx((rounds[0]["ops_per_s"] + rounds[1]["ops_per_s"]) / 2)
        assert line["p99_us"] == pytest.approx((rounds[0]["p99_us"] + rounds[1]["p99_us"]) / 2)
        assert line["options"]["rounds"] == 2 and line["errors"] == 0
        assert all(r["window"]["machine_busy_s"] > 0 for r in rounds) and "window" not in line


def test_our_flags_reach_our_server_and_the_json(tmp_path):
    """--our-flags go to our server as system properties and into the JSON options; a flag that
    is not -Dname=value is refused before anything starts."""
    out = tmp_path / "results.jsonl"
    cmd = matrix_command(out, "python", "get-w1", "0.5", "0.2")
    flags = "-Dzookeeper.commitProcessor.numWorkerThreads=0 -Dzookeeper.nio.numWorkerThreads=1"
    proc = subprocess.run(cmd + ["--our-flags=" + flags], capture_output=True, text=True, timeout=180,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line["options"]["our_flags"] == flags.split()
    assert line["errors"] == 0
    assert "our servers' flags " + flags in proc.stdout
    # A server that cannot start with the flag it was given: it did get it.
    proc = subprocess.run(cmd + ["--our-flags=-Dzookeeper.serverCnxnFactory=no.such.Factory"],
                          capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 1
    assert "FAILED python standalone" in proc.stderr and "no.such.Factory" in proc.stderr, proc.stderr
    proc = subprocess.run(cmd + ["--our-flags=-Xmx1g"], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path))
    assert proc.returncode == 2 and "not a -Dname=value system property: -Xmx1g" in proc.stderr


def test_b_variant_takes_its_turn_with_its_own_flags_and_environment(tmp_path):
    """python-b is our server again with --b-flags and --b-env instead of --our-flags, measured in the
    same run (an A/B inside one run); each variant gets only its own settings."""
    out = tmp_path / "results.jsonl"
    cmd = matrix_command(out, "python,python-b", "get-w1", "0.5", "0.2")
    b_flags = "-Dzookeeper.commitProcessor.numWorkerThreads=0"
    proc = subprocess.run(cmd + ["--b-flags=" + b_flags, "--b-env", "ZK_BENCH_VARIANT=b"], capture_output=True,
                          text=True, timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(line["server"] for line in lines) == ["python", "python-b"]
    for line in lines:
        assert line["errors"] == 0 and line["ops_per_s"] > 0
        assert line["options"]["b_flags"] == [b_flags] and line["options"]["b_env"] == {"ZK_BENCH_VARIANT": "b"}
    assert "the -b servers: %s ZK_BENCH_VARIANT=b" % b_flags in proc.stdout

    # The environment and the flags reach python-b only: with a PYTHONHOME where Python's library is
    # not, or a factory that does not exist, python-b cannot start and python still runs its row.
    for bad in (["--b-env", "PYTHONHOME=" + str(tmp_path / "nothing")],
                ["--b-flags=-Dzookeeper.serverCnxnFactory=x.Y"]):
        out.unlink()
        proc = subprocess.run(cmd + bad, capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "FAILED python-b standalone" in proc.stderr and "FAILED python standalone" not in proc.stderr
        assert [json.loads(x)["server"] for x in out.read_text().splitlines()] == ["python"]

    proc = subprocess.run(cmd + ["--b-env", "NOVALUE"], capture_output=True, text=True, timeout=60,
                          cwd=str(tmp_path))
    assert proc.returncode == 2 and "--b-env: not NAME=VALUE: NOVALUE" in proc.stderr


def test_free_threaded_kind_runs_the_interpreter_given_or_is_left_out_saying_why(tmp_path):
    """python-ft and python-ft-b run our server on --ft-python's interpreter (here this CPython, standing
    in for a free-threaded one, given by a path relative to the directory the bench runs in, not the
    server's), and the table names that interpreter with the state of its GIL; with no free-threaded
    CPython anywhere, the kinds are left out with the reason."""
    out = tmp_path / "results.jsonl"
    cmd = matrix_command(out, "python-ft,python-ft-b", "get-w1", "0.5", "0.2")
    relative = os.path.relpath(sys.executable, str(tmp_path))
    proc = subprocess.run(cmd + ["--ft-python", relative], capture_output=True, text=True, timeout=180,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(line["server"] for line in lines) == ["python-ft", "python-ft-b"]
    assert all(line["errors"] == 0 and line["ops_per_s"] > 0 for line in lines), lines
    gil = "on" if getattr(sys, "_is_gil_enabled", lambda: True)() else "off"
    assert "python-ft: %s" % sys.version.split()[0] in proc.stdout and "(GIL %s)" % gil in proc.stdout, proc.stdout

    path = os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"])
    if any(shutil.which(p, path=path) for p in FREE_THREADED_PYTHONS):
        pytest.skip("a free-threaded CPython is installed here: nothing is left out")
    env = dict(os.environ, PATH=path)
    env.pop("ZK_FT_PYTHON", None)
    out.unlink()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=str(tmp_path), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "left out: python-ft: no free-threaded CPython" in proc.stderr, proc.stderr
    assert "no server to run: every one asked for was left out" in proc.stderr, proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("server", ["python", "java"])
def test_create_row_adds_a_memory_line(server, tmp_path):
    """Where the create row runs, a `memory` line follows: the RSS per znode it added (and Java's
    live heap per znode, where the JDK's jcmd is there), and the table prints the memory goal."""
    proc, lines = run_matrix(tmp_path, server, "create", "1", "0.3")
    lines = {line["row"]: line for line in lines}
    assert set(lines) == {"create", "memory"}, lines
    memory = lines["memory"]
    # every create of the row (warm-up included) is a znode the memory line counts
    assert memory["znodes_added"] >= lines["create"]["ops_per_s"] * 1
    assert 50 < memory["rss_per_znode"] < 100000, memory
    jcmd = os.path.join(os.path.dirname(os.path.realpath(java_zk.java_executable() or "/")), "jcmd")
    if server == "java" and os.path.exists(jcmd):
        assert 100 < memory["heap_per_znode"] < 10000, memory
        assert "goal: our RSS per znode <= half of Java's live heap" not in proc.stdout  # no server of ours ran
        assert "Java's live heap %.0f B" % memory["heap_per_znode"] in proc.stdout
    else:
        assert "heap_per_znode" not in memory
        assert "RSS %s %.0f B" % (server, memory["rss_per_znode"]) in proc.stdout
