"""bin/zkServer.sh: start, status, stop, restart, print-cmd, --config, ZOOCFGDIR, ZOOPIDFILE, kill -QUIT.

Each test has its own conf dir, data dir, ZOO_LOG_DIR and free port. The interpreter is
passed as PYTHON, so the script never builds a virtual environment.
"""

import glob
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
from kazoo.client import KazooClient

from tests.support.net import free_port, process_open_file_limit, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZKSERVER = os.path.join(REPO, "bin", "zkServer.sh")

pytestmark = pytest.mark.timeout(120)


class Install:
    """A conf dir with zoo.cfg, a data dir and a log dir for one zkServer.sh user."""

    def __init__(self, tmp_path, conf_name="conf"):
        self.root = str(tmp_path)
        self.conf_dir = os.path.join(self.root, conf_name)
        self.data_dir = os.path.join(self.root, "data")
        self.log_dir = os.path.join(self.root, "logs")
        os.makedirs(self.conf_dir)
        self.port = free_port()
        self.cfg = os.path.join(self.conf_dir, "zoo.cfg")
        self.write_cfg()
        self.pids = set()  # every server pid seen, killed at teardown if still alive

    def write_cfg(self, **extra):
        lines = ["tickTime=2000", "dataDir=" + self.data_dir, "clientPort=%d" % self.port,
                 "admin.enableServer=false"] + ["%s=%s" % kv for kv in extra.items()]
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")

    def env(self, **extra):
        env = dict(os.environ)
        env.pop("ZOOCFGDIR", None)
        env.pop("ZOOPIDFILE", None)
        env.pop("SERVER_JVMFLAGS", None)
        env.pop("JVMFLAGS", None)
        env.pop("PYPY_GC_NURSERY", None)
        env.update(PYTHON=sys.executable, ZOO_LOG_DIR=self.log_dir, ZOOCFGDIR=self.conf_dir)
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, *args, env=None, timeout=60):
        r = subprocess.run(["bash", ZKSERVER, *args], capture_output=True, text=True, timeout=timeout,
                           env=env if env is not None else self.env(), cwd=self.root)
        for pidfile in [os.path.join(self.data_dir, "zookeeper_server.pid")] + glob.glob(
                os.path.join(self.root, "*.pid")):
            self.remember(pidfile)
        return r

    def remember(self, pidfile):
        try:
            with open(pidfile) as f:
                self.pids.add(int(f.read().strip()))
        except (OSError, ValueError):
            pass

    def out_file(self):
        files = glob.glob(os.path.join(self.log_dir, "zookeeper-*-server-*.out"))
        return files[0] if files else None

    def out_text(self):
        path = self.out_file()
        if not path:
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def wait_mode(self, env=None):
        return wait_until(lambda: "Mode: standalone" in self.run("status", env=env).stdout, timeout=30,
                          message="status to show Mode: standalone")

    def cleanup(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture
def install(tmp_path):
    inst = Install(tmp_path)
    yield inst
    inst.cleanup()


def _describe(r):
    return "exit %s\nstdout: %r\nstderr: %r" % (r.returncode, r.stdout, r.stderr)


def test_start_status_second_start_stop(install):
    r = install.run("start")
    assert r.returncode == 0 and r.stdout.strip().endswith("STARTED"), _describe(r)
    assert r.stdout.startswith("Starting zookeeper ... "), _describe(r)
    assert "Using config: %s" % install.cfg in r.stderr, _describe(r)
    pidfile = os.path.join(install.data_dir, "zookeeper_server.pid")
    pid = int(open(pidfile).read())
    install.wait_mode()

    r = install.run("status")
    assert r.returncode == 0, _describe(r)
    # 3.8's wording, Client SSL included (3.5.7's line ended at the address)
    assert r.stdout == "Client port found: %d. Client address: localhost. Client SSL: false.\nMode: standalone\n" \
        % install.port, \
        _describe(r)

    r = install.run("start")
    assert r.returncode == 1, _describe(r)
    assert r.stdout == "Starting zookeeper ... already running as process %d.\n" % pid, _describe(r)

    r = install.run("stop")
    assert r.returncode == 0 and r.stdout == "Stopping zookeeper ... STOPPED\n", _describe(r)
    assert not os.path.exists(pidfile)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    r = install.run("status")
    assert r.returncode == 1, _describe(r)
    assert r.stdout.endswith("Error contacting service. It is probably not running.\n"), _describe(r)

    r = install.run("stop")
    assert r.returncode == 0, _describe(r)
    assert r.stdout == "Stopping zookeeper ... no zookeeper to stop (could not find file %s)\n" % pidfile, \
        _describe(r)


def test_restart_keeps_data(install):
    assert install.run("start").returncode == 0
    install.wait_mode()
    zk = KazooClient(hosts="127.0.0.1:%d" % install.port)
    zk.start(timeout=15)
    try:
        zk.create("/kept", b"before restart")
        for i in range(20):
            zk.create("/kept/n", b"%d" % i, sequence=True)
    finally:
        zk.stop()
        zk.close()
    old_pid = int(open(os.path.join(install.data_dir, "zookeeper_server.pid")).read())

    r = install.run("restart")
    assert r.returncode == 0, _describe(r)
    assert "STOPPED" in r.stdout and "STARTED" in r.stdout, _describe(r)
    new_pid = int(open(os.path.join(install.data_dir, "zookeeper_server.pid")).read())
    assert new_pid != old_pid
    install.wait_mode()

    zk = KazooClient(hosts="127.0.0.1:%d" % install.port)
    zk.start(timeout=15)
    try:
        assert zk.get("/kept")[0] == b"before restart"
        assert len(zk.get_children("/kept")) == 20
    finally:
        zk.stop()
        zk.close()
    assert install.run("stop").returncode == 0


def test_paths_with_spaces(tmp_path):
    """A conf, data and log dir with spaces in their paths: start, status, print-cmd and stop work
    (a ZOO_LOG_DIR with a space was split into two arguments, and the server did not start)."""
    inst = Install(tmp_path / "zoo keeper")
    inst.log_dir = os.path.join(inst.root, "log files")
    try:
        r = inst.run("start")
        assert r.returncode == 0 and r.stdout.strip().endswith("STARTED"), _describe(r) + inst.out_text()
        inst.wait_mode()
        assert os.path.exists(os.path.join(inst.data_dir, "version-2")), os.listdir(inst.data_dir)
        r = inst.run("print-cmd")
        assert r.returncode == 0, _describe(r)
        words = shlex.split(r.stdout)
        assert "-Dzookeeper.log.dir=%s" % inst.log_dir in words, words
        assert words[words.index(">") - 1] == inst.cfg, words
        r = inst.run("stop")
        assert r.returncode == 0 and "STOPPED" in r.stdout, _describe(r)
    finally:
        inst.cleanup()


def test_status_reads_lines_with_blanks_around_the_value_and_crlf(install):
    """`clientPort = N` and a file with CRLF line ends: the server takes both, and so does status
    (which found no client port in either)."""
    lines = ["tickTime = 2000", "dataDir = " + install.data_dir, "clientPort = %d " % install.port,
             "admin.enableServer=false"]
    with open(install.cfg, "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")
    r = install.run("start")
    assert r.returncode == 0 and r.stdout.strip().endswith("STARTED"), _describe(r) + install.out_text()
    install.wait_mode()
    r = install.run("status")
    assert "Client port found: %d. Client address: localhost." % install.port in r.stdout, _describe(r)
    assert install.run("stop").returncode == 0


def test_print_cmd(install):
    r = install.run("print-cmd", env=install.env(SERVER_JVMFLAGS="-Dzookeeper.snapCount=77"))
    assert r.returncode == 0, _describe(r)
    line = r.stdout.strip()
    # PyPy's nursery (bin/zkEnv.sh's default) goes in the environment, as -Xmn goes on a JVM's command line
    assert line.startswith('PYPY_GC_NURSERY=32MB "%s" -m zookeeper_py.server.quorum.quorum_peer_main ' %
                           sys.executable), line
    assert "-Dzookeeper.log.dir=%s" % install.log_dir in line, line
    assert "-Dzookeeper.root.logger=INFO,CONSOLE" in line, line
    assert "-Dzookeeper.snapCount=77" in line, line
    m = re.search(r' "([^"]+)" > "([^"]+)" 2>&1 < /dev/null$', line)
    assert m and m.group(1) == install.cfg, line
    assert re.fullmatch(re.escape(install.log_dir) + r"/zookeeper-.+-server-.+\.out", m.group(2)), line
    # nothing was started
    assert not os.path.exists(os.path.join(install.data_dir, "zookeeper_server.pid"))


def test_an_operators_pypy_nursery_replaces_the_default(install):
    r = install.run("print-cmd", env=install.env(PYPY_GC_NURSERY="8MB"))
    assert r.returncode == 0, _describe(r)
    assert r.stdout.startswith('PYPY_GC_NURSERY=8MB "'), r.stdout


def test_config_option_and_zoocfgdir(tmp_path):
    """--config <dir> and ZOOCFGDIR both choose the conf dir (and so the port and data dir)."""
    inst = Install(tmp_path, conf_name="elsewhere")
    try:
        env = inst.env(ZOOCFGDIR=None)
        r = inst.run("--config", inst.conf_dir, "start", env=env)
        assert r.returncode == 0, _describe(r)
        assert "Using config: %s/zoo.cfg" % inst.conf_dir in r.stderr, _describe(r)
        r = wait_until(lambda: (lambda r: r if "Mode: standalone" in r.stdout else None)(
            inst.run("--config", inst.conf_dir, "status", env=env)), timeout=30, message="status via --config")
        assert "Client port found: %d." % inst.port in r.stdout, _describe(r)
        # ZOOCFGDIR names the same install
        r = inst.run("status", env=inst.env(ZOOCFGDIR=inst.conf_dir))
        assert r.returncode == 0 and "Mode: standalone" in r.stdout, _describe(r)
        r = inst.run("--config", inst.conf_dir, "stop", env=env)
        assert r.returncode == 0 and "STOPPED" in r.stdout, _describe(r)
        r = inst.run("status", env=inst.env(ZOOCFGDIR=inst.conf_dir))
        assert r.returncode == 1, _describe(r)
    finally:
        inst.cleanup()


def test_a_conf_dir_from_debians_package(install, tmp_path):
    """Debian's /etc/zookeeper/conf as it ships: its scripts' settings in `environment` (log dir,
    root logger, -D flags), log4j.properties and no logging.yaml. Those settings are taken from
    `environment`, the packaged logging.yaml is used (not a bare console), and the server says
    that log4j.properties is not read. Before, the output went to the install's logs/ and the
    only word was "No logging configuration"."""
    debian_logs = str(tmp_path / "var-log-zookeeper")
    with open(os.path.join(install.conf_dir, "environment"), "w") as f:
        f.write("ZOOMAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain\n"
                "ZOOCFGDIR=/etc/zookeeper/conf\nZOOCFG=/etc/zookeeper/conf/zoo.cfg\n"
                "ZOO_LOG_DIR=%s\nZOO_LOG4J_PROP=INFO,ROLLINGFILE\nJMXLOCALONLY=true\nJAVA_OPTS=\"\"\n"
                "JAVA=/usr/bin/java\nCLASSPATH=\"/etc/zookeeper/conf:/usr/share/java/zookeeper.jar\"\n"
                "SERVER_JVMFLAGS=\"-Dzookeeper.snapCount=77\"\n"
                % debian_logs)
    log4j = os.path.join(install.conf_dir, "log4j.properties")
    with open(log4j, "w") as f:
        f.write("zookeeper.root.logger=INFO, CONSOLE\nlog4j.rootLogger=${zookeeper.root.logger}\n")
    env = install.env(ZOO_LOG_DIR=None)
    # The -D flags an operator put there reach the server (print-cmd shows its command).
    assert "-Dzookeeper.snapCount=77" in install.run("print-cmd", env=env).stdout
    r = install.run("start", env=env)
    assert r.returncode == 0 and r.stdout.strip().endswith("STARTED"), _describe(r)
    assert "Using config: %s" % install.cfg in r.stderr, _describe(r)
    install.wait_mode(env=env)
    assert install.run("stop", env=env).returncode == 0
    assert not os.path.exists(install.log_dir)
    outs = glob.glob(os.path.join(debian_logs, "zookeeper-*-server-*.out"))
    assert outs, os.listdir(debian_logs)
    logs = glob.glob(os.path.join(debian_logs, "zookeeper-*-server-*.log"))
    assert logs, os.listdir(debian_logs)
    with open(logs[0], errors="replace") as f:
        log = f.read()
    assert "ZooKeeperServerMain@" in log and "binding to port" in log, log[-2000:]
    assert ("%s is Java's logging configuration and is not read; logging is configured by %s" % (
        log4j, os.path.join(REPO, "conf", "logging.yaml"))) in log, log[-2000:]
    assert "No logging configuration" not in log


def test_zoopidfile(install):
    pidfile = os.path.join(install.root, "run", "zk.pid")
    env = install.env(ZOOPIDFILE=pidfile)
    r = install.run("start", env=env)
    assert r.returncode == 0, _describe(r)
    install.remember(pidfile)
    assert os.path.exists(pidfile), "ZOOPIDFILE not written"
    assert not os.path.exists(os.path.join(install.data_dir, "zookeeper_server.pid"))
    install.wait_mode(env)
    r = install.run("start", env=env)
    assert r.returncode == 1 and "already running as process %s." % open(pidfile).read().strip() in r.stdout, \
        _describe(r)
    r = install.run("stop", env=env)
    assert r.returncode == 0 and "STOPPED" in r.stdout, _describe(r)
    assert not os.path.exists(pidfile)


def test_start_reports_failed_start(install):
    """A config the server rejects: start-foreground exits 2 with the reason."""
    install.write_cfg(tickTime="0")
    r = install.run("start-foreground")
    assert r.returncode == 2, _describe(r)
    assert "tickTime" in r.stdout + r.stderr, _describe(r)


def test_kill_quit_prints_every_thread(install):
    assert install.run("start").returncode == 0
    install.wait_mode()
    # a client session, so the request pipeline has seen work
    zk = KazooClient(hosts="127.0.0.1:%d" % install.port)
    zk.start(timeout=15)
    try:
        zk.create("/dump", b"x")
        pid = int(open(os.path.join(install.data_dir, "zookeeper_server.pid")).read())
        os.kill(pid, signal.SIGQUIT)
        expected = [
            '"NIOServerCxnFactory.AcceptThread:0.0.0.0/0.0.0.0:%d"' % install.port,
            '"NIOServerCxnFactory.SelectorThread-0"',
            '"ConnnectionExpirer"',
            '"SessionTracker"',
            '"ProcessThread(sid:0 cport:%d):"' % install.port,
            '"SyncThread:0"',
            '"main"',
        ]

        def dumped():
            text = install.out_text()
            return text if all(name in text for name in expected) else None

        try:
            text = wait_until(dumped, timeout=10, message="thread dump")
        except TimeoutError:
            pytest.fail("thread dump lacks some of %s:\n%s" % (expected, install.out_text()[-5000:]))
        # every thread comes with a stack
        for name in expected:
            block = text.split(name, 1)[1].split("\n\n", 1)[0]
            assert "\tat " in block, "no stack for %s:\n%s" % (name, block)
        # the server is still serving after the dump
        assert zk.get("/dump")[0] == b"x"
        assert os.kill(pid, 0) is None
    finally:
        zk.stop()
        zk.close()
    assert install.run("stop").returncode == 0


def test_usage(install):
    r = install.run("bogus")
    assert "Usage: " in r.stderr and "{start|start-foreground|stop|version|restart|status|print-cmd}" in r.stderr, \
        _describe(r)


def test_stop_waits_for_exit(install):
    """stop returns only when the process is gone, so the port can be reused at once."""
    assert install.run("start").returncode == 0
    install.wait_mode()
    pid = int(open(os.path.join(install.data_dir, "zookeeper_server.pid")).read())
    assert install.run("stop").returncode == 0
    deadline = time.time() + 1
    gone = False
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            gone = True
            break
        time.sleep(0.05)
    assert gone, "server %d still alive after stop" % pid


def test_start_raises_the_open_file_limit(install):
    """The server gets the hard open-file limit (or ZOO_MAX_OPEN_FILES), whatever the shell's soft one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY or hard >= 4096 else hard
    env = install.env(ZOO_MAX_OPEN_FILES=str(want))
    # Start from a soft limit of 256, as on a stock login shell.
    r = subprocess.run(["bash", "-c", 'ulimit -Sn 256 && exec bash "$0" start', ZKSERVER], capture_output=True,
                       text=True, timeout=60, env=env, cwd=install.root)
    install.remember(os.path.join(install.data_dir, "zookeeper_server.pid"))
    assert r.returncode == 0, _describe(r)
    install.wait_mode(env=env)
    pid = int(open(os.path.join(install.data_dir, "zookeeper_server.pid")).read())
    assert process_open_file_limit(pid) == want
    assert install.run("stop", env=env).returncode == 0


def test_status_over_the_secure_port(install, tmp_path_factory):
    """A server with only secureClientPort: `status` asks over TLS with CLIENT_JVMFLAGS' keys (3.6+'s script),
    and says what to give it when they are missing."""
    from tests.support.tls import session_tls_material

    tls = session_tls_material(tmp_path_factory)
    secure_port = install.port
    lines = ["tickTime=2000", "dataDir=" + install.data_dir, "secureClientPort=%d" % secure_port,
             "admin.enableServer=false"] + ["%s=%s" % kv for kv in tls.zoo_cfg_keys("pkcs12").items()]
    with open(install.cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = install.run("start")
    assert r.returncode == 0, _describe(r)
    client_flags = " ".join("-D%s=%s" % kv for kv in tls.properties("pem").items())
    env = install.env(CLIENT_JVMFLAGS="-Dzookeeper.client.secure=true " + client_flags)
    install.wait_mode(env=env)
    r = install.run("status", env=env)
    assert r.returncode == 0, _describe(r)
    assert ("Client port found: %d. Client address: localhost. Client SSL: true.\nMode: standalone\n" % secure_port
            in r.stdout), _describe(r)
    r = install.run("status")  # no client certificate: refused, and the script says why
    assert r.returncode == 1 and "CLIENT_JVMFLAGS" in r.stdout, _describe(r)
    assert install.run("stop").returncode == 0
