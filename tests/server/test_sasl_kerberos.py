"""SASL GSSAPI (Kerberos) on the client port, against a real MIT KDC (tests/support/kdc.py).

Each server test runs once against ours and once against Java ZooKeeper 3.8 (where
installed) with the same JAAS file and krb5.conf: Java reads -Djava.security.auth.login.config
and -Djava.security.krb5.conf; ours reads the same flags (the second becomes KRB5_CONFIG).
Principals: zookeeper/localhost (the server), alice and bob (clients), zkother/localhost (a
service whose key the server does not have), mallory (a client whose keytab is stale).
Clients connect to 127.0.0.1, which both Java and MIT canonicalize to localhost, so the
default server principal zookeeper/<host> is zookeeper/localhost.

Skipped with the reason where the KDC packages (krb5-kdc, krb5-admin-server, krb5-user) or,
for our side, the python `gssapi` package are missing.
"""

import os

import pytest
from kazoo.client import KazooClient
from kazoo.security import ACL, Id as KazooId

from tests.support.kdc import gssapi_missing_reason, session_kdc
from tests.support.sasl_checks import (
    assert_only_the_owner_reads,
    assert_our_client_auth_failed,
    assert_sasl_node_round_trip,
    assert_zkcli_creates_a_sasl_node,
    kazoo_auth_failed,
    our_session,
)
from tests.support.servers import REPO, JavaServer, PythonServer
from zookeeper_py.common import system_properties
from zookeeper_py.watcher import KeeperState

KINDS = {"python": PythonServer, "java": JavaServer}
SASL_PROVIDER = {"authProvider.1": "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"}
KRB5 = "com.sun.security.auth.module.Krb5LoginModule"


def require_gssapi():
    reason = gssapi_missing_reason()
    if reason:
        pytest.skip(reason)


def krb5_section(name, principal, keytab, server=False):
    return ('%s {\n    %s required\n    useKeyTab=true\n    keyTab="%s"\n    storeKey=%s\n    useTicketCache=false\n'
            '    doNotPrompt=true\n    debug=false\n    principal="%s";\n};\n'
            % (name, KRB5, keytab, "true" if server else "false", principal))


class Realm:
    """The KDC with this module's principals, keytabs and JAAS file."""

    def __init__(self, kdc, base):
        self.kdc = kdc
        self.server_keytab = kdc.keytab("zookeeper/localhost")
        self.alice_keytab = kdc.keytab("alice")
        self.bob_keytab = kdc.keytab("bob")
        kdc.add_principal("zkother/localhost")
        self.mallory_keytab = kdc.stale_keytab("mallory")
        self.alice = kdc.principal("alice")
        self.bob = kdc.principal("bob")
        self.jaas = os.path.join(base, "jaas.conf")
        with open(self.jaas, "w") as f:
            f.write(krb5_section("Server", kdc.principal("zookeeper/localhost"), self.server_keytab, server=True))
            f.write(krb5_section("Client", self.alice, self.alice_keytab))
            f.write(krb5_section("BobClient", self.bob, self.bob_keytab))
            f.write(krb5_section("StaleClient", kdc.principal("mallory"), self.mallory_keytab))
            f.write(krb5_section("UnknownClient", kdc.principal("nobody"), self.alice_keytab))

    def jvm_flags(self):
        return ["-Djava.security.auth.login.config=" + self.jaas, *self.kdc.java_flags()]


@pytest.fixture(scope="module")
def realm(tmp_path_factory):
    kdc = session_kdc(tmp_path_factory)
    return Realm(kdc, str(tmp_path_factory.mktemp("krb5-jaas")))


def start_server(kind, realm, tmp_path_factory, flags=(), extra_cfg=None, jaas=None):
    if kind == "python":
        require_gssapi()
    base = tmp_path_factory.mktemp(kind + "-krb5")
    cfg = dict(SASL_PROVIDER, **(extra_cfg or {}))
    flags = ["-Djava.security.auth.login.config=" + (jaas or realm.jaas), *realm.kdc.java_flags(), *flags]
    server = KINDS[kind](str(base), extra_cfg=cfg, flags=flags)
    server.start()
    return server


@pytest.fixture(scope="module", params=["python", "java"])
def krb_server(request, realm, tmp_path_factory):
    server = start_server(request.param, realm, tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def client_env(realm, monkeypatch, tmp_path):
    """What a Kerberos client process needs in its environment: the realm and a ticket cache
    collection of its own (DIR:, so two principals of one process each get a cache in it)."""
    monkeypatch.setenv("KRB5_CONFIG", realm.kdc.krb5_conf)
    os.makedirs(str(tmp_path / "krb5cc"), exist_ok=True)
    monkeypatch.setenv("KRB5CCNAME", "DIR:" + str(tmp_path / "krb5cc"))
    return monkeypatch


def kazoo_gssapi(server, principal, keytab, monkeypatch, service="zookeeper", timeout=15):
    """kazoo through pure-sasl's GSSAPI (pykerberos): the client's key comes from KRB5_CLIENT_KTNAME."""
    pytest.importorskip("kerberos", reason="kazoo's GSSAPI needs the `kerberos` (pykerberos) package")
    monkeypatch.setenv("KRB5_CLIENT_KTNAME", keytab)
    return KazooClient(hosts=server.address, timeout=timeout,
                       sasl_options={"mechanism": "GSSAPI", "service": service, "principal": principal})


def close(*clients):
    for c in clients:
        try:
            c.stop()
        finally:
            c.close()


# -- sans-I/O: the GSSAPI state machines against each other and the name rules -------------------

class _Authorizer:
    def __init__(self):
        self.calls = []

    def handle_authorize(self, authentication_id, authorization_id):
        self.calls.append((authentication_id, authorization_id))
        return authentication_id


def _login(kdc, principal, keytab, server=False):
    from zookeeper_py.common.jaas_configuration import Configuration, parse_jaas
    from zookeeper_py.login import Login

    text = krb5_section("X", kdc.principal(principal), keytab, server=server)
    return Login("X", None, None, Configuration(parse_jaas(text, "<test>"), "<test>"))


def test_gssapi_exchange_sans_io(realm, client_env):
    require_gssapi()
    from zookeeper_py.common import sasl_gssapi

    server_login = _login(realm.kdc, "zookeeper/localhost", realm.server_keytab, server=True)
    client_login = _login(realm.kdc, "alice", realm.alice_keytab)
    authorizer = _Authorizer()
    server = sasl_gssapi.create_sasl_server(server_login.get_subject(), "zookeeper", "localhost", authorizer)
    client = sasl_gssapi.create_sasl_client(client_login.get_subject(), realm.alice, "zookeeper", "localhost",
                                            "Client")
    assert client.has_initial_response() and client.get_mechanism_name() == "GSSAPI"
    token = client.evaluate_challenge(b"")
    steps = 0
    while not server.is_complete():
        challenge = server.evaluate_response(token)
        if server.is_complete():
            assert challenge is None
            break
        token = client.evaluate_challenge(challenge)
        steps += 1
        assert steps < 5
    assert client.is_complete()
    assert server.get_authorization_id() == realm.alice
    assert authorizer.calls == [(realm.alice, realm.alice)]


def test_gssapi_server_refuses_a_ticket_for_another_service(realm, client_env):
    require_gssapi()
    from zookeeper_py.common import sasl_gssapi
    from zookeeper_py.common.sasl_digest_md5 import SaslException

    server_login = _login(realm.kdc, "zookeeper/localhost", realm.server_keytab, server=True)
    client_login = _login(realm.kdc, "alice", realm.alice_keytab)
    server = sasl_gssapi.create_sasl_server(server_login.get_subject(), "zookeeper", "localhost", _Authorizer())
    client = sasl_gssapi.create_sasl_client(client_login.get_subject(), realm.alice, "zkother", "localhost", "Client")
    with pytest.raises(SaslException):
        server.evaluate_response(client.evaluate_challenge(b""))
    assert not server.is_complete()


@pytest.mark.parametrize("principal,keytab_attr", [("mallory", "mallory_keytab"), ("nobody", "alice_keytab")])
def test_krb5_login_refuses_a_bad_keytab_or_principal(realm, client_env, principal, keytab_attr):
    require_gssapi()
    from zookeeper_py.login import LoginException

    with pytest.raises(LoginException) as e:
        _login(realm.kdc, principal, getattr(realm, keytab_attr))
    assert "Krb5LoginModule" in str(e.value) and principal in str(e.value)


def test_kerberos_name_rules(realm, monkeypatch):
    from zookeeper_py.server.auth.kerberos_name import KerberosName, NoMatchingRule

    monkeypatch.setenv("KRB5_CONFIG", realm.kdc.krb5_conf)
    assert KerberosName("alice@EXAMPLE.COM").get_short_name() == "alice"
    assert KerberosName("zookeeper/localhost@EXAMPLE.COM").get_short_name() == "zookeeper"
    with pytest.raises(NoMatchingRule):
        KerberosName("alice@OTHER.ORG").get_short_name()
    system_properties.set_property("zookeeper.security.auth_to_local",
                                   "RULE:[1:$1@$0](.*@OTHER\\.ORG)s/@.*// RULE:[2:$1](zk.*)s/^zk/zoo/ DEFAULT")
    try:
        assert KerberosName("alice@OTHER.ORG").get_short_name() == "alice"
        assert KerberosName("zkquorum/h@X").get_short_name() == "zooquorum"
        assert KerberosName("bob@EXAMPLE.COM").get_short_name() == "bob"
    finally:
        system_properties.clear_property("zookeeper.security.auth_to_local")


# -- kazoo (pure-sasl GSSAPI) against ours and Java -------------------------------------------

def test_kazoo_gssapi_and_sasl_acl(krb_server, realm, client_env):
    assert_only_the_owner_reads(kazoo_gssapi(krb_server, realm.alice, realm.alice_keytab, client_env), "/krb5-acl",
                                realm.alice, [lambda: kazoo_gssapi(krb_server, realm.bob, realm.bob_keytab, client_env),
                                              lambda: KazooClient(hosts=krb_server.address, timeout=15)])


def test_kazoo_gssapi_ticket_for_another_service_is_auth_failed(krb_server, realm, client_env, caplog):
    """The client gets a ticket for zkother/localhost, whose key the server lacks: the server
    answers AUTHFAILED and closes, and kazoo ends the session (as with a bad DIGEST-MD5 password)."""
    zk = kazoo_gssapi(krb_server, realm.alice, realm.alice_keytab, client_env, service="zkother")
    kazoo_auth_failed(zk, caplog)


# -- our client library --------------------------------------------------------------------

@pytest.fixture
def our_client(realm, client_env):
    require_gssapi()
    system_properties.set_property("java.security.auth.login.config", realm.jaas)
    yield
    for key in ("java.security.auth.login.config", "zookeeper.sasl.clientconfig", "zookeeper.server.principal"):
        system_properties.clear_property(key)


def test_our_client_kerberos_sasl_authenticated(krb_server, realm, our_client):
    with our_session(krb_server.address) as (zk, events):
        events.wait_state(KeeperState.SaslAuthenticated, timeout=20)
        assert_sasl_node_round_trip(zk, "/ours-krb5", b"x", realm.alice)


@pytest.mark.parametrize("section,principal", [("StaleClient", None), ("UnknownClient", None),
                                               ("Client", "zkother/localhost")])
def test_our_client_kerberos_failures_are_auth_failed(krb_server, realm, our_client, section, principal):
    """A stale keytab or an unknown principal fails the client's login; a ticket for a service
    the server has no key for fails at the server: AuthFailed either way, never anonymous."""
    system_properties.set_property("zookeeper.sasl.clientconfig", section)
    if principal:
        system_properties.set_property("zookeeper.server.principal", principal)
    with our_session(krb_server.address) as (zk, events):
        assert_our_client_auth_failed(zk, events, timeout=20, state_timeout=15)


def test_our_client_kerberos_from_a_ticket_cache(krb_server, realm, our_client, tmp_path):
    """useTicketCache=true, ticketCache=<file>: the TGT of an earlier kinit, no keytab."""
    ccache = realm.kdc.kinit("bob", str(tmp_path / "bob.ccache"))
    jaas = tmp_path / "jaas.conf"
    jaas.write_text('Client {\n    %s required\n    useTicketCache=true\n    ticketCache="%s"\n'
                    '    doNotPrompt=true;\n};\n' % (KRB5, ccache))
    system_properties.set_property("java.security.auth.login.config", str(jaas))
    with our_session(krb_server.address) as (zk, events):
        events.wait_state(KeeperState.SaslAuthenticated, timeout=20)
        assert_sasl_node_round_trip(zk, "/ours-ccache", b"c", realm.bob)


@pytest.mark.parametrize("server_realm,ok", [("EXAMPLE.COM", True), ("NO-SUCH.REALM", False)])
def test_our_client_zookeeper_server_realm(krb_server, realm, our_client, server_realm, ok):
    """zookeeper.server.realm names the realm of the server principal: the right one
    authenticates, a realm the KDC does not serve fails with AuthFailed (never anonymous)."""
    system_properties.set_property("zookeeper.server.realm", server_realm)
    system_properties.set_property("zookeeper.server.principal", "zookeeper/localhost")
    try:
        with our_session(krb_server.address) as (zk, events):
            events.wait_state(KeeperState.SaslAuthenticated if ok else KeeperState.AuthFailed, timeout=20)
            if ok:
                assert zk.exists("/", False) is not None
            else:
                assert KeeperState.SaslAuthenticated not in events.states()
    finally:
        system_properties.clear_property("zookeeper.server.realm")


def test_sasl_server_principal_defaults():
    """zookeeper/<host>: 127.0.0.1 is reverse-looked-up (Java's getHostName of an IP literal)."""
    import socket

    from zookeeper_py.client.inet_socket_address import InetSocketAddress
    from zookeeper_py.client.zk_client_config import ZKClientConfig
    from zookeeper_py.sasl_server_principal import SaslServerPrincipal

    try:
        name = socket.gethostbyaddr("127.0.0.1")[0]
    except OSError:
        name = "127.0.0.1"
    config = ZKClientConfig()
    assert SaslServerPrincipal.get_server_principal(InetSocketAddress("127.0.0.1", 2181), config) == "zookeeper/" + name
    config.set_property("zookeeper.sasl.client.canonicalize.hostname", "false")
    zk1 = InetSocketAddress("zk1", 2181, "127.0.0.1")
    assert SaslServerPrincipal.get_server_principal(zk1, config) == "zookeeper/zk1"
    config.set_property("zookeeper.sasl.client.username", "zk")
    assert SaslServerPrincipal.get_server_principal(InetSocketAddress("zk1", 2181, "127.0.0.1"), config) == "zk/zk1"
    config.set_property("zookeeper.server.principal", "zookeeper/zk9@X")
    assert SaslServerPrincipal.get_server_principal(InetSocketAddress("zk1", 2181), config) == "zookeeper/zk9@X"


# -- the authorization id: kerberos.removeHostFromPrincipal / removeRealmFromPrincipal -------------

@pytest.mark.parametrize("kind", ["python", "java"])
def test_remove_realm_and_host_from_principal(kind, realm, tmp_path_factory, client_env):
    """With both set, alice@EXAMPLE.COM is sasl:alice and bob's ACL entry sasl:bob."""
    server = start_server(kind, realm, tmp_path_factory,
                          flags=["-Dzookeeper.kerberos.removeRealmFromPrincipal=true",
                                 "-Dzookeeper.kerberos.removeHostFromPrincipal=true"])
    try:
        zk = kazoo_gssapi(server, realm.alice, realm.alice_keytab, client_env)
        zk.start(timeout=15)
        try:
            zk.create("/short", b"1", acl=[ACL(31, KazooId("sasl", "alice"))])
            assert zk.get("/short")[0] == b"1"
            zk.delete("/short")
        finally:
            close(zk)
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["python", "java"])
def test_kerberos_super_user(kind, realm, tmp_path_factory, client_env):
    """zookeeper.superUser=<bob's principal>: bob reads what only alice may."""
    server = start_server(kind, realm, tmp_path_factory, flags=["-Dzookeeper.superUser=" + realm.bob])
    try:
        alice = kazoo_gssapi(server, realm.alice, realm.alice_keytab, client_env)
        alice.start(timeout=15)
        try:
            alice.create("/alice-only", b"a", acl=[ACL(31, KazooId("sasl", realm.alice))])
            bob = kazoo_gssapi(server, realm.bob, realm.bob_keytab, client_env)
            bob.start(timeout=15)
            try:
                assert bob.get("/alice-only")[0] == b"a"
            finally:
                close(bob)
        finally:
            close(alice)
    finally:
        server.stop()


# -- zkCli: Java's against ours, ours against Java's -------------------------------------------

@pytest.mark.parametrize("cli,server_kind", [("java", "python"), ("python", "java")],
                         ids=["java-zkcli-against-ours", "our-zkcli-against-java"])
def test_zkcli_kerberos_client_section(cli, server_kind, realm, tmp_path_factory, client_env):
    if cli == "python":
        require_gssapi()
    server = start_server(server_kind, realm, tmp_path_factory)
    try:
        assert_zkcli_creates_a_sasl_node(cli, server.address, "/cli-krb", realm.alice, realm.jvm_flags())
    finally:
        server.stop()


# -- our server refuses what it cannot honour ------------------------------------------------

def _startup_failure(realm, tmp_path_factory, jaas_text, python=None):
    base = tmp_path_factory.mktemp("krb5-bad")
    jaas = os.path.join(str(base), "jaas.conf")
    with open(jaas, "w") as f:
        f.write(jaas_text)
    server = PythonServer(str(base), extra_cfg=dict(SASL_PROVIDER),
                          flags=["-Djava.security.auth.login.config=" + jaas, *realm.kdc.java_flags()])
    if python:
        server.python = python
    code, out = server.run_to_exit()
    return code, out, jaas


@pytest.mark.parametrize("case", ["stale keytab", "no storeKey", "missing keytab"])
def test_bad_kerberos_server_section_stops_our_server(realm, tmp_path_factory, case):
    require_gssapi()
    principal = realm.kdc.principal("zookeeper/localhost")
    if case == "stale keytab":
        text = krb5_section("Server", realm.kdc.principal("mallory"), realm.mallory_keytab, server=True)
        expect = "mallory"
    elif case == "no storeKey":
        text = krb5_section("Server", principal, realm.server_keytab, server=False)
        expect = "storeKey"
    else:
        text = krb5_section("Server", principal, "/nonexistent/zk.keytab", server=True)
        expect = "/nonexistent/zk.keytab"
    code, out, jaas = _startup_failure(realm, tmp_path_factory, text)
    assert code == 2, out
    assert "Krb5LoginModule" in out or "Kerberos" in out, out
    assert expect in out and jaas in out, out


def test_kerberos_section_without_gssapi_stops_our_server(tmp_path_factory):
    """Where the `gssapi` package is missing (here: a Python started with it hidden), a Kerberos
    Server section stops the server with exit 2, saying what to install. Needs no KDC."""
    hide = os.path.join(str(tmp_path_factory.mktemp("no-gssapi")), "gssapi")
    os.makedirs(hide)
    with open(os.path.join(hide, "__init__.py"), "w") as f:
        f.write("raise ImportError('gssapi hidden by the test')\n")
    base = tmp_path_factory.mktemp("krb5-nogss")
    jaas = os.path.join(str(base), "jaas.conf")
    with open(jaas, "w") as f:
        f.write(krb5_section("Server", "zookeeper/localhost@EXAMPLE.COM", os.path.join(str(base), "zk.keytab"),
                             server=True))
    server = PythonServer(str(base), extra_cfg=dict(SASL_PROVIDER), flags=["-Djava.security.auth.login.config=" + jaas])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([os.path.dirname(hide), REPO])
    try:
        code, out = server.run_to_exit()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    assert code == 2, out
    assert "gssapi" in out and "zookeeper_py[kerberos]" in out and jaas in out, out
