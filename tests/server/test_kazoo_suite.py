"""kazoo's own tests (the kazoo.tests package of the installed kazoo) against Java ZooKeeper 3.8 and against ours.

kazoo's harness (kazoo.testing.harness, kazoo.testing.common.ManagedZooKeeper) starts a
3-member ensemble itself: it writes each member's zoo.cfg (clientPort, secureClientPort,
serverCnxnFactory=NettyServerCnxnFactory, authProvider.1=SASLAuthenticationProvider, JKS
stores it makes with pyOpenSSL and pyjks, reconfigEnabled, server.N lines) and runs
`java -cp $ZOOKEEPER_CLASSPATH -D... org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg`.
Against Java that is the real java with java_zk.classpath() (which has the Netty jars TLS
needs); against ours, tests/support/java_shim/java first on PATH turns that command line into
`python -m zookeeper_py.server.quorum.quorum_peer_main -D... zoo.cfg`.

The kazoo tests run with pytest in a subprocess (their harness is module-global and
terminates its cluster at exit), in a directory of their own, on a free block of ports.
"""

import importlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.support import java_zk
from tests.support.servers import PythonServer

pytestmark = pytest.mark.slow

SHIM_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "java_shim")
CLUSTER_SIZE = 3
# The kazoo test classes run here, one subprocess (and cluster) each; every test of a class must
# pass, none be skipped. TestReconfig is issue 13's (dynamic reconfiguration).
KAZOO_TESTS = [
    ("kazoo.tests.test_client", "TestSSLClient"),
    ("kazoo.tests.test_client", "TestReconfig"),
]
# ZOOKEEPER_VERSION: kazoo skips or configures by it (>= 3.5: reconfigEnabled, the super digest).
VERSIONS = {"java": "3.8.0", "python": "3.5.7", "mixed": "3.8.0"}
# kind "mixed": members 1 and 2 are Java 3.8, member 3 is ours (the shim's ZK_SHIM_JAVA_MYIDS).
MIXED_JAVA_MYIDS = ("1", "2")


def harness_missing_reason():
    """Why kazoo's test harness cannot run in this interpreter, or None."""
    try:
        for name in ("jks", "OpenSSL", "kazoo.tests"):  # kazoo.testing.common imports the first two
            importlib.import_module(name)
    except ImportError as e:
        return "kazoo's test harness needs pyOpenSSL, pyjks and kazoo.tests (the test extras): %s" % e
    OpenSSL = sys.modules["OpenSSL"]
    if not hasattr(OpenSSL.crypto, "X509Extension"):
        return ("pyOpenSSL %s has no crypto.X509Extension, which kazoo's harness uses to make its CA "
                "(removed in pyOpenSSL 26.2; setup.cfg asks for <26.2)" % OpenSSL.__version__)
    return None


def free_port_block(span, attempts=200):
    """A base port b with b .. b+span-1 all free, below Linux's ephemeral range (32768-)."""
    for _ in range(attempts):
        base = random.randrange(20000, 32768 - span, 10)
        socks = []
        try:
            for port in range(base, base + span):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of %d ports" % span)


def run_kazoo_tests(kind, work_dir, module, selection, timeout=240):
    """Run kazoo's tests of `module` matching -k `selection` against `kind` ("java" or "python"),
    stopping at the first failure; return (junit results, output).

    results: {"Class": {"passed": [...], "failed": [...], "skipped": [...]}} (by class name: run by
    --pyargs from outside site-packages, pytest's junit classnames lose the module, ".TestSSLClient")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOKEEPER_")}
    env.update({
        "ZOOKEEPER_VERSION": VERSIONS[kind],
        "ZOOKEEPER_CLUSTER_SIZE": str(CLUSTER_SIZE),
        "ZOOKEEPER_PORT_OFFSET": str(free_port_block(10 * CLUSTER_SIZE)),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if kind == "java":
        env["ZOOKEEPER_CLASSPATH"] = java_zk.classpath()
        java = java_zk.java_executable()
        if shutil.which("java", path=env.get("PATH")) != java:  # $JAVA_HOME's, as java_zk chose
            env["PATH"] = os.path.dirname(java) + os.pathsep + env.get("PATH", "")
    else:
        env["ZOOKEEPER_CLASSPATH"] = "(unused by the java shim)"
        env["PATH"] = SHIM_DIR + os.pathsep + env.get("PATH", "")
        env["ZK_SHIM_PYTHON"] = PythonServer.python
        env["ZK_SHIM_REAL_JAVA"] = "none"  # whatever else runs `java` fails, never runs Java
        env["ZK_SHIM_LOG"] = os.path.join(work_dir, "shim.log")
        if kind == "mixed":
            env["ZOOKEEPER_CLASSPATH"] = java_zk.classpath()
            env["ZK_SHIM_REAL_JAVA"] = java_zk.java_executable()
            env["ZK_SHIM_JAVA_MYIDS"] = ",".join(MIXED_JAVA_MYIDS)
    junit = os.path.join(work_dir, "kazoo-junit.xml")
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-rfEs",
           "-W", "ignore::DeprecationWarning", "--timeout=120", "--junitxml=" + junit,
           "--pyargs", module, "-k", selection]
    proc = subprocess.Popen(cmd, cwd=work_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # pytest and the servers its harness started
        output, _ = proc.communicate()
        pytest.fail("kazoo's tests against %s took more than %ss:\n%s" % (kind, timeout, output[-6000:]))
    results = {}
    if os.path.exists(junit):
        for case in ET.parse(junit).getroot().iter("testcase"):
            outcome = "passed"
            for child in case:
                if child.tag in ("failure", "error"):
                    outcome = "failed"
                elif child.tag == "skipped":
                    outcome = "skipped"
            cls = case.get("classname", "").rsplit(".", 1)[-1]
            entry = results.setdefault(cls, {"passed": [], "failed": [], "skipped": []})
            entry[outcome].append(case.get("name"))
    return results, output


@pytest.mark.parametrize("kind", ["java", "python"])
@pytest.mark.parametrize("module,test_class", KAZOO_TESTS, ids=[cls for _, cls in KAZOO_TESTS])
def test_kazoo_own_tests(kind, module, test_class, tmp_path):
    reason = harness_missing_reason()
    if reason:
        pytest.skip(reason)
    if kind == "java":
        java_zk.require_java_tls()
    results, output = run_kazoo_tests(kind, str(tmp_path), module, test_class)
    entry = results.get(test_class, {"passed": [], "failed": [], "skipped": []})
    assert entry["passed"] and not entry["failed"] and not entry["skipped"], \
        "kazoo's %s.%s against %s: passed %s, failed %s, skipped %s\n\n%s" % (
            module, test_class, kind, entry["passed"], entry["failed"], entry["skipped"], output[-8000:])
    if kind == "python":
        with open(os.path.join(str(tmp_path), "shim.log")) as f:
            launched = f.read().splitlines()
        assert len(launched) >= CLUSTER_SIZE and all(" zookeeper_py.server.quorum.quorum_peer_main " in line
                                                      for line in launched), launched


def test_kazoo_reconfig_two_java_members_and_one_of_ours(tmp_path):
    """kazoo's TestReconfig on a mixed ensemble: members 1 and 2 Java 3.8, member 3 ours."""
    reason = harness_missing_reason()
    if reason:
        pytest.skip(reason)
    java_zk.require_java_tls()
    results, output = run_kazoo_tests("mixed", str(tmp_path), "kazoo.tests.test_client", "TestReconfig")
    entry = results.get("TestReconfig", {"passed": [], "failed": [], "skipped": []})
    assert entry["passed"] and not entry["failed"] and not entry["skipped"], \
        "kazoo's TestReconfig, 2 Java + 1 Python: passed %s, failed %s, skipped %s\n\n%s" % (
            entry["passed"], entry["failed"], entry["skipped"], output[-8000:])
    with open(os.path.join(str(tmp_path), "shim.log")) as f:
        launched = f.read().splitlines()
    java = sorted({line.split()[1] for line in launched if line.startswith("java myid=")})
    ours = [line for line in launched if " zookeeper_py.server.quorum.quorum_peer_main " in line]
    assert java == ["myid=%s" % m for m in MIXED_JAVA_MYIDS] and ours, launched
