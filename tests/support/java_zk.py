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
# Netty, for NettyServerCnxnFactory and ClientCnxnSocketNetty (TLS on the client port). Debian's
# zookeeper.jar manifest names netty-buffer, -common, -handler, -transport and -transport-native-epoll,
# but not these three; without them a Netty server fails every connection (its plaintext port too) and a
# Netty client cannot connect, and the quorum's TLS listener dies (see java_tls_quorum_works):
NETTY_JARS = [
    "/usr/share/java/netty-codec.jar",  # io.netty.handler.codec.ByteToMessageDecoder (server and client)
    "/usr/share/java/netty-resolver.jar",  # io.netty.resolver.AddressResolverGroup (the client's Bootstrap)
    "/usr/share/java/netty-transport-native-unix-common.jar",  # what the manifest's epoll jar links against
]
# The manifest's own netty jars, which TLS needs as well (checked by tls_missing_reason).
_MANIFEST_NETTY_JARS = ["/usr/share/java/netty-%s.jar" % n for n in ("buffer", "common", "handler", "transport")]


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


def tls_missing_reason():
    """Why Java ZooKeeper cannot serve or speak TLS here (Netty jars missing), or None when it can."""
    reason = missing_reason()
    if reason:
        return reason
    missing = [j for j in _MANIFEST_NETTY_JARS + NETTY_JARS if not os.path.exists(j)]
    if missing:
        return "Java ZooKeeper's TLS needs Netty: %s missing (apt-get install libnetty-java)" % ", ".join(missing)
    return None


def require_java_tls():
    reason = tls_missing_reason()
    if reason:
        pytest.skip(reason)


def classpath(conf_dir=None):
    """zookeeper.jar, jute, log4j, and the Netty jars TLS needs (harmless without TLS)."""
    jars = [ZK_JAR] + [j for j in _EXTRA_JARS + NETTY_JARS + _LOG_JARS if os.path.exists(j)]
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


# -- TLS on the client port (Java 3.8, checked by hand on Debian 12 + OpenJDK 17 with JKS, PKCS12 and PEM) --
#
# Server: zoo.cfg keys secureClientPort, serverCnxnFactory=NETTY_SERVER_CNXN_FACTORY (the NIO factory
# refuses a secure port: "SSL isn't supported in NIOServerCnxn") and ssl.keyStore.{location,password,type},
# ssl.trustStore.{location,password,type}; ssl.clientAuth defaults to need (a client without a certificate
# fails with "Empty client certificate chain"). Unknown zoo.cfg keys become zookeeper.* system properties,
# which is how serverCnxnFactory and the ssl.* keys reach Java.
# Client: the JVM flags of client_tls_flags, and NETTY_JARS on the class path.
# PEM stores (ssl.*.type=PEM): the key store is one file with a PKCS#8 key ("BEGIN PRIVATE KEY") and the
# certificate chain; with a password the key must be PKCS#8 encrypted with PBES1 (e.g. openssl pkcs8
# -topk8 -v1 PBE-SHA1-3DES): a PBES2/AES key fails ("PBES2 SecretKeyFactory not available"), an unencrypted
# key given a password fails ("overrun"), and a PKCS#1 key ("BEGIN RSA PRIVATE KEY") fails ("algid parse
# error"). The trust store is a file of CA certificates; its password is not used.
NETTY_SERVER_CNXN_FACTORY = "org.apache.zookeeper.server.NettyServerCnxnFactory"
CLIENT_TLS_FLAGS = (
    "-Dzookeeper.client.secure=true",
    "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
)


def client_tls_flags(key_store, trust_store, password=None, store_type=None, trust_password=None):
    """The JVM flags of a Java TLS client (zkCli, ZooKeeper): CLIENT_TLS_FLAGS and its zookeeper.ssl.* stores.

    `key_store` may be None (no client certificate); `store_type` JKS, PKCS12 or PEM (Java guesses it
    from the file extension when None); `trust_password` defaults to `password`."""
    flags = list(CLIENT_TLS_FLAGS)
    trust_password = password if trust_password is None else trust_password
    for name, location, secret in (("keyStore", key_store, password), ("trustStore", trust_store, trust_password)):
        if location is None:
            continue
        flags.append("-Dzookeeper.ssl.%s.location=%s" % (name, location))
        if secret is not None:
            flags.append("-Dzookeeper.ssl.%s.password=%s" % (name, secret))
        if store_type is not None:
            flags.append("-Dzookeeper.ssl.%s.type=%s" % (name, store_type))
    return flags


# -- TLS between quorum members (sslQuorum=true, ssl.quorum.* keys) ----------------------------------
#
# Java alone elects with sslQuorum=true, with and without portUnification=true, and re-elects after its
# leader is killed, PROVIDED netty-codec is on its class path. Without it (the class path of Debian's
# zookeeper.jar manifest) every member's election listener dies on its first TLS connection: the quorum
# socket (UnifiedServerSocket$UnifiedSocket.detectMode) asks Netty's SslHandler.isEncrypted whether the
# first bytes are TLS, SslHandler extends io.netty.handler.codec.ByteToMessageDecoder, and the
# NoClassDefFoundError, an Error rather than an IOException, ends the ListenerHandler thread unlogged;
# the log then says only "Leaving listener" and "As I'm leaving the listener thread, I won't be able to
# participate in leader election any longer", and no quorum forms. classpath() now carries NETTY_JARS.
# Protocol: Java 3.8.0 speaks TLSv1.2 by default (X509Util.DEFAULT_PROTOCOL) with its own cipher list (ECDHE
# with AES-GCM, then AES-CBC, for ECDSA and RSA keys); ssl.quorum.protocol=TLSv1.3 alone fails ("No
# appropriate protocol"), TLSv1.3 works only with ssl.quorum.ciphersuites=TLS_AES_128_GCM_SHA256,... .
# ssl.quorum.hostnameVerification (default true) passes with certificates whose SAN has 127.0.0.1.

_quorum_tls_results = {}


def java_tls_quorum_works(tmp_dir, port_unification=False, timeout=60):
    """(True, "") when three Java members elect over sslQuorum (and re-elect after the leader is killed),
    else (False, reason); run once per session and flavour, in `tmp_dir`.

    Tests of mixed TLS quora call it to skip with the reason where Java cannot run TLS quora here."""
    key = bool(port_unification)
    if key not in _quorum_tls_results:
        _quorum_tls_results[key] = _check_java_tls_quorum(str(tmp_dir), key, timeout)
    return _quorum_tls_results[key]


def _check_java_tls_quorum(tmp_dir, port_unification, timeout):
    reason = tls_missing_reason()
    if reason:
        return False, reason
    from tests.support.ensemble import Ensemble
    from tests.support.tls import TlsMaterial

    base = os.path.join(tmp_dir, "java-tls-quorum%s" % ("-unified" if port_unification else ""))
    cfg = {"sslQuorum": "true"}
    cfg.update(TlsMaterial(os.path.join(base, "tls")).zoo_cfg_keys("pkcs12", prefix="ssl.quorum."))
    if port_unification:
        cfg["portUnification"] = "true"
    ens = Ensemble(base, kinds=["java"] * 3, extra_cfg=cfg)
    stage = "first election"
    try:
        ens.start()
        leader = ens.wait_for_quorum(timeout=timeout)
        stage = "re-election after the leader (%d) was killed" % leader
        ens.kill(leader)
        ens.wait_for_quorum(timeout=timeout)
        return True, ""
    except (TimeoutError, RuntimeError) as e:
        logs = "\n".join(ens.log(sid) for sid in ens.servers)
        why = "Java 3.8 members with sslQuorum=true%s failed the %s" % (
            " and portUnification=true" if port_unification else "", stage)
        if "leaving the listener thread" in logs:
            why += " (an election listener ended: \"As I'm leaving the listener thread\")"
        return False, "%s: %s" % (why, str(e).splitlines()[0][:300])
    finally:
        ens.stop()
