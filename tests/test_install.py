"""`pip install` of a built wheel: the console scripts, the packaged defaults and the versions.

One wheel and one fresh virtual environment for the module: the source tree is copied to a
temporary dir, built into a wheel (SOURCE_DATE_EPOCH fixes the build date), and the wheel is
installed with --prefer-binary into a new venv, with nothing of the checkout on the path. Then
the console scripts run from there, in a temporary working directory.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from tests.support.net import four_letter_word, free_port, wait_until

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = ("zk-server", "zk-cli", "zk-cleanup", "zk-txn-log-toolkit", "zk-snapshot-toolkit")
SOURCE_DATE_EPOCH = "1600000000"
BUILD_DATE = "09/13/2020 12:26 GMT"  # SOURCE_DATE_EPOCH in Java's format
# What the build does not need: at the top of the checkout, and anywhere.
_TOP_IGNORE = {".git", ".tox", ".hypothesis", ".pytest_cache", "build", "dist", "data", "logs", "ensemble", "tests",
               "bench", "docker"}
_ANY_IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".venv*")


def _ignore(directory, names):
    ignored = set(_ANY_IGNORE(directory, names))
    if os.path.samefile(directory, REPO):
        ignored |= _TOP_IGNORE & set(names)
    return ignored


def _build_isolation_flags():
    """--no-build-isolation when this interpreter has setuptools 64+: the build is the same, and
    the test does not download setuptools for an isolated build environment each run."""
    try:
        import setuptools
    except ImportError:
        return []
    return ["--no-build-isolation"] if int(setuptools.__version__.split(".")[0]) >= 64 else []


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    shutil.copytree(REPO, src, ignore=_ignore)
    dist = base / "dist"
    # Without PYTHONPATH: with the checkout on the path (PythonServer sets it for other tests), pip
    # finds its zookeeper_py.egg-info, says "already satisfied" and installs nothing.
    env = clean_env(SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *_build_isolation_flags(), str(src),
                    "-w", str(dist)], check=True, env=env, timeout=300, cwd=str(base))
    wheels = list(dist.glob("zookeeper_py-*.whl"))
    assert len(wheels) == 1, wheels
    venv_dir = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True, timeout=120, env=env)
    subprocess.run([str(venv_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--prefer-binary",
                    str(wheels[0])], check=True, timeout=300, cwd=str(base), env=env)
    return venv_dir


def clean_env(**extra):
    """No checkout on the path, no configuration from the scripts' environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "ZOOCFGDIR", "ZOOCFG", "ZOO_LOG_CONF", "ZOO_LOG_DIR", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def run(venv, script, *args, cwd=None, timeout=60):
    return subprocess.run([str(venv / "bin" / script), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=clean_env())


def site_packages_package(venv):
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import zookeeper_py, os; "
                          "print(os.path.dirname(zookeeper_py.__file__))"],
                         capture_output=True, text=True, check=True, env=clean_env(), cwd="/")
    return out.stdout.strip()


def test_version_and_help_of_every_script(venv, tmp_path):
    for script in SCRIPTS:
        version = run(venv, script, "--version", cwd=str(tmp_path))
        assert version.returncode == 0, (script, version.stderr)
        assert "zookeeper_py 0.1.0" in version.stdout, version.stdout
        # What Java's zkServer.sh version prints, with the build date of the wheel.
        assert "Apache ZooKeeper, version 3.5.7-zookeeper-py, built on " + BUILD_DATE in version.stdout
        help_ = run(venv, script, "--help", cwd=str(tmp_path))
        assert help_.returncode == 0, (script, help_.stderr)
        assert help_.stdout.startswith("usage: " + script), help_.stdout
    # The Java-style parsing is still there behind them.
    usage = run(venv, "zk-cleanup", "/nonexistent", cwd=str(tmp_path))
    assert "PurgeTxnLog dataLogDir [snapDir] -n count" in usage.stdout


def test_packaged_defaults_and_notices(venv):
    package = site_packages_package(venv)
    assert package.startswith(str(venv)), package
    for name in ("zoo.cfg", "logging.yaml"):
        with open(os.path.join(package, "conf", name)) as packaged, open(os.path.join(REPO, "conf", name)) as ours:
            assert packaged.read() == ours.read(), name
    dist_info = [d for d in os.listdir(os.path.dirname(package)) if d.startswith("zookeeper_py-0.1.0.dist-info")]
    assert dist_info, os.listdir(os.path.dirname(package))
    licenses = os.path.join(os.path.dirname(package), dist_info[0], "licenses")
    assert sorted(os.listdir(licenses)) == ["LICENSE", "NOTICE"]
    with open(os.path.join(licenses, "NOTICE")) as f:
        assert "Apache ZooKeeper" in f.read()


def _start(venv, args, cwd):
    out = open(os.path.join(cwd, "server.out"), "wb")
    proc = subprocess.Popen([str(venv / "bin" / "zk-server"), *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                            env=clean_env())
    out.close()
    return proc


def _wait_serving(proc, port, cwd):
    def serving():
        if proc.poll() is not None:
            with open(os.path.join(cwd, "server.out"), errors="replace") as f:
                raise AssertionError("zk-server exited with %s:\n%s" % (proc.returncode, f.read()[-3000:]))
        try:
            return "Mode: standalone" in four_letter_word("127.0.0.1", port, "srvr", timeout=2)
        except OSError:
            return False

    wait_until(serving, timeout=30, interval=0.1, message="zk-server serving on %d" % port)


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def test_server_and_tools_from_console_scripts(venv, tmp_path):
    """zk-server on a copy of the packaged zoo.cfg (its port changed), zk-cli against it, then the
    data tools on what it wrote under the working directory (dataDir=./data), none in site-packages."""
    package = site_packages_package(venv)
    before = sorted(os.listdir(package))
    port = free_port()
    with open(os.path.join(package, "conf", "zoo.cfg")) as f:
        cfg = f.read().replace("clientPort=2181", "clientPort=%d" % port)
    assert "dataDir=./data" in cfg
    (tmp_path / "zoo.cfg").write_text(cfg + "admin.enableServer=false\n")
    proc = _start(venv, ["zoo.cfg"], str(tmp_path))
    try:
        _wait_serving(proc, port, str(tmp_path))
        ls = run(venv, "zk-cli", "-server", "127.0.0.1:%d" % port, "ls", "/", cwd=str(tmp_path))
        assert ls.returncode == 0, ls.stderr
        assert "[zookeeper]" in ls.stdout, ls.stdout
        create = run(venv, "zk-cli", "-server", "127.0.0.1:%d" % port, "create", "/installed", "yes",
                     cwd=str(tmp_path))
        assert "Created /installed" in create.stdout + create.stderr, (create.stdout, create.stderr)
    finally:
        assert _stop(proc) == 0
    version_2 = tmp_path / "data" / "version-2"
    logs = sorted(p for p in os.listdir(version_2) if p.startswith("log."))
    snaps = sorted(p for p in os.listdir(version_2) if p.startswith("snapshot."))
    assert logs and snaps, os.listdir(version_2)
    assert sorted(os.listdir(package)) == before  # nothing written into site-packages
    txns = run(venv, "zk-txn-log-toolkit", str(version_2 / logs[-1]), cwd=str(tmp_path))
    assert "/installed" in txns.stdout, txns.stdout + txns.stderr
    snapshot = run(venv, "zk-snapshot-toolkit", str(version_2 / snaps[0]), cwd=str(tmp_path))
    assert snapshot.returncode == 0 and "/zookeeper" in snapshot.stdout, snapshot.stdout + snapshot.stderr
    # zk-cleanup -n: the dataDir of the zoo.cfg in ZOOCFGDIR, as zkCleanup.sh does.
    cleanup = subprocess.run([str(venv / "bin" / "zk-cleanup"), "-n", "3"], capture_output=True, text=True,
                             timeout=60, cwd=str(tmp_path), env=clean_env(ZOOCFGDIR=str(tmp_path)))
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert sorted(os.listdir(version_2)) == sorted(logs + snaps)  # fewer than 3 snapshots: all kept


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def test_no_arguments_uses_the_packaged_defaults(venv, tmp_path):
    """zk-server alone: the packaged zoo.cfg (port 2181, AdminServer on 8080, ./data)."""
    if not (_port_free(2181) and _port_free(8080)):
        pytest.skip("port 2181 or 8080 is taken here: the packaged defaults cannot start")
    proc = _start(venv, [], str(tmp_path))
    try:
        _wait_serving(proc, 2181, str(tmp_path))
        wait_until((tmp_path / "data" / "version-2").is_dir, message="./data/version-2")
    finally:
        assert _stop(proc) == 0
    with open(tmp_path / "server.out", errors="replace") as f:
        out = f.read()
    # Logged through the packaged logging.yaml (log4j's layout), not the fallback console.
    assert "No logging configuration" not in out
    assert "[myid:] - INFO  [main:QuorumPeerConfig@" in out or "- INFO  [main:" in out, out[-2000:]
