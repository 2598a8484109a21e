"""Java's zkCli (org.apache.zookeeper.ZooKeeperMain, 3.8) and ours (zookeeper_py.zookeeper_main) as test
clients, and output normalisers.

The CLI runs with slf4j-nop, so stdout and stderr hold only what ZooKeeperMain prints.
"""

import os
import re
import subprocess
import sys

from tests.support import java_zk
from tests.support.servers import REPO

_NOP_LOGGER = "/usr/share/java/slf4j-nop.jar"


def cli_classpath():
    # zookeeper.jar's manifest names zookeeper-jute, slf4j-api, commons-cli and the rest; Netty's
    # codec and resolver (ClientCnxnSocketNetty, TLS) it lacks.
    jars = [java_zk.ZK_JAR, "/usr/share/java/zookeeper-jute.jar"]
    jars += [j for j in java_zk.NETTY_JARS if os.path.exists(j)]
    if os.path.exists(_NOP_LOGGER):
        jars.append(_NOP_LOGGER)
    return ":".join(jars)


def run_zkcli(address, args=(), script=None, timeout=120, jvm_flags=()):
    """Run ZooKeeperMain -server address [args]; feed `script` on stdin (interactive mode without JLine).

    `jvm_flags` go before the class name, as zkCli.sh's CLIENT_JVMFLAGS do: for TLS,
    java_zk.client_tls_flags(...) (the Netty jars are on the class path already)."""
    java_zk.require_java_zookeeper()
    cmd = [java_zk.java_executable(), "-cp", cli_classpath(), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
           *jvm_flags, "org.apache.zookeeper.ZooKeeperMain", "-server", address, *args]
    return subprocess.run(cmd, input=script if script is not None else "", capture_output=True, text=True,
                          timeout=timeout)


def run_our_zkcli(address, args=(), script=None, timeout=60, client_jvmflags=None):
    """Run our zkCli (python -m zookeeper_py.zookeeper_main -server address [args]) with `script` on stdin;
    `client_jvmflags` (a string) is what it reads from CLIENT_JVMFLAGS (-D system properties), as zkCli.sh."""
    env = dict(os.environ, PYTHONPATH=REPO)
    if client_jvmflags is not None:
        env["CLIENT_JVMFLAGS"] = client_jvmflags
    return subprocess.run([sys.executable, "-m", "zookeeper_py.zookeeper_main", "-server", address, *args],
                          input=script if script is not None else "", capture_output=True, text=True,
                          timeout=timeout, env=env)


# A watch event is printed by the CLI's event thread as two atomic println("\n" + msg) calls,
# so it may land between any two lines of a command's output: take them out as a list.
_EVENT = re.compile(r"\n(WATCHER::|WatchedEvent [^\n]*)\n")
_TIME = re.compile(r"^(ctime|mtime) = .*$", re.M)
_ZXID = re.compile(r"^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$", re.M)
_OWNER = re.compile(r"^ephemeralOwner = 0x([0-9a-f]+)$", re.M)
_ADDRESS = re.compile(r"127\.0\.0\.1:\d+")


def _mask_owner(m):
    value = m.group(1)
    # 0 (persistent), 0x80.. (container) and 0xff.. (TTL) are node types, not sessions: keep them.
    if value == "0" or (len(value) == 16 and value[0] in "8f"):
        return m.group(0)
    return "ephemeralOwner = <session>"


def split_events(stdout):
    """(stdout without watch-event lines, [event lines in order])."""
    events = [m.group(1) for m in _EVENT.finditer(stdout)]
    return _EVENT.sub("", stdout), events


def mask(text):
    """Mask what legitimately differs between two servers: times, zxids, session ids, the port."""
    text = _ADDRESS.sub("127.0.0.1:<port>", text)
    text = _TIME.sub(lambda m: m.group(1) + " = <time>", text)
    text = _ZXID.sub(lambda m: m.group(1) + " = <zxid>", text)
    return _OWNER.sub(_mask_owner, text)
