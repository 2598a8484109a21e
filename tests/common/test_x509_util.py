"""X509Util and friends: stores of every type, refused settings, cipher names, real TLS handshakes,
hostname checks, cert reloading, the x509 auth provider, and subject DNs compared with Java's."""

import datetime
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from tests.support.tls import TlsMaterial, keytool_path, session_tls_material
from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.common import system_properties
from zookeeper_py.common.client_x509_util import ClientX509Util
from zookeeper_py.common.key_store_file_type import KeyStoreFileType
from zookeeper_py.common.quorum_x509_util import QuorumX509Util
from zookeeper_py.common.x509_util import (
    DEFAULT_CIPHERS_JAVA9,
    ClientAuth,
    KeyManagerException,
    SSLContextException,
    TrustManagerException,
    X509Exception,
    X509Util,
    java_cipher_to_openssl,
)
from zookeeper_py.keeper_exception import Code
from zookeeper_py.server.auth.provider_registry import ProviderRegistry
from zookeeper_py.server.auth.x509_authentication_provider import (
    ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER,
    X509AuthenticationProvider,
    is_valid_dn,
    subject_dn,
)

STORE_KINDS = ["pem", "jks", "pkcs12"]
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return session_tls_material(tmp_path_factory)


def need_store(kind):
    if kind == "jks" and keytool_path() is None:
        pytest.skip("keytool (JDK) is not installed: cannot make JKS stores")


def config(prefix="zookeeper.ssl.", **keys):
    """A ZKClientConfig holding `keys` (dots in names as '__': keyStore__location)."""
    cfg = ZKClientConfig()
    for k, v in keys.items():
        cfg.set_property(prefix + k.replace("__", "."), v)
    return cfg


def store_config(tls, kind, name="server", ca="main", util=ClientX509Util, **extra):
    cfg = ZKClientConfig()
    prefix = util().get_config_prefix()
    for k, v in tls.properties(kind, prefix=prefix, name=name, ca=ca).items():
        cfg.set_property(k, v)
    for k, v in extra.items():
        cfg.set_property(prefix + k.replace("__", "."), v)
    return util(cfg)


# -- KeyStoreFileType, ClientAuth ------------------------------------------------------------

def test_key_store_file_type():
    assert KeyStoreFileType.from_property_value("jks") is KeyStoreFileType.JKS
    assert KeyStoreFileType.from_property_value("") is None
    assert KeyStoreFileType.from_property_value(None) is None
    with pytest.raises(ValueError):
        KeyStoreFileType.from_property_value("PKCS11")
    for name, t in [("a/b.jks", "JKS"), ("x.pem", "PEM"), ("x.p12", "PKCS12"), ("x.pfx", "PKCS12"),
                    ("x.bcfks", "BCFKS")]:
        assert KeyStoreFileType.from_filename(name) is KeyStoreFileType[t]
    with pytest.raises(ValueError, match="auto-detect"):
        KeyStoreFileType.from_filename("store.JKS")  # case-sensitive, as Java
    assert KeyStoreFileType.from_property_value_or_file_name("PEM", "x.jks") is KeyStoreFileType.PEM
    assert KeyStoreFileType.from_property_value_or_file_name(None, "x.jks") is KeyStoreFileType.JKS


def test_client_auth():
    assert ClientAuth.from_property_value(None) is ClientAuth.NEED
    assert ClientAuth.from_property_value("") is ClientAuth.NEED
    assert ClientAuth.from_property_value("want") is ClientAuth.WANT
    assert ClientAuth.from_property_value("None") is ClientAuth.NONE
    with pytest.raises(ValueError):
        ClientAuth.from_property_value("maybe")
    with pytest.raises(X509Exception, match="zookeeper.ssl.clientAuth"):
        ClientX509Util(config(clientAuth="maybe")).get_client_auth()


def test_property_names_and_prefixes():
    c, q = ClientX509Util(), QuorumX509Util()
    assert c.get_ssl_keystore_location_property() == "zookeeper.ssl.keyStore.location"
    assert q.get_ssl_truststore_passwd_path_property() == "zookeeper.ssl.quorum.trustStore.passwordPath"
    assert c.get_ssl_auth_provider_property() == "zookeeper.ssl.authProvider"
    assert c.get_ssl_context_supplier_class_property() == "zookeeper.ssl.context.supplier.class"
    assert not c.should_verify_client_hostname() and q.should_verify_client_hostname()
    assert "zookeeper.ssl.authProvider" in c.get_all_property_names()
    assert len(q.get_all_property_names()) == 17
    assert X509Util.DEFAULT_PROTOCOL == "TLSv1.2"
    with pytest.raises(NotImplementedError):
        X509Util()


def test_handshake_detection_timeout():
    assert ClientX509Util(config()).get_ssl_handshake_timeout_millis() == 5000
    assert ClientX509Util(config(handshakeDetectionTimeoutMillis="1234")).get_ssl_handshake_timeout_millis() == 1234
    assert ClientX509Util(config(handshakeDetectionTimeoutMillis="0")).get_ssl_handshake_timeout_millis() == 5000
    assert ClientX509Util(config(handshakeDetectionTimeoutMillis="x")).get_ssl_handshake_timeout_millis() == 5000


def test_system_properties_when_no_config(tls):
    keys = tls.properties("pem", name="server")
    try:
        for k, v in keys.items():
            system_properties.set_property(k, v)
        ClientX509Util().create_ssl_context(True)
    finally:
        for k in keys:
            system_properties.clear_property(k)


def test_config_falls_back_to_system_properties():
    """As Java's ZKConfig, which copies the ssl system properties in before the file overrides them."""
    try:
        system_properties.set_property("zookeeper.ssl.clientAuth", "want")
        assert ClientX509Util(config()).get_client_auth() is ClientAuth.WANT
        assert ClientX509Util(config(clientAuth="none")).get_client_auth() is ClientAuth.NONE
    finally:
        system_properties.clear_property("zookeeper.ssl.clientAuth")


# -- stores -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", STORE_KINDS)
@pytest.mark.parametrize("explicit_type", [True, False])
def test_store_loads(tls, kind, explicit_type):
    need_store(kind)
    util = store_config(tls, kind)
    if not explicit_type:
        util._zk_config.set_property("zookeeper.ssl.keyStore.type", None)
        util._zk_config.set_property("zookeeper.ssl.trustStore.type", None)
    key, chain = util.load_key_store()
    assert chain[0].subject.rfc4514_string() == "CN=server,OU=test,O=zookeeper_py"
    assert key.public_key().public_numbers() == chain[0].public_key().public_numbers()
    assert util.load_trust_store() == [tls.ca_cert()]
    util.check_config(server_side=True)
    assert isinstance(util.create_ssl_context(True), ssl.SSLContext)


def test_jks_file_named_p12_and_type_mismatch(tls, tmp_path):
    """As JDK 9+'s keystore.type.compat: the file's magic decides between JKS and PKCS12."""
    need_store("jks")
    path, pw, _ = tls.server_store("jks")
    util = ClientX509Util(config(keyStore__location=path, keyStore__password=pw, keyStore__type="PKCS12"))
    assert util.load_key_store()[1][0] == tls.cert("server")


def test_encrypted_pem_key_store(tls):
    path, pw, _ = tls.encrypted_pem_key_store("server")
    util = ClientX509Util(config(keyStore__location=path, keyStore__password=pw))
    assert util.load_key_store()[1][0] == tls.cert("server")
    with pytest.raises(KeyManagerException, match="zookeeper.ssl.keyStore.location.*" + path):
        ClientX509Util(config(keyStore__location=path, keyStore__password="wrong")).load_key_store()
    with pytest.raises(KeyManagerException, match="encrypted and no password"):
        ClientX509Util(config(keyStore__location=path)).load_key_store()


@pytest.mark.parametrize("kind", ["jks", "pkcs12"])
def test_wrong_password(tls, kind):
    need_store(kind)
    path, _, _ = tls.server_store(kind)
    util = ClientX509Util(config(keyStore__location=path, keyStore__password="nope"))
    with pytest.raises(KeyManagerException) as e:
        util.create_ssl_context(True)
    assert "zookeeper.ssl.keyStore.location" in str(e.value) and path in str(e.value)
    assert "wrong password or corrupt file" in str(e.value)
    ts_path, _, _ = tls.trust_store(kind)
    util = ClientX509Util(config(trustStore__location=ts_path, trustStore__password="nope"))
    with pytest.raises(TrustManagerException) as e:
        util.check_config()
    assert "zookeeper.ssl.trustStore.location" in str(e.value) and ts_path in str(e.value)


def test_missing_and_unreadable_files(tmp_path):
    missing = str(tmp_path / "nothere.jks")
    with pytest.raises(KeyManagerException) as e:
        QuorumX509Util(config("zookeeper.ssl.quorum.", keyStore__location=missing)).check_config()
    assert "zookeeper.ssl.quorum.keyStore.location" in str(e.value) and missing in str(e.value)
    assert "file not found" in str(e.value)
    garbage = tmp_path / "garbage.p12"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(TrustManagerException, match="garbage.p12"):
        ClientX509Util(config(trustStore__location=str(garbage))).check_config()
    with pytest.raises(X509Exception, match="zookeeper.ssl.keyStore.type"):
        ClientX509Util(config(keyStore__location=str(tmp_path / "store.bin"))).check_config()


def test_password_path(tls, tmp_path):
    need_store("jks")
    path, pw, _ = tls.server_store("jks")
    secret = tmp_path / "secret"
    secret.write_text(pw + os.linesep)
    util = ClientX509Util(config(keyStore__location=path, keyStore__password="ignored",
                                 keyStore__passwordPath=str(secret)))
    assert util.load_key_store()[1][0] == tls.cert("server")
    util = ClientX509Util(config(keyStore__location=path, keyStore__passwordPath=str(tmp_path / "none")))
    with pytest.raises(X509Exception, match="zookeeper.ssl.keyStore.passwordPath"):
        util.load_key_store()


def test_server_side_needs_key_store(tls):
    util = ClientX509Util(config(trustStore__location=tls.trust_store("pem")[0]))
    util.check_config()  # a client without a key store is fine
    with pytest.raises(SSLContextException, match="zookeeper.ssl.keyStore.location"):
        util.create_ssl_context(True)
    with pytest.raises(SSLContextException):
        util.check_config(server_side=True)


def test_no_trust_store_uses_default_verify_paths(tls):
    ctx = ClientX509Util(config()).create_ssl_context(False)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


# -- refused settings, protocols, ciphers ----------------------------------------------------

@pytest.mark.parametrize("key,value,words", [
    ("crl", "true", "zookeeper.ssl.crl=true is not supported"),
    ("ocsp", "TRUE", "zookeeper.ssl.ocsp=true is not supported"),
    ("context.supplier.class", "com.example.Supplier", "zookeeper.ssl.context.supplier.class"),
    ("keyStore.type", "BCFKS", "BCFKS"),
    ("trustStore.type", "PKCS11", "zookeeper.ssl.trustStore.type"),
    ("protocol", "SSLv3", "zookeeper.ssl.protocol"),
    ("enabledProtocols", "TLSv1.2,TLSv9", "zookeeper.ssl.enabledProtocols"),
    ("ciphersuites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_FOO_WITH_BAR", "TLS_FOO_WITH_BAR"),
    ("ciphersuites", "TLS_AES_128_GCM_SHA256", "zookeeper.ssl.ciphersuites names no TLSv1.2"),
    ("clientAuth", "sometimes", "zookeeper.ssl.clientAuth"),
    ("hostnameVerification", "maybe", "zookeeper.ssl.hostnameVerification=maybe: not true or false"),
    ("crl", "ture", "zookeeper.ssl.crl=ture: not true or false"),
])
def test_check_config_refuses(key, value, words):
    cfg = ZKClientConfig()
    cfg.set_property("zookeeper.ssl." + key, value)
    with pytest.raises(X509Exception) as e:
        ClientX509Util(cfg).check_config()
    assert words in str(e.value)
    with pytest.raises(X509Exception):
        ClientX509Util(cfg).create_ssl_context(False)


def test_crl_message_says_why():
    with pytest.raises(X509Exception, match="Python's ssl module cannot"):
        QuorumX509Util(config("zookeeper.ssl.quorum.", crl="true")).check_config()


def test_cipher_suite_mapping():
    assert java_cipher_to_openssl("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") == "ECDHE-RSA-AES128-GCM-SHA256"
    assert java_cipher_to_openssl("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384") == "ECDHE-ECDSA-AES256-SHA384"
    assert java_cipher_to_openssl("TLS_RSA_WITH_AES_128_CBC_SHA") == "AES128-SHA"
    assert java_cipher_to_openssl("TLS_AES_128_GCM_SHA256") is None  # TLS 1.3: not an OpenSSL 1.2 name
    assert DEFAULT_CIPHERS_JAVA9[0] == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    assert all(java_cipher_to_openssl(c) for c in DEFAULT_CIPHERS_JAVA9)
    ctx = ClientX509Util(config()).create_ssl_context(False)
    tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"]
    assert tls12 == [java_cipher_to_openssl(c) for c in DEFAULT_CIPHERS_JAVA9]
    ctx = ClientX509Util(config(ciphersuites=" TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 ,"
                                             "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,"
                                             "TLS_CHACHA20_POLY1305_SHA256")).create_ssl_context(False)
    assert [c["name"] for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"] == ["ECDHE-RSA-AES256-GCM-SHA384"]


def test_protocol_versions():
    ctx = ClientX509Util(config()).create_ssl_context(False)
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    ctx = ClientX509Util(config(protocol="TLSv1.3")).create_ssl_context(False)
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    ctx = ClientX509Util(config(protocol="TLSv1.3", enabledProtocols="TLSv1.2,TLSv1.3")).create_ssl_context(False)
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    ctx = ClientX509Util(config(protocol="TLS")).create_ssl_context(False)
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    # A cipher list with no TLSv1.3 suite leaves TLSv1.3 off (it negotiated TLSv1.3 with OpenSSL's suites).
    ctx = ClientX509Util(config(protocol="TLS", ciphersuites="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
                         ).create_ssl_context(False)
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    with pytest.raises(X509Exception, match=r"names some TLSv1.3 cipher suites \(TLS_AES_128_GCM_SHA256\) but not all"):
        ClientX509Util(config(protocol="TLS",
                              ciphersuites="TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
                       ).create_ssl_context(False)
    with pytest.raises(X509Exception, match="names no TLSv1.3 cipher suite, but only TLSv1.3 is enabled"):
        ClientX509Util(config(protocol="TLSv1.3", ciphersuites="TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
                       ).create_ssl_context(False)


# -- handshakes -------------------------------------------------------------------------

def handshake(server_ctx, client_ctx, server_hostname="localhost"):
    """TLS over a socketpair, then one byte each way. (server_result, client_result): a dict or an exception."""
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    result = {}

    def serve():
        try:
            with server_ctx.wrap_socket(a, server_side=True) as s:
                s.sendall(b"s")
                s.recv(1)
                result["server"] = {"version": s.version(), "peer": s.getpeercert(binary_form=True)}
        except (ssl.SSLError, OSError) as e:
            result["server"] = e
            a.close()

    t = threading.Thread(target=serve)
    t.start()
    try:
        with client_ctx.wrap_socket(b, server_hostname=server_hostname) as c:
            c.sendall(b"c")
            if c.recv(1) != b"s":
                raise ssl.SSLError("no data")
            result["client"] = {"version": c.version()}
    except (ssl.SSLError, OSError) as e:
        result["client"] = e
        b.close()
    t.join(10)
    return result.get("server"), result.get("client")


def contexts(tls, client_auth, client_name="client", kind="pem", server_extra=None, client_extra=None,
             client_ca="main"):
    server = store_config(tls, kind, name="server", clientAuth=client_auth, **(server_extra or {}))
    if client_name is None:
        cfg = ZKClientConfig()
        for k, v in tls.properties(kind, name="client").items():
            if "trustStore" in k:
                cfg.set_property(k, v)
        client = ClientX509Util(cfg)
    else:
        client = store_config(tls, kind, name=client_name, **(client_extra or {}))
    return server.create_ssl_context(True), client.create_ssl_context(False)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_handshake_need_with_client_cert(tls, kind):
    need_store(kind)
    server, client = handshake(*contexts(tls, "need", kind=kind))
    assert isinstance(server, dict) and isinstance(client, dict), (server, client)
    assert server["version"] == "TLSv1.2"
    assert server["peer"] == tls.cert_der("client")


def test_handshake_need_without_client_cert_fails(tls):
    server, client = handshake(*contexts(tls, "need", client_name=None))
    assert isinstance(server, Exception) and isinstance(client, Exception)


@pytest.mark.parametrize("client_auth", ["want", "none"])
def test_handshake_want_none_without_client_cert(tls, client_auth):
    server, client = handshake(*contexts(tls, client_auth, client_name=None))
    assert isinstance(server, dict) and isinstance(client, dict), (server, client)
    assert server["peer"] is None


def test_handshake_none_does_not_ask_for_cert(tls):
    server, client = handshake(*contexts(tls, "none"))
    assert isinstance(server, dict) and server["peer"] is None


@pytest.mark.parametrize("client_auth", ["need", "want"])
def test_handshake_client_cert_from_other_ca_fails(tls, client_auth):
    tls.entity("client")
    if "mallory" not in tls._entities:
        tls.add_client("mallory", ca="other")
    server_ctx, _ = contexts(tls, client_auth)
    client = store_config(tls, "pem", name="mallory")  # key of "other", trusts "main"
    server, client = handshake(server_ctx, client.create_ssl_context(False))
    assert isinstance(server, Exception) and isinstance(client, Exception)


def test_handshake_server_from_other_ca_fails(tls):
    server_ctx, _ = contexts(tls, "none")
    client = store_config(tls, "pem", name="client", ca="other")  # trusts only "other"
    server, client = handshake(server_ctx, client.create_ssl_context(False))
    assert isinstance(client, ssl.SSLCertVerificationError)


def test_tls13_when_both_enable_it(tls):
    server, client = handshake(*contexts(tls, "need", server_extra={"enabledProtocols": "TLSv1.2,TLSv1.3"},
                                         client_extra={"protocol": "TLSv1.3"}))
    assert isinstance(server, dict) and server["version"] == "TLSv1.3", (server, client)
    server, client = handshake(*contexts(tls, "need", client_extra={"protocol": "TLSv1.3"}))
    assert isinstance(client, Exception)  # server TLSv1.2 only


def test_client_hostname_verification(tls):
    server_ctx, client_ctx = contexts(tls, "none")
    assert isinstance(handshake(server_ctx, client_ctx, "127.0.0.1")[1], dict)
    assert isinstance(handshake(server_ctx, client_ctx, "::1")[1], dict)
    assert isinstance(handshake(server_ctx, client_ctx, "wronghost")[1], ssl.SSLCertVerificationError)
    _, client_ctx = contexts(tls, "none", client_extra={"hostnameVerification": "false"})
    assert isinstance(handshake(server_ctx, client_ctx, "wronghost")[1], dict)


def test_verify_client_hostname(tls):
    quorum = QuorumX509Util(config("zookeeper.ssl.quorum."))
    quorum.verify_client_hostname(tls.cert_der("server"), "127.0.0.1")
    quorum.verify_client_hostname(tls.cert_der("server"), "::1")
    quorum.verify_client_hostname(tls.cert_der("server"), "::ffff:127.0.0.1")
    with pytest.raises(X509Exception, match="Failed to verify"):
        quorum.verify_client_hostname(tls.cert_der("client"), "127.0.0.1")  # CN=client, no SAN
    with pytest.raises(X509Exception):
        quorum.verify_client_hostname(tls.cert_der("server"), "10.1.2.3")
    QuorumX509Util(config("zookeeper.ssl.quorum.", hostnameVerification="false")).verify_client_hostname(
        tls.cert_der("client"), "127.0.0.1")
    ClientX509Util(config()).verify_client_hostname(tls.cert_der("client"), "127.0.0.1")  # client port: never


def test_cn_fallback_and_wildcards(tmp_path):
    m = TlsMaterial(tmp_path)
    m.add_client("host", subject="CN=localhost")
    QuorumX509Util(config("zookeeper.ssl.quorum.")).verify_client_hostname(m.cert_der("host"), "127.0.0.1")
    from zookeeper_py.common.x509_util import _dns_matches
    assert _dns_matches("*.example.com", "zk1.example.com")
    assert not _dns_matches("*.example.com", "a.zk1.example.com")
    assert not _dns_matches("zk*.example.*", "zk1.example.com")


# -- default context, reloading -------------------------------------------------------------

def test_default_context_cached_and_reset(tls):
    util = store_config(tls, "pem")
    first = util.get_default_ssl_context(True)
    assert util.get_default_ssl_context(True) is first
    assert util.get_default_ssl_context(False) is not first
    util.reset_context()
    assert util.get_default_ssl_context(True) is not first


def test_cert_file_reloading(tmp_path):
    m = TlsMaterial(tmp_path / "a")
    path = str(tmp_path / "server.pem")
    shutil.copy(m.server_store("pem")[0], path)
    util = ClientX509Util(config(keyStore__location=path, trustStore__location=m.trust_store("pem")[0]))
    first = util.get_default_ssl_context(True)
    util.enable_cert_file_reloading()
    try:
        threads = [t.name for t in threading.enumerate()]
        assert threads.count("FileChangeWatcher") >= 2
        time.sleep(0.05)  # let the watchers take their first look at the files
        m2 = TlsMaterial(tmp_path / "b")
        with open(m2.server_store("pem")[0], "rb") as src:
            data = src.read()
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        deadline = time.monotonic() + 10
        while util.get_default_ssl_context(True) is first:
            assert time.monotonic() < deadline, "the context was not rebuilt"
            time.sleep(0.05)
    finally:
        util.close()
    watcher_threads = [t for t in threading.enumerate() if t.name == "FileChangeWatcher"]
    for t in watcher_threads:
        t.join(5)


# -- X509AuthenticationProvider ----------------------------------------------------------------

class Cnxn:
    """The part of ServerCnxn the provider uses."""

    def __init__(self, chain):
        self.chain = chain
        self.auth_info = []

    def get_client_certificate_chain(self):
        return self.chain

    def get_session_id(self):
        return 0x1234

    def add_auth_info(self, id_):
        if id_ not in self.auth_info:
            self.auth_info.append(id_)


def test_x509_provider(tls):
    tls.entity("client")
    if "mallory" not in tls._entities:
        tls.add_client("mallory", ca="other")
    provider = X509AuthenticationProvider(trusted_certificates=[tls.ca_cert()])
    assert provider.get_scheme() == "x509" and provider.is_authenticated()
    cnxn = Cnxn([tls.cert_der("client")])
    assert provider.handle_authentication(cnxn, None) == Code.OK
    dn = "CN=client,OU=test,O=zookeeper_py"
    assert [(i.scheme, i.id) for i in cnxn.auth_info] == [("x509", dn)]
    assert provider.handle_authentication(Cnxn([]), None) == Code.AUTHFAILED
    assert provider.handle_authentication(Cnxn([tls.cert_der("mallory")]), None) == Code.AUTHFAILED
    assert X509AuthenticationProvider(trusted_certificates=None, key_store=("k", [])).handle_authentication(
        Cnxn([tls.cert_der("client")]), None) == Code.AUTHFAILED  # no trust manager: as Java
    assert provider.matches(dn, dn) and not provider.matches(dn, "CN=other")
    try:
        system_properties.set_property(ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER, dn)
        cnxn = Cnxn([tls.cert_der("client")])
        assert provider.handle_authentication(cnxn, None) == Code.OK
        assert [(i.scheme, i.id) for i in cnxn.auth_info] == [("super", dn), ("x509", dn)]
        assert provider.matches(dn, "CN=anything")
    finally:
        system_properties.clear_property(ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER)


def test_x509_provider_from_system_properties(tls):
    keys = tls.properties("pem", name="server")
    try:
        for k, v in keys.items():
            system_properties.set_property(k, v)
        provider = X509AuthenticationProvider()
        assert provider.get_trust_manager() == [tls.ca_cert()]
        assert provider.get_key_manager()[1][0] == tls.cert("server")
    finally:
        for k in keys:
            system_properties.clear_property(k)
    provider = X509AuthenticationProvider()
    with pytest.raises(TrustManagerException):
        provider.get_trust_manager()
    with pytest.raises(KeyManagerException):
        provider.get_key_manager()


def test_is_valid_dn():
    for good in ["CN=client,OU=test,O=zookeeper_py", "", "cn=a, o=b", "CN=a\\,b+UID=c",
                 "1.2.840.113549.1.9.1=#160161", "EMAILADDRESS=a@b.c", 'CN="quoted, value"', "OID.2.5.4.3=x"]:
        assert is_valid_dn(good), good
    for bad in ["CN", "FOO=bar", "CN=a,,", "=x", "CN=a\\"]:
        assert not is_valid_dn(bad), bad


def test_provider_registry_maps_java_class_names():
    saved = (ProviderRegistry._initialized, dict(ProviderRegistry._providers))
    key = "zookeeper.authProvider.x509"
    try:
        ProviderRegistry._initialized = False
        ProviderRegistry._providers = {}
        system_properties.set_property(key, "org.apache.zookeeper.server.auth.X509AuthenticationProvider")
        assert isinstance(ProviderRegistry.get_provider("x509"), X509AuthenticationProvider)
        assert ProviderRegistry.get_provider("digest") is not None
    finally:
        system_properties.clear_property(key)
        ProviderRegistry._initialized, ProviderRegistry._providers = saved


# -- subject DNs, against Java's X500Principal.getName() --------------------------------------------

def _cert_with_subject(name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")])  # Java refuses an empty issuer
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())).public_bytes(serialization.Encoding.DER)


def _awkward_subjects():
    from cryptography.x509.name import _ASN1Type
    A = x509.NameAttribute
    R = x509.RelativeDistinguishedName
    email = ObjectIdentifier("1.2.840.113549.1.9.1")
    return {
        "plain": x509.Name([A(NameOID.COUNTRY_NAME, "DE"), A(NameOID.ORGANIZATION_NAME, "zookeeper_py"),
                            A(NameOID.COMMON_NAME, "client")]),
        "email": x509.Name([A(NameOID.COMMON_NAME, "alice"), A(email, "alice@example.com")]),
        "specials": x509.Name([A(NameOID.ORGANIZATION_NAME, 'Example, Inc. + "Co" <x>; a=b \\ c'),
                               A(NameOID.COMMON_NAME, "#hash")]),
        "spaces": x509.Name([A(NameOID.COMMON_NAME, "  two leading, trailing  "),
                             A(NameOID.ORGANIZATIONAL_UNIT_NAME, " ")]),
        "multi": x509.Name([R([A(NameOID.COMMON_NAME, "bob"), A(NameOID.USER_ID, "b0b")]),
                            R([A(NameOID.ORGANIZATION_NAME, "O1"), A(NameOID.ORGANIZATIONAL_UNIT_NAME, "U1"),
                               A(NameOID.SERIAL_NUMBER, "42")])]),
        "utf8": x509.Name([A(NameOID.COMMON_NAME, "Jürgen Ünïcødé 日本 😀"),
                           A(NameOID.LOCALITY_NAME, "Zürich")]),
        "dc": x509.Name([A(NameOID.DOMAIN_COMPONENT, "org"), A(NameOID.DOMAIN_COMPONENT, "example"),
                         A(NameOID.STREET_ADDRESS, "1 Main St"), A(NameOID.STATE_OR_PROVINCE_NAME, "CA"),
                         A(NameOID.TITLE, "Dr"), A(NameOID.COMMON_NAME, "x")]),
        "types": x509.Name([A(NameOID.COMMON_NAME, "bmp é", _type=_ASN1Type.BMPString),
                            A(NameOID.ORGANIZATION_NAME, "t61 é", _type=_ASN1Type.T61String),
                            A(NameOID.ORGANIZATIONAL_UNIT_NAME, "ia5", _type=_ASN1Type.IA5String),
                            A(NameOID.LOCALITY_NAME, "univ", _type=_ASN1Type.UniversalString)]),
        "nul_cr": x509.Name([A(NameOID.COMMON_NAME, "a\x00b\r")]),
    }


def test_subject_dn_known_values():
    dns = {k: subject_dn(_cert_with_subject(v)) for k, v in _awkward_subjects().items()}
    assert dns["plain"] == "CN=client,O=zookeeper_py,C=DE"
    assert dns["email"] == "1.2.840.113549.1.9.1=#1611616c696365406578616d706c652e636f6d,CN=alice"
    assert dns["specials"] == 'CN=\\#hash,O=Example\\, Inc. \\+ \\"Co\\" \\<x\\>\\; a\\=b \\\\ c'
    assert dns["spaces"] == "OU=\\ ,CN=\\ \\ two leading\\, trailing\\ \\ "


def test_subject_dn_matches_java(tmp_path):
    java = shutil.which("java")
    if not java and os.environ.get("JAVA_HOME"):
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    if not java or not os.path.exists(java):
        pytest.skip("no java executable: cannot compare subject DNs with X500Principal.getName()")
    subjects = _awkward_subjects()
    paths, expected = [], []
    for name, subject in subjects.items():
        der = _cert_with_subject(subject)
        path = tmp_path / (name + ".der")
        path.write_bytes(der)
        paths.append(str(path))
        expected.append((name, subject_dn(der)))
    proc = subprocess.run([java, os.path.join(HERE, "DnPrinter.java"), *paths],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    java_dns = [bytes.fromhex(line).decode("utf-8") for line in proc.stdout.decode().split()]
    assert [(n, d) for (n, _), d in zip(expected, java_dns)] == expected
