"""A PyPy server sets its JIT to compile sooner (common/jit_tuning.py), and -Dzookeeper.pypy.jit
replaces the parameters, as a JVM flag would; a value PyPy refuses stops the server (exit 2).
The functions known too long to inline are marked so before PyPy traces them (NOT_INLINED).
Its GC nursery is the one bin/zkEnv.sh sets (PYPY_GC_NURSERY), or the operator's."""

import importlib
import os
import re
import subprocess
import sys

import pytest

from tests.support.servers import PythonServer, pypy_python, serve_a_round_trip
from zookeeper_py.common.jit_tuning import NOT_INLINED, SERVER_JIT_PARAMS, code_of


@pytest.fixture
def pypy_server(tmp_path):
    python = pypy_python()
    if python is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")

    def make(flags=()):
        server = PythonServer(str(tmp_path), flags=list(flags))
        server.python = python
        return server
    return make


def serve_and_read_log(server):
    serve_a_round_trip(server, "/jit")
    return server.all_output()


def test_pypy_server_runs_with_the_servers_jit_parameters(pypy_server):
    log = serve_and_read_log(pypy_server())
    assert "PyPy JIT parameters: %s" % SERVER_JIT_PARAMS in log


def test_pypy_server_runs_with_the_nursery_zk_env_sets(pypy_server, monkeypatch):
    monkeypatch.delenv("PYPY_GC_NURSERY", raising=False)
    log = serve_and_read_log(pypy_server())
    assert "PyPy GC nursery: 32.0MB (PYPY_GC_NURSERY=32MB)" in log


def test_an_operators_nursery_is_taken_and_logged(pypy_server, monkeypatch):
    monkeypatch.setenv("PYPY_GC_NURSERY", "8MB")
    log = serve_and_read_log(pypy_server())
    assert "PyPy GC nursery: 8.0MB (PYPY_GC_NURSERY=8MB)" in log


def test_the_property_replaces_them(pypy_server):
    log = serve_and_read_log(pypy_server(["-Dzookeeper.pypy.jit=default"]))
    assert "PyPy JIT parameters: default" in log
    assert SERVER_JIT_PARAMS not in log


@pytest.mark.parametrize("params", ["threshold=soon", "trace_limit=1000000"])
def test_parameters_pypy_refuses_stop_the_server_as_a_bad_config_line(pypy_server, params):
    # PyPy raises ValueError for the first and SystemError for the second (over its maximum).
    server = pypy_server(["-Dzookeeper.pypy.jit=" + params])
    code, output = server.run_to_exit(timeout=60)
    assert code == 2, output
    assert "Invalid config, exiting abnormally" in output
    assert "zookeeper.pypy.jit=" + params in output


def test_cpython_server_says_the_property_is_ignored(tmp_path):
    server = PythonServer(str(tmp_path), flags=["-Dzookeeper.pypy.jit=default"])
    if "pypy" in server.python:
        pytest.skip("our servers run on PyPy in this run (ZK_TEST_PYTHON)")
    log = serve_and_read_log(server)
    assert "zookeeper.pypy.jit is ignored: this server runs on cpython" in log


def _too_long_functions(tmp_path, *flags):
    """The functions ("name (file.py:line)") a PyPy server's JIT found a trace too long through,
    under a pipelined get row."""
    tmp_path.mkdir()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, os.path.join(repo, "bench", "pypy_gc_row.py"), "--no-gc-hooks",
                           "--row", "get", "--seconds", "1.5", *flags],
                          capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = re.findall(r"functions a trace was too long through, since the server started: (.*)", proc.stdout)
    assert len(found) == 1, proc.stdout
    return set(re.findall(r"\w+ \(\w+\.py:\d+\)", found[0]))


def _listed():
    listed = set()
    for qualified in NOT_INLINED:
        importlib.import_module(qualified.partition(":")[0])
        code = code_of(qualified)
        listed.add("%s (%s:%d)" % (code.co_name, os.path.basename(code.co_filename), code.co_firstlineno))
    return listed


def test_pypy_never_throws_a_trace_away_through_a_function_it_is_told_not_to_inline(tmp_path):
    # With PyPy's own settings (no marks) the get row's loops inline FinalRequestProcessor and the
    # connection's I/O until a trace is too long; marked up front, none of them is found so.
    if pypy_python() is None:
        pytest.skip("PyPy is not installed (Debian package pypy3)")
    listed = _listed()
    assert _too_long_functions(tmp_path / "default", "--flags=-Dzookeeper.pypy.jit=default") & listed
    assert not _too_long_functions(tmp_path / "ours") & listed
