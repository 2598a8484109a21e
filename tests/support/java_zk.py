"""Java ZooKeeper 3.8 (Debian package `zookeeper`) as a test peer: find it, run its classes, run a server.

Tests that need it call `require_java_zookeeper()`, which skips with the reason when the
jar or a JVM is missing.
"""

import os
import shutil
import subprocess
import time

import pytest

from tests.support.net import free_port, wait_for_port

ZK_JAR = os.environ.get("ZK_JAVA_JAR", "/usr/share/java/zookeeper.jar")
ZK_BIN = os.environ.get("ZK_JAVA_BIN", "/usr/share/zookeeper/bin")
# log4j 1.2 through slf4j, so the Java server's log can be read (Debian ships both jars).
_LOG_JARS = ["/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"]
_EXTRA_JARS = ["/usr/share/java/zookeeper-jute.jar"]


def java_executable():
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


def missing_reason():
    """Why Java ZooKeeper cannot run here, or None when it can."""
    if not os.path.exists(ZK_JAR):
        return "Java ZooKeeper is not installed (%s missing; apt-get install zookeeper)" % ZK_JAR
    if not java_executable():
        return "no java executable on PATH"
    return None


def require_java_zookeeper():
    reason = missing_reason()
    if reason:
        pytest.skip(reason)


def classpath(conf_dir=None):
    jars = [ZK_JAR] + [j for j in _EXTRA_JARS + _LOG_JARS if os.path.exists(j)]
    if conf_dir:
        jars.insert(0, conf_dir)
    return ":".join(jars)


LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={log}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{{ISO8601}} [myid:%X{{myid}}] - %-5p [%t:%C{{1}}@%L] - %m%n
"""


def run_java_class(main_class, args, timeout=60, input=None, jvm_flags=()):
    """Run a class from the ZooKeeper jar; returns CompletedProcess (text)."""
    cmd = [java_executable(), "-cp", classpath(), *jvm_flags, main_class, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)


class JavaZooKeeperServer:
    """A Java ZooKeeper server process (QuorumPeerMain) on a zoo.cfg of its own."""

    def __init__(self, base_dir, client_port=None, extra_cfg=None, jvm_flags=(), myid=None):
        self.base_dir = base_dir
        self.data_dir = os.path.join(base_dir, "data")
        self.client_port = client_port or free_port()
        self.cfg_path = os.path.join(base_dir, "zoo.cfg")
        self.log_path = os.path.join(base_dir, "zookeeper.log")
        self.out_path = os.path.join(base_dir, "zookeeper.out")
        self.jvm_flags = list(jvm_flags)
        self.proc = None
        os.makedirs(self.data_dir, exist_ok=True)
        if myid is not None:
            with open(os.path.join(self.data_dir, "myid"), "w") as f:
                f.write(str(myid))
        cfg = {
            "tickTime": "2000",
            "initLimit": "10",
            "syncLimit": "5",
            "dataDir": self.data_dir,
            "clientPort": str(self.client_port),
            "4lw.commands.whitelist": "*",
            "admin.enableServer": "false",
        }
        cfg.update(extra_cfg or {})
        with open(self.cfg_path, "w") as f:
            for k, v in cfg.items():
                f.write("%s=%s\n" % (k, v))
        with open(os.path.join(base_dir, "log4j.properties"), "w") as f:
            f.write(LOG4J_PROPERTIES.format(log=self.log_path))

    def start(self, wait=True, timeout=30):
        cmd = [
            java_executable(),
            "-cp", classpath(self.base_dir),
            "-Dlog4j.configuration=file:" + os.path.join(self.base_dir, "log4j.properties"),
            "-Dzookeeper.jmx.log4j.disable=true",
            *self.jvm_flags,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            self.cfg_path,
        ]
        self.out = open(self.out_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT)
        if wait:
            self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout=30):
        """Wait until `srvr` shows a Mode line (the server answers requests)."""
        from tests.support.net import four_letter_word

        deadline = time.time() + timeout
        last = ""
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("Java ZooKeeper exited with %s; see %s" % (self.proc.returncode, self.log_path))
            try:
                last = four_letter_word("127.0.0.1", self.client_port, "srvr", timeout=2)
                if "Mode:" in last:
                    return last
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("Java ZooKeeper on port %d not serving after %ss: %r" % (self.client_port, timeout, last))

    @property
    def address(self):
        return "127.0.0.1:%d" % self.client_port

    def stop(self, kill=False):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None
        self.out.close()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""
