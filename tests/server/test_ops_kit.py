"""The operations kit: docker/docker-entrypoint.sh, the Dockerfile's HEALTHCHECK, bin/zkServer-initialize.sh,
bin/zkEnsemble.sh and conf/zookeeper.service.

Docker itself is not used: the entrypoint runs here with its directories in a tmp dir, as the image
runs it, and the server it starts is the real bin/zkServer.sh process. The scripts get the
interpreter as PYTHON (ZK_TEST_PYTHON, e.g. PyPy, or this one), so none builds a virtual environment.
"""

import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from kazoo.client import KazooClient

from tests.support import java_zk
from tests.support.net import four_letter_word, free_ports, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRYPOINT = os.path.join(REPO, "docker", "docker-entrypoint.sh")
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
ZKSERVER = os.path.join(REPO, "bin", "zkServer.sh")
INITIALIZE = os.path.join(REPO, "bin", "zkServer-initialize.sh")
ENSEMBLE = os.path.join(REPO, "bin", "zkEnsemble.sh")
UNIT = os.path.join(REPO, "conf", "zookeeper.service")
JAVA_MIRROR = "/work/.mirror/apache+zookeeper/repo"
JAVA_ZKENV = "/usr/share/zookeeper/bin/zkEnv.sh"
SERVER_PYTHON = os.environ.get("ZK_TEST_PYTHON", sys.executable)

pytestmark = pytest.mark.timeout(180)


def _env(**extra):
    """The caller's environment without the variables the scripts read, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ZOO") and k not in ("SERVER_JVMFLAGS", "JVMFLAGS", "CLIENT_JVMFLAGS")}
    env["PYTHON"] = SERVER_PYTHON
    env.update(extra)
    return env


def _describe(r):
    return "exit %s\nstdout: %r\nstderr: %r" % (r.returncode, r.stdout, r.stderr)


def _read(path):
    with open(path) as f:
        return f.read()


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by its parent) counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --- docker/docker-entrypoint.sh ---------------------------------------------------------------

class Container:
    """The image's directories in a tmp dir, and the entrypoint run with them."""

    def __init__(self, root):
        self.root = str(root)
        self.conf_dir = os.path.join(self.root, "conf")
        self.data_dir = os.path.join(self.root, "data")
        self.data_log_dir = os.path.join(self.root, "datalog")
        self.log_dir = os.path.join(self.root, "logs")
        self.cfg = os.path.join(self.conf_dir, "zoo.cfg")
        self.proc = None
        os.makedirs(self.root)

    def env(self, **extra):
        return _env(ZOO_CONF_DIR=self.conf_dir, ZOO_DATA_DIR=self.data_dir, ZOO_DATA_LOG_DIR=self.data_log_dir,
                    ZOO_LOG_DIR=self.log_dir, **extra)

    def run(self, *command, **env):
        return subprocess.run([ENTRYPOINT, *command], env=self.env(**env), cwd=self.root, capture_output=True,
                              text=True, timeout=60)

    def start_server(self, kind="python", **env):
        """The image's CMD, `zkServer.sh start-foreground`, through the entrypoint; or Java 3.8's
        QuorumPeerMain on the config the entrypoint wrote (kind="java")."""
        command = [ZKSERVER, "start-foreground"]
        if kind == "java":
            java_zk.require_java_zookeeper()
            log4j = os.path.join(self.root, "log4j.properties")
            with open(log4j, "w") as f:
                f.write(java_zk.LOG4J_PROPERTIES.format(log=os.path.join(self.root, "java.log")))
            command = [java_zk.java_executable(), "-cp", java_zk.classpath(), "-Dlog4j.configuration=file:" + log4j,
                       "-Dzookeeper.jmx.log4j.disable=true", "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                       self.cfg]
        self.out = open(os.path.join(self.root, "container.out"), "w")
        self.proc = subprocess.Popen([ENTRYPOINT, *command], env=self.env(**env), cwd=self.root, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def output(self):
        return _read(os.path.join(self.root, "container.out"))[-4000:]

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)
            self.out.close()


@pytest.fixture
def containers(tmp_path):
    made = []

    def make(name="c"):
        c = Container(tmp_path / name)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def test_entrypoint_writes_zoo_cfg_and_myid_from_zoo_variables(containers):
    c = containers()
    # A file a glob in ZOO_CFG_EXTRA would match: the words must reach zoo.cfg as written.
    open(os.path.join(c.root, "4lw.commands.whitelist=ruok"), "w").close()
    r = c.run("true", ZOO_MY_ID="7", ZOO_TICK_TIME="1500", ZOO_INIT_LIMIT="11", ZOO_SYNC_LIMIT="6",
              ZOO_AUTOPURGE_PURGEINTERVAL="4", ZOO_AUTOPURGE_SNAPRETAINCOUNT="5", ZOO_MAX_CLIENT_CNXNS="42",
              ZOO_STANDALONE_ENABLED="false", ZOO_ADMINSERVER_ENABLED="false",
              ZOO_4LW_COMMANDS_WHITELIST="srvr,ruok",
              ZOO_SERVERS="server.1=zoo1:2888:3888;2181 server.7=zoo7:2888:3888;2181",
              ZOO_CFG_EXTRA="globalOutstandingLimit=500 4lw.commands.whitelist=*")
    assert r.returncode == 0, _describe(r)
    assert _read(c.cfg).splitlines() == [
        "dataDir=" + c.data_dir,
        "dataLogDir=" + c.data_log_dir,
        "tickTime=1500",
        "initLimit=11",
        "syncLimit=6",
        "autopurge.snapRetainCount=5",
        "autopurge.purgeInterval=4",
        "maxClientCnxns=42",
        "standaloneEnabled=false",
        "admin.enableServer=false",
        "server.1=zoo1:2888:3888;2181",
        "server.7=zoo7:2888:3888;2181",
        "4lw.commands.whitelist=srvr,ruok",
        "globalOutstandingLimit=500",
        "4lw.commands.whitelist=*",  # the last one wins, as in Java's properties
    ]
    assert _read(os.path.join(c.data_dir, "myid")) == "7\n"
    for d in (c.data_log_dir, c.log_dir):
        assert os.path.isdir(d)

    # A second start keeps both: the config may be the user's own, the id is the member's.
    r = c.run("true", ZOO_MY_ID="3", ZOO_TICK_TIME="999", ZOO_SERVERS="server.3=other:1:2;3")
    assert r.returncode == 0, _describe(r)
    assert "tickTime=1500" in _read(c.cfg) and "999" not in _read(c.cfg)
    assert _read(os.path.join(c.data_dir, "myid")) == "7\n"


def test_entrypoint_defaults_are_the_official_images(containers):
    c = containers()
    r = c.run("true")
    assert r.returncode == 0, _describe(r)
    assert _read(c.cfg).splitlines()[2:] == [
        "tickTime=2000", "initLimit=5", "syncLimit=2", "autopurge.snapRetainCount=3", "autopurge.purgeInterval=0",
        "maxClientCnxns=60", "standaloneEnabled=true", "admin.enableServer=true",
        "server.1=localhost:2888:3888;2181"]
    assert _read(os.path.join(c.data_dir, "myid")) == "1\n"
    # The Dockerfile's ENV gives the script's own defaults, so it runs the same in and out of the image.
    dockerfile = _read(DOCKERFILE)
    entrypoint = _read(ENTRYPOINT)
    for key, value in re.findall(r'^: "\$\{(ZOO_[A-Z0-9_]+):=([^}]*)\}"$', entrypoint, re.M):
        assert re.search(r"\b%s=%s\b" % (key, re.escape(value)), dockerfile), key


def test_entrypoint_keeps_a_mounted_zoo_cfg_and_execs_the_command(containers):
    c = containers()
    os.makedirs(c.conf_dir)
    with open(c.cfg, "w") as f:
        f.write("# mine\nclientPort=1\n")
    marker = os.path.join(c.root, "ran")
    r = c.run("sh", "-c", 'echo "$ZOOCFGDIR $1" > %s; exit 3' % shlex.quote(marker), "sh", "arg")
    assert r.returncode == 3, _describe(r)  # exec'd: the command's exit code is the entrypoint's
    assert _read(marker) == "%s arg\n" % c.conf_dir
    assert _read(c.cfg) == "# mine\nclientPort=1\n"
    assert os.listdir(c.conf_dir) == ["zoo.cfg"]


def _healthcheck_command():
    """The shell command of the Dockerfile's HEALTHCHECK, for the python3 on this PATH."""
    text = _read(DOCKERFILE).replace("\\\n", " ")
    m = re.search(r"^HEALTHCHECK .*? CMD (.*)$", text, re.M)
    assert m, "no HEALTHCHECK CMD in the Dockerfile"
    return m.group(1).strip()


def _healthcheck(port):
    return subprocess.run(["sh", "-c", _healthcheck_command()], env=_env(ZOO_HEALTHCHECK_PORT=str(port)),
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("kind", ["python", "java"])
def test_entrypoint_config_serves_kazoo_and_passes_the_healthcheck(containers, kind):
    client, quorum, election = free_ports(3)
    c = containers()
    c.start_server(kind, ZOO_SERVERS="server.1=localhost:%d:%d;%d" % (quorum, election, client),
                   ZOO_ADMINSERVER_ENABLED="false", ZOO_4LW_COMMANDS_WHITELIST="srvr,ruok")

    def srvr():
        try:
            return four_letter_word("127.0.0.1", client, "srvr")
        except OSError:
            return ""

    try:
        wait_until(lambda: "Mode: standalone" in srvr(), timeout=60, interval=0.2, message="Mode: standalone")
    except TimeoutError:
        pytest.fail("server did not serve:\n" + c.output())
    zk = KazooClient(hosts="127.0.0.1:%d" % client)
    zk.start(timeout=15)
    try:
        zk.create("/docker", b"from the image's config")
        assert zk.get("/docker")[0] == b"from the image's config"
    finally:
        zk.stop()
        zk.close()
    # The txn log went to ZOO_DATA_LOG_DIR, as dataLogDir says.
    assert any(n.startswith("log.") for n in os.listdir(os.path.join(c.data_log_dir, "version-2")))

    r = _healthcheck(client)
    assert r.returncode == 0, _describe(r)
    r = subprocess.run(["bash", ZKSERVER, "status"], env=_env(ZOOCFGDIR=c.conf_dir), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "Mode: standalone" in r.stdout, _describe(r)

    c.stop()
    r = _healthcheck(client)
    assert r.returncode != 0, _describe(r)


@pytest.mark.parametrize("kinds", [("python", "python", "python"), ("java", "python", "python")],
                         ids=["python", "java+python"])
def test_entrypoint_zoo_servers_make_a_quorum(containers, kinds):
    ports = free_ports(9)
    servers = " ".join("server.%d=127.0.0.1:%d:%d;%d" % (i + 1, ports[3 * i + 1], ports[3 * i + 2], ports[3 * i])
                       for i in range(3))
    members = []
    for i in range(3):
        c = containers("zoo%d" % (i + 1))
        c.start_server(kinds[i], ZOO_MY_ID=str(i + 1), ZOO_SERVERS=servers, ZOO_ADMINSERVER_ENABLED="false")
        members.append(c)

    def modes():
        out = []
        for i in range(3):
            try:
                m = re.search(r"Mode: (\w+)", four_letter_word("127.0.0.1", ports[3 * i], "srvr"))
            except OSError:
                m = None
            out.append(m.group(1) if m else None)
        return out

    try:
        wait_until(lambda: sorted(m or "" for m in modes()) == ["follower", "follower", "leader"],
                   timeout=90, interval=0.5, message="one leader and two followers")
    except TimeoutError:
        pytest.fail("modes %s\n%s" % (modes(), "\n".join(c.output() for c in members)))
    for i, c in enumerate(members):
        assert _read(os.path.join(c.data_dir, "myid")) == "%d\n" % (i + 1)
    writer = KazooClient(hosts="127.0.0.1:%d" % ports[0])
    reader = KazooClient(hosts="127.0.0.1:%d" % ports[6])
    writer.start(timeout=15)
    reader.start(timeout=15)
    try:
        writer.create("/compose", b"zoo1")
        reader.sync("/compose")
        assert reader.get("/compose")[0] == b"zoo1"
    finally:
        for zk in (writer, reader):
            zk.stop()
            zk.close()


def test_compose_file_gives_each_member_its_id_and_the_same_servers(containers):
    yaml = pytest.importorskip("yaml")
    with open(os.path.join(REPO, "docker", "compose.yaml")) as f:
        services = yaml.safe_load(f)["services"]
    assert sorted(services) == ["zoo1", "zoo2", "zoo3"]
    configs = []
    for name, service in sorted(services.items()):
        c = containers(name)
        r = c.run("true", **{k: str(v) for k, v in service["environment"].items()})
        assert r.returncode == 0, _describe(r)
        assert _read(os.path.join(c.data_dir, "myid")) == name[-1] + "\n"
        configs.append([line for line in _read(c.cfg).splitlines() if line.startswith("server.")])
    assert configs[0] == ["server.%d=zoo%d:2888:3888;2181" % (i, i) for i in (1, 2, 3)]
    assert configs[0] == configs[1] == configs[2]


# --- bin/zkServer-initialize.sh ----------------------------------------------------------------

def _java_initialize(tmp_path):
    """3.5.7's zkServer-initialize.sh from the Java mirror, next to the installed Java zkEnv.sh."""
    if not os.path.exists(JAVA_ZKENV):
        pytest.skip("Java ZooKeeper is not installed (%s)" % JAVA_ZKENV)
    if not os.path.isdir(JAVA_MIRROR):
        pytest.skip("the Java source mirror %s is not here" % JAVA_MIRROR)
    r = subprocess.run(["git", "--git-dir", JAVA_MIRROR, "show", "release-3.5.7:bin/zkServer-initialize.sh"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        pytest.skip("release-3.5.7:bin/zkServer-initialize.sh not in the mirror: " + r.stderr)
    bindir = tmp_path / "java-bin"
    bindir.mkdir()
    (bindir / "zkServer-initialize.sh").write_text(r.stdout)
    shutil.copy(JAVA_ZKENV, bindir / "zkEnv.sh")
    return str(bindir / "zkServer-initialize.sh")


@pytest.fixture(params=["python", "java"])
def initialize_script(request, tmp_path):
    return INITIALIZE if request.param == "python" else _java_initialize(tmp_path)


def test_initialize_makes_dirs_and_myid_and_refuses_existing_data(initialize_script, tmp_path):
    data, log = str(tmp_path / "data"), str(tmp_path / "txnlog")
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text("tickTime=2000\ndataDir=%s\ndataLogDir=%s\nclientPort=2181\n" % (data, log))

    def run(*args):
        return subprocess.run(["bash", initialize_script, *args], capture_output=True, text=True, timeout=60,
                              env=_env(), cwd=str(tmp_path))

    r = run("--configfile=%s" % cfg, "--myid=3")
    assert r.returncode == 0, _describe(r)
    assert r.stdout == "Using myid of 3\n"
    assert os.path.isdir(os.path.join(data, "version-2")) and os.path.isdir(os.path.join(log, "version-2"))
    assert _read(os.path.join(data, "myid")) == "3\n"

    r = run("--configfile", str(cfg), "--myid=4")
    assert r.returncode == 1, _describe(r)
    assert r.stdout == ("ZooKeeper data directory already exists at %s (or use --force to force "
                        "re-initialization)\n" % data)
    assert _read(os.path.join(data, "myid")) == "3\n"

    shutil.rmtree(os.path.join(data, "version-2"))
    r = run("--configfile=%s" % cfg)
    assert r.returncode == 1, _describe(r)
    assert r.stdout == ("ZooKeeper txnlog directory already exists at %s (or use --force to force "
                        "re-initialization)\n" % log)

    open(os.path.join(log, "version-2", "log.1"), "w").close()
    r = run("--configfile=%s" % cfg, "--force")
    assert r.returncode == 0, _describe(r)
    assert r.stdout == ("Force enabled, data/txnlog directories will be re-initialized\n"
                        "No myid provided, be sure to specify it in %s/myid if using non-standalone\n" % data)
    assert os.listdir(data) == ["version-2"] and os.listdir(os.path.join(log, "version-2")) == []

    r = run("--configfile=%s" % (tmp_path / "missing.cfg"))
    assert r.returncode == 1 and r.stdout == "Unable to find config file at %s\n" % (tmp_path / "missing.cfg")
    r = run("--no-such-option")
    assert r.returncode == 1 and r.stdout.startswith("usage: "), _describe(r)


def test_initialize_then_server_starts_with_autocreate_disabled(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    data = str(tmp_path / "data")
    (client,) = free_ports(1)
    (conf / "zoo.cfg").write_text("tickTime=2000\ndataDir = %s \nclientPort=%d\nadmin.enableServer=false\n"
                                  % (data, client))
    env = _env(ZOOCFGDIR=str(conf), ZOO_LOG_DIR=str(tmp_path / "logs"), ZOO_DATADIR_AUTOCREATE_DISABLE="1")

    def zkserver(*args):
        return subprocess.run(["bash", ZKSERVER, *args], env=env, capture_output=True, text=True, timeout=60,
                              cwd=str(tmp_path))

    r = zkserver("start")
    assert r.returncode == 1 and "fix the path or run initialize" in r.stdout, _describe(r)

    # ZOOCFGDIR finds the config, as for zkServer.sh; the spaces around the value are not part of it.
    r = subprocess.run(["bash", INITIALIZE, "--myid=1"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and os.path.isdir(os.path.join(data, "version-2")), _describe(r)
    r = zkserver("start")
    pidfile = os.path.join(data, "zookeeper_server.pid")
    pid = int(_read(pidfile)) if os.path.exists(pidfile) else None
    try:
        assert r.returncode == 0, _describe(r)
        wait_until(lambda: "Mode: standalone" in zkserver("status").stdout, timeout=60, interval=0.2,
                   message="status to show Mode: standalone")
    finally:
        zkserver("stop")
        if pid:
            _kill([pid])


# --- bin/zkEnsemble.sh -------------------------------------------------------------------------

def _ensemble_base_port(n):
    """A base port whose members' ports (client, quorum, election, admin) are all free now."""
    for _ in range(50):
        base = random.randrange(20000, 55000)
        wanted = []
        for i in range(1, n + 1):
            wanted += [base + i - 1, base + 706 + i, base + 1706 + i, base + 5898 + i]
        socks = []
        try:
            for p in wanted:
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.skip("no free block of ports for an ensemble")


def test_ensemble_script_start_status_write_read_stop(tmp_path):
    base = _ensemble_base_port(3)
    folder = str(tmp_path / "ens")
    env = _env()

    def ensemble(*args):
        return subprocess.run(["bash", ENSEMBLE, *args, "--dir", folder, "--base-port", str(base)], env=env,
                              capture_output=True, text=True, timeout=120, cwd=str(tmp_path))

    pids = []
    try:
        r = ensemble("start", "3")
        for i in (1, 2, 3):
            pidfile = os.path.join(folder, "zk%d" % i, "data", "zookeeper_server.pid")
            if os.path.exists(pidfile):
                pids.append(int(_read(pidfile)))
        assert r.returncode == 0, _describe(r)
        assert [line for line in r.stdout.splitlines() if line.startswith("zk")] == [
            "zk%d: Starting zookeeper ... STARTED" % i for i in (1, 2, 3)]
        assert len(pids) == 3

        def status():
            r = ensemble("status")
            modes = re.findall(r"^zk\d 127\.0\.0\.1:\d+ Mode: (\w+)$", r.stdout, re.M)
            return r if r.returncode == 0 and sorted(modes) == ["follower", "follower", "leader"] else None

        r = wait_until(status, timeout=90, interval=0.5, message="one leader and two followers")
        assert [int(p) for p in re.findall(r":(\d+) Mode", r.stdout)] == [base, base + 1, base + 2]
        for i in (1, 2, 3):
            assert _read(os.path.join(folder, "zk%d" % i, "data", "myid")) == "%d\n" % i

        writer = KazooClient(hosts="127.0.0.1:%d" % base)
        reader = KazooClient(hosts="127.0.0.1:%d" % (base + 2))
        writer.start(timeout=15)
        reader.start(timeout=15)
        try:
            writer.create("/learn", b"written through zk1")
            reader.sync("/learn")
            assert reader.get("/learn")[0] == b"written through zk1"
        finally:
            for zk in (writer, reader):
                zk.stop()
                zk.close()

        # A second start finds them running and changes nothing.
        r = ensemble("start")
        assert r.returncode == 0 and r.stdout.count("already running as process") == 3, _describe(r)

        r = ensemble("stop")
        assert r.returncode == 0, _describe(r)
        assert r.stdout.count("Stopping zookeeper ... STOPPED") == 3, _describe(r)
        assert not any(_alive(p) for p in pids), [p for p in pids if _alive(p)]
        r = ensemble("status")
        assert r.returncode == 1 and r.stdout.count("not serving") == 3, _describe(r)
    finally:
        _kill(pids)


def test_ensemble_script_refuses_bad_arguments(tmp_path):
    folder = str(tmp_path / "ens")
    for args in (["start", "0"], ["start", "3", "--base-port", "x"], ["bogus"], []):
        r = subprocess.run(["bash", ENSEMBLE, *args, "--dir", folder], env=_env(), capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2, (args, _describe(r))
    assert not os.path.exists(folder)
    r = subprocess.run(["bash", ENSEMBLE, "status", "--dir", folder], env=_env(), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and r.stdout == "No ensemble in %s\n" % folder, _describe(r)


# --- conf/zookeeper.service --------------------------------------------------------------------

def test_systemd_unit_verifies(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    text = _read(UNIT)
    assert "ExecStart=/opt/zookeeper_py/bin/zkServer.sh start-foreground" in text
    for line in ("Type=simple", "User=zookeeper", "Restart=on-failure", "RestartPreventExitStatus=2"):
        assert re.search("^%s$" % re.escape(line), text, re.M), line
    assert re.search(r"^LimitNOFILE=\d+$", text, re.M)
    # Its paths pointed at this checkout, as an installer would.
    unit = tmp_path / "zookeeper.service"
    unit.write_text(text.replace("/opt/zookeeper_py", REPO))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "" and r.stdout.strip() == "", _describe(r)
