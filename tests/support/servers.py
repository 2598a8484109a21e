"""Server processes for tests: ours (PythonServer) and Java ZooKeeper 3.8 (JavaServer).

Both take the same arguments and expose the same methods, so one test can run against
either (see the `zk_server` fixture in tests/conftest.py). Each instance owns a
directory: zoo.cfg, data/, and the server's log.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

from tests.support import java_zk
from tests.support.net import four_letter_word, free_port, wait_for_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ServerProcess:
    kind = None

    def __init__(self, base_dir, client_port=None, extra_cfg=None, flags=(), myid=None, data_dir=None):
        self.base_dir = base_dir
        self.data_dir = data_dir or os.path.join(base_dir, "data")
        self.client_port = client_port or free_port()
        self.cfg_path = os.path.join(base_dir, "zoo.cfg")
        self.log_path = os.path.join(base_dir, "zookeeper.log")
        self.out_path = os.path.join(base_dir, "zookeeper.out")
        self.flags = list(flags)  # -Dname=value system properties
        self.proc = None
        self._out = None
        os.makedirs(self.data_dir, exist_ok=True)
        if myid is not None:
            with open(os.path.join(self.data_dir, "myid"), "w") as f:
                f.write(str(myid))
        self.cfg = {
            "tickTime": "2000",
            "initLimit": "10",
            "syncLimit": "5",
            "dataDir": self.data_dir,
            "clientPort": str(self.client_port),
            "4lw.commands.whitelist": "*",
            "admin.enableServer": "false",
        }
        self.cfg.update(extra_cfg or {})
        self.write_cfg()

    def write_cfg(self):
        with open(self.cfg_path, "w") as f:
            for k, v in self.cfg.items():
                f.write("%s=%s\n" % (k, v))

    @property
    def address(self):
        return "127.0.0.1:%d" % self.client_port

    def command(self):
        raise NotImplementedError

    def environment(self):
        """The server's environment: None inherits this process's."""
        return None

    def start(self, wait=True, timeout=30):
        self._out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._out, stderr=subprocess.STDOUT, cwd=self.base_dir,
                                     env=self.environment())
        if wait:
            self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout=30):
        """Wait until `srvr` shows a Mode line (the server answers requests) and a secureClientPort, if
        any, accepts connections; return the srvr text."""
        deadline = time.time() + timeout
        last = ""
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    "%s server exited with %s:\n%s" % (self.kind, self.proc.returncode, self.output_tail())
                )
            try:
                last = four_letter_word("127.0.0.1", self.client_port, "srvr", timeout=2)
                if "Mode:" in last:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise TimeoutError("%s server on port %d not serving after %ss: %r"
                               % (self.kind, self.client_port, timeout, last))
        if "secureClientPort" in self.cfg:
            # Java binds its secure port after the plain one already serves (ZooKeeperServerMain
            # starts the secure factory second), so a serving plain port says nothing about it.
            wait_for_port("127.0.0.1", int(self.cfg["secureClientPort"]), max(1, deadline - time.time()))
        return last

    def srvr(self):
        return four_letter_word("127.0.0.1", self.client_port, "srvr")

    def stop(self, kill=False):
        """SIGTERM (or SIGKILL) and wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        code = self.proc.returncode
        self.proc = None
        if self._out:
            self._out.close()
            self._out = None
        return code

    def run_to_exit(self, timeout=60):
        """Start a server expected to refuse its setup; wait for it to exit, stop it either way.
        (exit code, everything it printed and logged)."""
        self.start(wait=False)
        try:
            code = self.proc.wait(timeout)
        finally:
            self.stop()
        return code, self.all_output()

    def restart(self, timeout=30):
        self.stop()
        return self.start(timeout=timeout)

    def output_tail(self, n=4000):
        text = ""
        for path in (self.out_path, self.log_path):
            try:
                with open(path, errors="replace") as f:
                    text += f.read()[-n:]
            except OSError:
                pass
        return text

    def all_output(self):
        """Everything the server printed and logged (its stdout file, then its log file)."""
        text = ""
        for path in (self.out_path, self.log_path):
            try:
                with open(path, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class PythonServer(ServerProcess):
    """zookeeper_py's server, started as `python -m zookeeper_py.server.quorum.quorum_peer_main zoo.cfg`."""

    kind = "python"
    python = os.environ.get("ZK_TEST_PYTHON", sys.executable)
    extra_env = {}  # added to the environment the server inherits (bench_matrix's --b-env)

    def command(self):
        # The server runs in its base directory: a relative interpreter path (.tox/py/bin/python,
        # given to --python or ZK_TEST_PYTHON) is this process's, made absolute here.
        python = os.path.abspath(self.python) if os.sep in self.python else self.python
        return [
            python, "-m", "zookeeper_py.server.quorum.quorum_peer_main",
            "-Dzookeeper.log.file=" + self.log_path,
            *self.flags,
            self.cfg_path,
        ]

    def environment(self):
        # As bin/zkServer.sh runs it: zkEnv.sh's PYPY_GC_NURSERY unless this process has one.
        env = dict(os.environ)
        env.setdefault("PYPY_GC_NURSERY", zk_env("PYPY_GC_NURSERY"))
        env.update(self.extra_env)
        return env

    def start(self, wait=True, timeout=30):
        os.environ.setdefault("PYTHONPATH", REPO)
        return super().start(wait, timeout)


class JavaServer(ServerProcess):
    """Java ZooKeeper 3.8 (Debian package) started with QuorumPeerMain on the same zoo.cfg keys.

    TLS: give `extra_cfg` secureClientPort and the ssl.* keys (see java_zk's TLS notes);
    serverCnxnFactory=NettyServerCnxnFactory is added when absent, and the class path has Netty."""

    kind = "java"

    def __init__(self, *args, **kwargs):
        java_zk.require_java_zookeeper()
        super().__init__(*args, **kwargs)
        if "secureClientPort" in self.cfg:
            # Java serves a secure port only with Netty (its NIO factory refuses one); tests give
            # both kinds the same keys, so the Java-only key is added here unless a test chose.
            java_zk.require_java_tls()
            if "serverCnxnFactory" not in self.cfg:
                self.cfg["serverCnxnFactory"] = java_zk.NETTY_SERVER_CNXN_FACTORY
                self.write_cfg()
        with open(os.path.join(self.base_dir, "log4j.properties"), "w") as f:
            f.write(java_zk.LOG4J_PROPERTIES.format(log=self.log_path))

    def command(self):
        return [
            java_zk.java_executable(),
            "-cp", java_zk.classpath(self.base_dir),
            "-Dlog4j.configuration=file:" + os.path.join(self.base_dir, "log4j.properties"),
            "-Dzookeeper.jmx.log4j.disable=true",
            *self.flags,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            self.cfg_path,
        ]


_zk_env = {}


def zk_env(name):
    """A variable as bin/zkEnv.sh exports it (PYTHON preset, so that it makes no venv)."""
    if name not in _zk_env:
        out = subprocess.run(["bash", "-c", '. bin/zkEnv.sh >/dev/null && printf %%s "${%s}"' % name],
                             cwd=REPO, env=dict(os.environ, PYTHON=sys.executable), capture_output=True,
                             text=True, timeout=60, check=True)
        _zk_env[name] = out.stdout
    return _zk_env[name]


_venv_pythons = {}


def zk_env_python(interpreter):
    """The Python bin/zkServer.sh runs with ZOO_PYTHON=interpreter (the venv zkEnv.sh makes for
    it on first use), or None where that interpreter is not installed or the venv cannot be made."""
    if interpreter not in _venv_pythons:
        path = None
        if shutil.which(interpreter):
            env = dict(os.environ, ZOO_PYTHON=interpreter)
            env.pop("PYTHON", None)
            out = subprocess.run(["bash", "-c", '. bin/zkEnv.sh >/dev/null && echo "$PYTHON"'], env=env,
                                 cwd=REPO, capture_output=True, text=True, timeout=600)
            candidate = out.stdout.strip()
            if out.returncode == 0 and candidate and os.access(candidate, os.X_OK):
                path = candidate
        _venv_pythons[interpreter] = path
    return _venv_pythons[interpreter]


def pypy_python():
    """The PyPy of bin/zkServer.sh (its .venv-pypy3, made on first use), or None where PyPy is not installed."""
    return zk_env_python("pypy3")


FREE_THREADED_PYTHONS = ("python3.14t", "python3.13t")


def free_threaded_python():
    """A free-threaded CPython (3.13t+) to run our server: $ZK_FT_PYTHON (one with the server's
    dependencies installed, e.g. a venv's), else bin/zkEnv.sh's venv for the first of
    FREE_THREADED_PYTHONS on PATH; None where there is none."""
    given = os.environ.get("ZK_FT_PYTHON")
    if given:
        return given
    on_path = [p for p in FREE_THREADED_PYTHONS if shutil.which(p)]
    return zk_env_python(on_path[0]) if on_path else None


def serve_a_round_trip(server, path, while_serving=lambda: None):
    """Start `server`, create and read `path` with kazoo, return while_serving(), stop the server."""
    from kazoo.client import KazooClient  # lazy: only the tests that call this need kazoo

    server.start()
    try:
        zk = KazooClient(hosts="127.0.0.1:%d" % server.client_port, timeout=10)
        zk.start(timeout=15)
        try:
            zk.create(path, b"x")
            assert zk.get(path)[0] == b"x"
            return while_serving()
        finally:
            zk.stop()
            zk.close()
    finally:
        server.stop()
