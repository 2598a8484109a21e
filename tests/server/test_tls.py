"""TLS on the client port: secureClientPort, client.portUnification, X.509 authentication.

Each test that a Java server can also run runs once against ours and once against Java
ZooKeeper 3.8 with Netty (where installed), with the same keys and the same expectations.
Stores are made by tests/support/tls.py (keytool for JKS and PKCS12, cryptography for PEM).
"""

import os
import socket
import ssl
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id, Permissions

from tests.support import java_cli, java_zk
from tests.support.net import four_letter_word, free_port, read_to_end
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import JavaServer, PythonServer, pypy_python
from tests.support.tls import session_tls_material
from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.common.x509_util import X509Exception
from zookeeper_py.proto import ConnectRequest
from zookeeper_py.server.auth.x509_authentication_provider import subject_dn
from zookeeper_py.zookeeper import ZooKeeper

KINDS = {"python": PythonServer, "java": JavaServer}


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return session_tls_material(tmp_path_factory)


def start_secure(kind, tmp_path_factory, tls, store="pkcs12", extra=None, flags=()):
    base = str(tmp_path_factory.mktemp(kind + "-tls"))
    cfg = {"secureClientPort": str(free_port())}
    cfg.update(tls.zoo_cfg_keys(store))
    cfg.update(extra or {})
    server = KINDS["python" if kind == "pypy" else kind](base, extra_cfg=cfg, flags=flags)
    if kind == "pypy":
        server.python = pypy_python()
        if server.python is None:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
    server.secure_port = int(cfg["secureClientPort"])
    server.start()
    return server


@pytest.fixture(params=["python", "java", "pypy"])
def secure_server(request, tmp_path_factory, tls):
    """Ours on CPython, Java 3.8, and ours on PyPy (whose ssl differs: see clear_openssl_errors)."""
    server = start_secure(request.param, tmp_path_factory, tls)
    yield server
    server.stop()


def kazoo_tls(tls, port, client="client", timeout=15):
    cert, key, ca = tls.client_pem(client)
    zk = KazooClient(hosts="127.0.0.1:%d" % port, use_ssl=True, certfile=cert, keyfile=key, ca=ca,
                     verify_certs=True, timeout=timeout)
    zk.start(timeout=timeout)
    return zk


def tls_socket(tls, port, client="client", timeout=5):
    """A TLS connection to the port, with `client`'s certificate (None: no certificate)."""
    ctx = ssl.create_default_context(cafile=tls.client_pem()[2])
    if client is not None:
        cert, key, _ = tls.client_pem(client)
        ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def refused(tls, port, client):
    """True when the server will not give `client` a session: the handshake fails, or (TLS 1.3,
    where the client finishes first) the connection is closed before a ConnectResponse.
    A server that does not answer within the timeout fails the test: silence is not a refusal."""
    try:
        with tls_socket(tls, port, client, timeout=15) as s:
            s.sendall(b"\0\0\0\x2d" + ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes() + b"\0")
            return s.recv(4096) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def plain_client_works(port):
    with RawClient("127.0.0.1", port, timeout=5) as c:
        c.connect()
    return True


@pytest.mark.parametrize("store", ["pem", "jks", "pkcs12"])
@pytest.mark.parametrize("kind", ["python", "java"])
def test_kazoo_over_tls(kind, store, tmp_path_factory, tls):
    """kazoo with use_ssl (certfile, keyfile, ca) against a secure port served from each kind of store."""
    server = start_secure(kind, tmp_path_factory, tls, store=store)
    try:
        zk = kazoo_tls(tls, server.secure_port)
        try:
            big = os.urandom(300 * 1024)  # several TLS records each way
            zk.create("/tls", big)
            assert zk.get("/tls")[0] == big
            for i in range(50):
                zk.set("/tls", b"%d" % i)
            assert zk.get("/tls")[0] == b"49"
        finally:
            zk.stop()
            zk.close()
        # The plain port still serves plaintext, next to the secure one.
        assert plain_client_works(server.client_port)
    finally:
        server.stop()


def test_client_certificate_needed(secure_server, tls):
    """ssl.clientAuth defaults to need: no client certificate, no session; with one, a session."""
    assert refused(tls, secure_server.secure_port, None)
    assert not refused(tls, secure_server.secure_port, "client")


def test_certificate_from_another_ca_refused(secure_server, tls):
    tls.add_client("mallory", ca="other")
    assert refused(tls, secure_server.secure_port, "mallory")
    assert not refused(tls, secure_server.secure_port, "client")


def test_client_auth_none_and_want(tmp_path_factory, tls):
    """none: an anonymous TLS client gets a session; want: so does it, and a certified one too."""
    for auth in ("none", "want"):
        server = start_secure("python", tmp_path_factory, tls, extra={"ssl.clientAuth": auth})
        try:
            assert not refused(tls, server.secure_port, None)
            assert not refused(tls, server.secure_port, "client")
        finally:
            server.stop()


def test_plaintext_client_on_secure_port_is_dropped(secure_server, tls):
    zk = kazoo_tls(tls, secure_server.secure_port)
    try:
        zk.create("/before", b"1")
        with pytest.raises((ConnectionClosed, OSError)):
            with RawClient("127.0.0.1", secure_server.secure_port, timeout=5) as c:
                c.connect()
        assert zk.get("/before")[0] == b"1"  # the TLS client did not notice
    finally:
        zk.stop()
        zk.close()


@pytest.mark.parametrize("payload", [b"", b"\x16\x03\x01\x00", os.urandom(64)], ids=["silent", "half-hello", "garbage"])
def test_silent_or_garbage_connection_costs_only_itself(payload, tmp_path_factory, tls, request):
    """On ours, a connection that says nothing useful is closed within ssl.handshakeDetectionTimeoutMillis,
    and other clients are served meanwhile."""
    server = start_secure("python", tmp_path_factory, tls, extra={"ssl.handshakeDetectionTimeoutMillis": "1000"})
    try:
        bad = socket.create_connection(("127.0.0.1", server.secure_port), timeout=10)
        bad.sendall(payload)
        zk = kazoo_tls(tls, server.secure_port)
        zk.create("/meanwhile", b"1")
        start = time.time()
        try:
            closed = bad.recv(4096)
        except ConnectionResetError:
            closed = b""
        # The deadline falls on a tick of ConnnectionExpirer (here 1 s): within two ticks, not the
        # 10 s sessionless timeout.
        assert closed == b"" and time.time() - start < 4
        assert zk.get("/meanwhile")[0] == b"1"
        zk.stop()
        zk.close()
    finally:
        server.stop()


def test_a_handshake_trickled_a_byte_at_a_time_is_closed_at_its_deadline(tmp_path_factory, tls):
    """ssl.handshakeDetectionTimeoutMillis counts from the accept, as Netty's does: a ClientHello
    sent a byte every 0.25 s must not hold the connection (each byte read used to put the deadline
    off, and 300 such connections kept out every real client)."""
    server = start_secure("python", tmp_path_factory, tls, extra={"ssl.handshakeDetectionTimeoutMillis": "1000"})
    try:
        hello_out = ssl.MemoryBIO()
        client = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), hello_out)
        with pytest.raises(ssl.SSLWantReadError):
            client.do_handshake()
        hello = hello_out.read()
        bad = socket.create_connection(("127.0.0.1", server.secure_port), timeout=10)
        start = time.time()
        sent = 0
        try:
            while sent < len(hello) and time.time() - start < 8:
                bad.sendall(hello[sent:sent + 1])
                sent += 1
                time.sleep(0.25)
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed_after = time.time() - start
        assert sent < len(hello), "the whole ClientHello (%d bytes) went in at a byte per 0.25 s" % len(hello)
        # the deadline falls on a tick of ConnnectionExpirer (here 1 s): within two ticks and the
        # write that finds the connection closed
        assert closed_after < 4
        bad.close()
    finally:
        server.stop()


def test_four_letter_word_over_tls(secure_server, tls):
    # Java's Netty now and then resets the connection right after its answer (seen about once in
    # forty runs under load), which loses the answer in the kernel; it gets a second try. Ours
    # closes cleanly and gets none.
    for attempt in range(2 if secure_server.kind == "java" else 1):
        with tls_socket(tls, secure_server.secure_port) as s:
            s.sendall(b"ruok")
            try:
                answer = read_to_end(s)
            except ConnectionResetError:
                if attempt:
                    raise
                continue
        assert answer == b"imok"
        break


def test_x509_acl(tmp_path_factory, tls):
    """A znode with ACL x509:<subject DN> is readable with that certificate only; the DN is the one
    Java writes (RFC 2253), so the same ACL works on both servers."""
    alice_subject = "CN=alice,OU=dev+UID=42,O=Example\\, Inc.,C=DE"
    tls.add_client("alice", subject=alice_subject)
    tls.add_client("bob")
    tls.add_client("admin", subject="CN=zk admin,O=ops")
    alice_dn = subject_dn(tls.cert_der("alice"))
    admin_dn = subject_dn(tls.cert_der("admin"))
    for kind in ("python", "java"):
        if kind == "java" and java_zk.tls_missing_reason():
            continue
        server = start_secure(kind, tmp_path_factory, tls,
                              flags=["-Dzookeeper.X509AuthenticationProvider.superUser=" + admin_dn])
        try:
            alice = kazoo_tls(tls, server.secure_port, "alice")
            bob = kazoo_tls(tls, server.secure_port, "bob")
            admin = kazoo_tls(tls, server.secure_port, "admin")
            try:
                alice.create("/secret", b"s", acl=[ACL(Permissions.ALL, Id("x509", alice_dn))])
                assert alice.get("/secret")[0] == b"s", kind
                with pytest.raises(NoAuthError):
                    bob.get("/secret")
                assert admin.get("/secret")[0] == b"s", kind  # superUser through x509
                assert alice.get_acls("/secret")[0][0].id.id == alice_dn
            finally:
                for c in (alice, bob, admin):
                    c.stop()
                    c.close()
        finally:
            server.stop()
    if java_zk.tls_missing_reason():
        pytest.skip("ours passed; " + java_zk.tls_missing_reason())


@pytest.mark.parametrize("kind", ["python", "java"])
def test_port_unification(kind, tmp_path_factory, tls):
    """client.portUnification=true: the plain port takes plaintext and TLS clients and four-letter words."""
    base = str(tmp_path_factory.mktemp(kind + "-unified"))
    cfg = dict(tls.zoo_cfg_keys("pkcs12"))
    cfg["client.portUnification"] = "true"
    # Java registers the x509 provider only for a secureClientPort (QuorumPeerConfig.configureSSLAuth);
    # without this key it closes every unified TLS client that shows a certificate. Ours registers it
    # for port unification too.
    cfg["authProvider.x509"] = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"
    if kind == "java":
        cfg["serverCnxnFactory"] = java_zk.NETTY_SERVER_CNXN_FACTORY
        java_zk.require_java_tls()
    server = KINDS[kind](base, extra_cfg=cfg)
    server.start()
    try:
        zk = kazoo_tls(tls, server.client_port)
        plain = KazooClient(hosts=server.address, timeout=15)
        plain.start(timeout=15)
        try:
            zk.create("/u", b"tls")
            assert plain.get("/u")[0] == b"tls"
            assert "imok" in four_letter_word("127.0.0.1", server.client_port, "ruok")
        finally:
            for c in (zk, plain):
                c.stop()
                c.close()
    finally:
        server.stop()


# -- Java's zkCli against ours, ours against Java's -----------------------------------------

ZKCLI_SCRIPT = "create /cli-tls hello\nget /cli-tls\nls /\nset /cli-tls bye\nget /cli-tls\nquit\n"


def _cli_lines(stdout):
    return [line for line in stdout.splitlines() if line.strip() in ("hello", "bye", "Created /cli-tls")
            or line.startswith("[")]


def test_java_zkcli_against_our_secure_port(tmp_path_factory, tls):
    java_zk.require_java_tls()
    server = start_secure("python", tmp_path_factory, tls, store="jks")
    try:
        flags = tls.java_client_flags("jks")
        result = java_cli.run_zkcli("127.0.0.1:%d" % server.secure_port, script=ZKCLI_SCRIPT, jvm_flags=flags)
        lines = _cli_lines(result.stdout + result.stderr)
        assert "Created /cli-tls" in lines and "hello" in lines and "bye" in lines, result.stdout + result.stderr
        assert any("cli-tls" in line and "zookeeper" in line for line in lines)
    finally:
        server.stop()


def _client_properties(tls, tmp_path, kind="pkcs12"):
    path = os.path.join(str(tmp_path), "client.properties")
    props = dict(tls.properties(kind))
    props[ZKClientConfig.SECURE_CLIENT] = "true"
    props[ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET] = "org.apache.zookeeper.ClientCnxnSocketNetty"
    with open(path, "w") as f:
        f.writelines("%s=%s\n" % kv for kv in props.items())
    return path


def test_our_zkcli_against_java_secure_port(tmp_path_factory, tls, tmp_path):
    java_zk.require_java_tls()
    server = start_secure("java", tmp_path_factory, tls, store="jks")
    try:
        result = java_cli.run_our_zkcli("127.0.0.1:%d" % server.secure_port, script=ZKCLI_SCRIPT,
                                        args=["-client-configuration", _client_properties(tls, tmp_path)])
        lines = _cli_lines(result.stdout + result.stderr)
        assert "Created /cli-tls" in lines and "hello" in lines and "bye" in lines, result.stdout + result.stderr
    finally:
        server.stop()


# -- our client library ---------------------------------------------------------------------

def _secure_config(tls, kind="pem", **overrides):
    config = ZKClientConfig()
    for key, value in tls.properties(kind).items():
        config.set_property(key, value)
    config.set_property(ZKClientConfig.SECURE_CLIENT, "true")
    for key, value in overrides.items():
        config.set_property(key, value)
    return config


def _wait_connected(zk, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if zk.get_state().is_connected():
            return True
        time.sleep(0.05)
    return False


def test_our_client_over_tls_never_falls_back_to_plaintext(secure_server, tls):
    zk = ZooKeeper("127.0.0.1:%d" % secure_server.secure_port, 10000, client_config=_secure_config(tls))
    try:
        assert _wait_connected(zk, 15)
        assert zk.exists("/zookeeper", False) is not None
    finally:
        zk.close()
    # Against the plaintext port, the secure client must not get a session.
    zk = ZooKeeper(secure_server.address, 10000, client_config=_secure_config(tls))
    try:
        assert not _wait_connected(zk, 3)
    finally:
        zk.close()


def test_our_client_with_unloadable_store_raises(tls, tmp_path):
    config = _secure_config(tls, **{"zookeeper.ssl.trustStore.location": str(tmp_path / "missing.jks"),
                                    "zookeeper.ssl.trustStore.password": "x"})
    with pytest.raises(X509Exception) as e:
        ZooKeeper("127.0.0.1:1", 10000, client_config=config)
    assert "zookeeper.ssl.trustStore.location" in str(e.value) and "missing.jks" in str(e.value)


# -- settings that cannot be honoured stop the server ------------------------------------------

@pytest.mark.parametrize("case", ["missing-keystore", "wrong-password", "crl", "bad-client-auth"])
def test_bad_tls_setting_stops_the_server(case, tmp_path, tls):
    cfg = {"secureClientPort": str(free_port())}
    cfg.update(tls.zoo_cfg_keys("pkcs12"))
    expect = []
    if case == "missing-keystore":
        cfg["ssl.keyStore.location"] = str(tmp_path / "nowhere.p12")
        expect = ["ssl.keyStore.location", "nowhere.p12"]
    elif case == "wrong-password":
        cfg["ssl.keyStore.password"] = "not-the-password"
        expect = ["ssl.keyStore.location", cfg["ssl.keyStore.location"]]
    elif case == "crl":
        cfg["ssl.crl"] = "true"
        expect = ["ssl.crl"]
    else:
        cfg["ssl.clientAuth"] = "sometimes"
        expect = ["ssl.clientAuth", "sometimes"]
    server = PythonServer(str(tmp_path), extra_cfg=cfg)
    code, output = server.run_to_exit(30)
    assert code == 2, output
    for word in expect:
        assert word in output
    # Nothing listened in plaintext meanwhile: the client port was never opened for clients.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.client_port), timeout=1).close()


def test_netty_factory_name_is_served_and_said(tmp_path_factory, tls):
    server = start_secure("python", tmp_path_factory, tls,
                          extra={"serverCnxnFactory": "org.apache.zookeeper.server.NettyServerCnxnFactory"})
    try:
        assert not refused(tls, server.secure_port, "client")
        assert "NettyServerCnxnFactory would" in server.all_output()
    finally:
        server.stop()


def test_our_client_checks_the_server_name(tmp_path_factory, tls):
    """ssl.hostnameVerification (default true): a server certificate that does not name the address
    connected to is refused; with the check off, the same server is accepted (the CA still is checked)."""
    tls.add_server("server-elsewhere", hosts=("elsewhere.example",))
    base = str(tmp_path_factory.mktemp("python-tls-name"))
    cfg = {"secureClientPort": str(free_port())}
    cfg.update(tls.zoo_cfg_keys("pem", name="server-elsewhere"))
    server = PythonServer(base, extra_cfg=cfg)
    server.start()
    try:
        address = "127.0.0.1:%s" % cfg["secureClientPort"]
        zk = ZooKeeper(address, 10000, client_config=_secure_config(tls))
        try:
            assert not _wait_connected(zk, 3)
        finally:
            zk.close()
        zk = ZooKeeper(address, 10000, client_config=_secure_config(
            tls, **{"zookeeper.ssl.hostnameVerification": "false"}))
        try:
            assert _wait_connected(zk, 15)
        finally:
            zk.close()
    finally:
        server.stop()


def test_tls_client_waiting_at_startup_gets_a_session(tmp_path, tls):
    """A TLS client that connects while the server is still starting (the secure port listens from
    configure(), before its threads run) is served once the server is up, not closed as "not running"."""
    cfg = {"secureClientPort": str(free_port())}
    cfg.update(tls.zoo_cfg_keys("pem"))
    server = PythonServer(str(tmp_path), extra_cfg=cfg)
    port = int(cfg["secureClientPort"])
    server.start(wait=False)
    try:
        deadline = time.time() + 30
        while True:
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert time.time() < deadline and server.proc.poll() is None, server.output_tail()
                time.sleep(0.01)
        raw.close()
        assert not refused(tls, port, "client"), server.output_tail()
    finally:
        server.stop()


def refusal_seen_by_client(tls, port, client):
    """What a refused client's TLS library reports: the alert's name, or how the connection ended."""
    try:
        with tls_socket(tls, port, client, timeout=15) as s:
            s.sendall(b"\0\0\0\x2d" + ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes() + b"\0")
            data = s.recv(4096)
            return "closed" if data == b"" else "answered"
    except ssl.SSLError as e:
        return e.reason or str(e)
    except ConnectionError as e:
        return type(e).__name__


@pytest.mark.parametrize("client", [None, "mallory"])
def test_a_refused_client_is_told_why_by_a_tls_alert(client, secure_server, tls):
    """A refused handshake ends with the TLS alert that names the reason (unknown CA, certificate
    required), as Java's does, not a bare close the client can only call a reset."""
    tls.add_client("mallory", ca="other")
    seen = refusal_seen_by_client(tls, secure_server.secure_port, client)
    assert "ALERT" in seen, seen
