"""Java ZooKeeper 3.8 (Debian package `zookeeper`) as a test peer: find it, run its classes, run a server.

Tests that need it call `require_java_zookeeper()`, which skips with the reason when the
jar or a JVM is missing.
"""

import os
import shutil
import subprocess

import pytest

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
