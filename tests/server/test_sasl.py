"""SASL DIGEST-MD5 on the client port, JAAS configuration, the sasl ACL scheme.

Tests that a Java server can also run run once against ours and once against Java
ZooKeeper 3.8 (where installed), with the same JAAS file and the same expectations. Java
reads the JAAS file through -Djava.security.auth.login.config and needs
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider in zoo.cfg, as ours.
"""

import pytest
from kazoo.client import KazooClient
from kazoo.security import ACL, Id as KazooId

from tests.support.sasl_checks import (
    assert_only_the_owner_reads,
    assert_our_client_auth_failed,
    assert_sasl_node_round_trip,
    assert_zkcli_creates_a_sasl_node,
    kazoo_auth_failed,
    our_session,
)
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.common import system_properties
from zookeeper_py.common.jaas_configuration import JaasConfigurationException, parse_jaas
from zookeeper_py.common.sasl_digest_md5 import DigestMD5Client, DigestMD5Server, SaslException
from zookeeper_py.keeper_exception import Code, KeeperException
from zookeeper_py.watcher import KeeperState

KINDS = {"python": PythonServer, "java": JavaServer}
SASL_PROVIDER = {"authProvider.1": "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"}

JAAS = """\
/* The users of the server; the client section logs in as bob. */
Server {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    user_super="adminsecret"
    user_bob="bobsecret"   // a comment
    user_alice="alicesecret";
};
Client {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    username="bob"
    password="bobsecret";
};
BadClient {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    username="bob"
    password="wrong";
};
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def start_server(kind, tmp_path_factory, jaas_text=JAAS, extra_cfg=None, flags=(), wait=True):
    base = tmp_path_factory.mktemp(kind + "-sasl")
    jaas = write(base / "jaas.conf", jaas_text)
    cfg = dict(SASL_PROVIDER)
    cfg.update(extra_cfg or {})
    server = KINDS[kind](str(base), extra_cfg=cfg, flags=["-Djava.security.auth.login.config=" + jaas, *flags])
    server.jaas = jaas
    server.start(wait=wait)
    return server


@pytest.fixture(scope="module", params=["python", "java"])
def sasl_server(request, tmp_path_factory):
    server = start_server(request.param, tmp_path_factory)
    yield server
    server.stop()


def kazoo(server, style=None, user="bob", password="bobsecret", timeout=15):
    if style == "auth_data":
        zk = KazooClient(hosts=server.address, auth_data=[("sasl", "%s:%s" % (user, password))], timeout=timeout)
    elif style == "sasl_options":
        zk = KazooClient(hosts=server.address, timeout=timeout,
                         sasl_options={"mechanism": "DIGEST-MD5", "username": user, "password": password})
    else:
        zk = KazooClient(hosts=server.address, timeout=timeout)
    return zk


# -- sans-I/O: DIGEST-MD5 and the JAAS parser ------------------------------------------------

class _Users:
    def __init__(self, users):
        self.users = users

    def handle_name(self, name):
        return name if name in self.users else None

    def handle_password(self, name):
        return self.users.get(name)

    def handle_realm(self, realm):
        return realm

    def handle_authorize(self, authentication_id, authorization_id):
        return authentication_id


def test_digest_md5_exchange():
    server = DigestMD5Server("zookeeper", "zk-sasl-md5", _Users({"bob": "pw"}))
    client = DigestMD5Client("bob", "zookeeper", "zk-sasl-md5", "bob", "pw")
    challenge = server.evaluate_response(b"")
    assert b'realm="zk-sasl-md5"' in challenge and b'qop="auth"' in challenge and b"algorithm=md5-sess" in challenge
    response = client.evaluate_challenge(challenge)
    assert b'digest-uri="zookeeper/zk-sasl-md5"' in response and b'authzid="bob"' in response
    rspauth = server.evaluate_response(response)
    assert server.is_complete() and server.get_authorization_id() == "bob"
    assert client.evaluate_challenge(rspauth) is None and client.is_complete()


@pytest.mark.parametrize("user,password", [("bob", "bad"), ("nobody", "pw")])
def test_digest_md5_refuses_bad_credentials(user, password):
    server = DigestMD5Server("zookeeper", "zk-sasl-md5", _Users({"bob": "pw"}))
    client = DigestMD5Client(user, "zookeeper", "zk-sasl-md5", user, password)
    response = client.evaluate_challenge(server.evaluate_response(b""))
    with pytest.raises(SaslException):
        server.evaluate_response(response)
    assert not server.is_complete()


def test_digest_md5_with_puresasl():
    puresasl_client = pytest.importorskip("puresasl.client")
    server = DigestMD5Server("zookeeper", "zk-sasl-md5", _Users({"bob": "pw"}))
    client = puresasl_client.SASLClient(host="zk-sasl-md5", service="zookeeper", mechanism="DIGEST-MD5",
                                        username="bob", password="pw")
    assert client.process(None) is None
    response = client.process(server.evaluate_response(b""))
    rspauth = server.evaluate_response(response)
    assert client.process(rspauth) is None and client.complete and server.get_authorization_id() == "bob"


def test_client_refuses_a_forged_rspauth():
    server = DigestMD5Server("zookeeper", "zk-sasl-md5", _Users({"bob": "pw"}))
    client = DigestMD5Client("bob", "zookeeper", "zk-sasl-md5", "bob", "pw")
    client.evaluate_challenge(server.evaluate_response(b""))
    with pytest.raises(SaslException):
        client.evaluate_challenge(b"rspauth=00000000000000000000000000000000")


def test_jaas_parser():
    sections = parse_jaas(JAAS + 'Other { a.B optional k=v; c.D SUFFICIENT; };\n')
    assert set(sections) == {"Server", "Client", "BadClient", "Other"}
    (entry,) = sections["Server"]
    assert entry.get_login_module_name() == "org.apache.zookeeper.server.auth.DigestLoginModule"
    assert entry.get_control_flag() == "required"
    assert entry.get_options() == {"user_super": "adminsecret", "user_bob": "bobsecret", "user_alice": "alicesecret"}
    assert [e.get_control_flag() for e in sections["Other"]] == ["optional", "sufficient"]
    assert sections["Other"][0].get_options() == {"k": "v"}


@pytest.mark.parametrize("text,line", [
    ("Server {\n  a.B required x=\"1\"\n};\n", 3),           # missing ; after the entry
    ("Server {\n  a.B mandatory;\n};\n", 2),                 # bad control flag
    ("Server {\n  a.B required x=\"1\";\n}\n", 3),           # missing ; after }
    ("Server {\n  a.B required x=\"1;\n};\n", 2),            # unterminated string
    ("A { a.B required; };\nA { a.B required; };\n", 2),     # two sections of one name
])
def test_jaas_parser_names_the_line(text, line):
    with pytest.raises(JaasConfigurationException) as e:
        parse_jaas(text, "/x/jaas.conf")
    assert e.value.line == line and "/x/jaas.conf:%d" % line in str(e.value)


# -- kazoo against ours and Java -------------------------------------------------------------

@pytest.mark.parametrize("style", ["sasl_options", "auth_data"])
def test_kazoo_sasl_and_acl(sasl_server, style):
    assert_only_the_owner_reads(kazoo(sasl_server, style), "/sasl-%s" % style, "bob", [
        lambda: kazoo(sasl_server, style, user="alice", password="alicesecret"),
        lambda: kazoo(sasl_server)])


@pytest.mark.parametrize("style", ["sasl_options", "auth_data"])
@pytest.mark.parametrize("user,password", [("bob", "wrong"), ("baduser", "badpassword")])
def test_kazoo_bad_password_is_auth_failed(sasl_server, style, user, password, caplog):
    """kazoo reports CONNECTED before its SASL exchange; the server's AUTHFAILED then makes
    kazoo raise AuthFailedError inside its connection loop, log "AUTH_FAILED closing" and end
    the session (LOST; start() raises AuthFailedError only when it loses that race)."""
    zk = kazoo(sasl_server, style, user=user, password=password)
    if kazoo_auth_failed(zk, caplog):
        assert not zk.connected


# -- our client library ----------------------------------------------------------------------

@pytest.fixture
def client_jaas(sasl_server):
    """Our client reads the JAAS file of this process's system properties."""
    system_properties.set_property("java.security.auth.login.config", sasl_server.jaas)
    yield sasl_server.jaas
    system_properties.clear_property("java.security.auth.login.config")
    system_properties.clear_property("zookeeper.sasl.clientconfig")


def test_our_client_sasl_authenticated(sasl_server, client_jaas):
    with our_session(sasl_server.address) as (zk, events):
        events.wait_state(KeeperState.SaslAuthenticated)
        states = events.states()
        assert states.index(KeeperState.SyncConnected) < states.index(KeeperState.SaslAuthenticated)
        assert_sasl_node_round_trip(zk, "/ours-sasl", b"x", "bob")


def test_our_client_requests_wait_for_sasl(sasl_server, client_jaas):
    """A request made right away is sent after the SASL exchange, so the ACL already lets it in."""
    admin = kazoo(sasl_server, "sasl_options")
    admin.start(timeout=15)
    try:
        admin.create("/ours-wait", b"y", acl=[ACL(31, KazooId("sasl", "bob"))])
        with our_session(sasl_server.address) as (zk, _):
            assert zk.get_data("/ours-wait", False, None) == b"y"
    finally:
        admin.delete("/ours-wait")
        admin.stop()
        admin.close()


def test_our_client_bad_password_auth_failed(sasl_server, client_jaas):
    system_properties.set_property("zookeeper.sasl.clientconfig", "BadClient")
    with our_session(sasl_server.address) as (zk, events):
        assert_our_client_auth_failed(zk, events, timeout=15, state_timeout=10)


def test_our_client_missing_section_does_not_fall_back(sasl_server, client_jaas):
    system_properties.set_property("zookeeper.sasl.clientconfig", "NoSuchSection")
    with our_session(sasl_server.address) as (zk, events):
        events.wait_state(KeeperState.AuthFailed)
        assert KeeperState.SyncConnected not in events.states()


# -- zkCli: Java's against ours, ours against Java's -----------------------------------------

@pytest.mark.parametrize("cli,server_kind", [("java", "python"), ("python", "java")],
                         ids=["java-zkcli-against-ours", "our-zkcli-against-java"])
def test_zkcli_with_client_section(cli, server_kind, tmp_path_factory):
    server = start_server(server_kind, tmp_path_factory)
    try:
        assert_zkcli_creates_a_sasl_node(cli, server.address, "/cli-sasl", "bob",
                                         ["-Djava.security.auth.login.config=" + server.jaas])
    finally:
        server.stop()


# -- refusing unauthenticated sessions (3.6+/3.8) ----------------------------------------------

@pytest.mark.parametrize("kind", ["python", "java"])
def test_session_require_client_sasl_auth(kind, tmp_path_factory):
    server = start_server(kind, tmp_path_factory, flags=["-Dzookeeper.sessionRequireClientSASLAuth=true"])
    try:
        ok = kazoo(server, "sasl_options")
        ok.start(timeout=15)
        try:
            ok.create("/required", b"1")
        finally:
            ok.stop()
            ok.close()
        with our_session(server.address) as (zk, _):
            with pytest.raises(KeeperException) as e:
                zk.get_data("/required", False, None)
            assert e.value.code() in (Code.SESSIONCLOSEDREQUIRESASLAUTH, Code.CONNECTIONLOSS)
    finally:
        server.stop()


# -- our server refuses what it cannot honour ------------------------------------------------

def _startup_failure(tmp_path_factory, jaas_text, extra_cfg=None, myid=None):
    base = tmp_path_factory.mktemp("sasl-bad")
    jaas = write(base / "jaas.conf", jaas_text)
    server = PythonServer(str(base), extra_cfg=dict(SASL_PROVIDER, **(extra_cfg or {})), myid=myid,
                          flags=["-Djava.security.auth.login.config=" + jaas])
    code, out = server.run_to_exit()
    return code, out, jaas


def test_malformed_jaas_stops_our_server(tmp_path_factory):
    code, out, jaas = _startup_failure(
        tmp_path_factory, "Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n"
                          "  user_bob=\"x\"\n}\n")
    assert code == 2, out
    assert "%s:4" % jaas in out, out


def test_kerberos_server_section_without_its_keytab_stops_our_server(tmp_path_factory):
    """A Kerberos Server section whose keytab is missing (or, without the `gssapi` package, any
    Kerberos section) stops the server; tests/server/test_sasl_kerberos.py has the rest."""
    code, out, jaas = _startup_failure(
        tmp_path_factory, 'Server {\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n'
                          '  keyTab="/nonexistent/zk.keytab"\n  storeKey=true\n'
                          '  principal="zookeeper/localhost@EXAMPLE.COM";\n};\n')
    assert code == 2, out
    assert "Krb5LoginModule" in out and jaas in out, out
    assert "/nonexistent/zk.keytab" in out or "zookeeper_py[kerberos]" in out, out


def test_server_without_jaas_section_serves_without_sasl(tmp_path):
    """Java serves without SASL when the file has no Server section (and no key names one)."""
    from zookeeper_py.server.server_cnxn_factory import ServerCnxnFactory

    path = write(tmp_path / "jaas.conf", "Client { a.B required; };\n")
    system_properties.set_property("java.security.auth.login.config", path)
    try:
        factory = ServerCnxnFactory()
        factory.configure_sasl_login()
        assert factory.login is None
    finally:
        system_properties.clear_property("java.security.auth.login.config")


def test_enforce_auth_without_schemes_stops_our_server(tmp_path_factory):
    """3.8's AuthenticationHelper refuses enforce.auth.enabled without enforce.auth.schemes."""
    code, out, _ = _startup_failure(tmp_path_factory, JAAS, extra_cfg={"enforce.auth.enabled": "true"})
    assert code == 2, out
    assert "zookeeper.enforce.auth.schemes" in out, out
