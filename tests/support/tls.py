"""Certificates and key/trust stores for TLS tests.

    from tests.support.tls import TlsMaterial, session_tls_material

    tls = TlsMaterial(tmp_path)              # a CA "main" in tmp_path (EC P-256 keys, fast)
    tls.server_store("jks")                  # -> (path, "testpass", "JKS"), cert for the "server"
    tls.trust_store("pkcs12")                # -> (path, "testpass", "PKCS12"), trusts CA "main"
    tls.client_store("pem")                  # -> (path, "", "PEM"): key + cert of "client"
    tls.client_pem()                         # -> (cert.pem, key.pem, ca.pem) for kazoo / ssl
    tls.add_client("alice", subject="CN=alice,O=Example\\, Inc.,C=DE")
    tls.add_client("mallory", ca="other")    # signed by an unrelated second CA "other"
    tls.zoo_cfg_keys("jks")                  # {"ssl.keyStore.location": ..., ...} for zoo.cfg
    tls.zoo_cfg_keys("pem", prefix="ssl.quorum.")
    tls.properties("pkcs12", name="client")  # {"zookeeper.ssl.keyStore.location": ...} system properties
    tls.java_client_flags("jks")             # ["-Dzookeeper.client.secure=true", ...] for a Java client

Kinds are "pem", "jks" and "pkcs12". Every store has password PASSWORD ("testpass"),
except PEM files, which are not encrypted (password "").
Server certificates have SAN DNS:localhost, IP:127.0.0.1, IP:::1; client certificates the
subject given (an RFC 4514 string, or a cryptography x509.Name; default
"CN=<name>,OU=test,O=zookeeper_py"). Names "server*" are made as servers, others as
clients, on first use. No certificate carries an extended key usage, so each can act as
TLS server and client (quorum peers do both).

JKS stores, and PKCS12 stores, are made with the JDK's `keytool` (a key store by
`keytool -importkeystore` from a PKCS12 file written by `cryptography`, trust stores by
`keytool -importcert -noprompt`), so they are the files Java writes. A JKS store skips the
test (pytest.skip, with the reason) where keytool is missing; PKCS12 then falls back to the
cryptography-made files. PEM needs nothing but `cryptography`.

Files are made lazily, on first request, under the directory given. To share one set
among the tests of a session, use session_tls_material(tmp_path_factory) (cached per
pytest base temp directory), e.g. in a fixture of your own:

    @pytest.fixture(scope="session")
    def tls(tmp_path_factory):
        return session_tls_material(tmp_path_factory)
"""

import datetime
import ipaddress
import os
import shutil
import subprocess
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "testpass"
KINDS = ("pem", "jks", "pkcs12")
STORE_TYPES = {"pem": "PEM", "jks": "JKS", "pkcs12": "PKCS12"}
EXTENSIONS = {"pem": ".pem", "jks": ".jks", "pkcs12": ".p12"}
SERVER_HOSTS = ("localhost", "127.0.0.1", "::1")


def keytool_path():
    """The keytool executable, or None."""
    found = shutil.which("keytool")
    if found:
        return found
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(os.path.join(java_home, "bin", "keytool"), os.X_OK):
        return os.path.join(java_home, "bin", "keytool")
    return None


def _skip(reason):
    import pytest
    pytest.skip(reason)


def _name(subject):
    if isinstance(subject, x509.Name):
        return subject
    return x509.Name.from_rfc4514_string(subject)


class _Entity:
    __slots__ = ("name", "key", "cert", "ca")

    def __init__(self, name, key, cert, ca):
        self.name = name
        self.key = key
        self.cert = cert
        self.ca = ca


class TlsMaterial:
    """Test CAs, server and client certificates, and their stores in one directory (see the module docstring)."""

    PASSWORD = PASSWORD
    KINDS = KINDS

    def __init__(self, tmp_dir):
        self.dir = str(tmp_dir)
        os.makedirs(self.dir, exist_ok=True)
        self._lock = threading.RLock()
        self._cas = {}  # ca name -> (key, cert)
        self._entities = {}
        self._files = {}
        self._now = datetime.datetime.now(datetime.timezone.utc)

    # -- certificates ------------------------------------------------------------------

    def _validity(self, builder):
        return (builder.not_valid_before(self._now - datetime.timedelta(days=1))
                .not_valid_after(self._now + datetime.timedelta(days=365)))

    def ca(self, ca="main"):
        """(key, certificate) of a CA, made on first use ("main"; any other name is an unrelated CA)."""
        with self._lock:
            if ca not in self._cas:
                key = ec.generate_private_key(ec.SECP256R1())
                name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zookeeper_py tests"),
                                  x509.NameAttribute(NameOID.COMMON_NAME, "Test CA " + ca)])
                cert = (self._validity(x509.CertificateBuilder())
                        .subject_name(name).issuer_name(name).public_key(key.public_key())
                        .serial_number(x509.random_serial_number())
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                       critical=True)
                        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                        .sign(key, hashes.SHA256()))
                self._cas[ca] = (key, cert)
            return self._cas[ca]

    def ca_cert(self, ca="main"):
        return self.ca(ca)[1]

    def _issue(self, name, subject, ca, sans):
        ca_key, ca_cert = self.ca(ca)
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (self._validity(x509.CertificateBuilder())
                   .subject_name(_name(subject)).issuer_name(ca_cert.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        entity = _Entity(name, key, builder.sign(ca_key, hashes.SHA256()), ca)
        self._entities[name] = entity
        return entity

    def add_server(self, name="server", ca="main", hosts=SERVER_HOSTS, subject=None):
        """A server certificate with SAN for `hosts` (DNS names and IP addresses)."""
        with self._lock:
            sans = []
            for h in hosts:
                try:
                    sans.append(x509.IPAddress(ipaddress.ip_address(h)))
                except ValueError:
                    sans.append(x509.DNSName(h))
            return self._issue(name, subject or "CN=%s,OU=test,O=zookeeper_py" % name, ca, sans)

    def add_client(self, name="client", subject=None, ca="main"):
        """A client certificate with the subject given (RFC 4514 string or x509.Name), no SAN."""
        with self._lock:
            return self._issue(name, subject or "CN=%s,OU=test,O=zookeeper_py" % name, ca, [])

    def entity(self, name):
        with self._lock:
            if name not in self._entities:
                if name.startswith("server"):
                    self.add_server(name)
                else:
                    self.add_client(name)
            return self._entities[name]

    def cert(self, name="client"):
        """The cryptography certificate of an entity."""
        return self.entity(name).cert

    def cert_der(self, name="client"):
        return self.entity(name).cert.public_bytes(serialization.Encoding.DER)

    # -- files ----------------------------------------------------------------------

    def _path(self, filename):
        return os.path.join(self.dir, filename)

    def _write(self, filename, data):
        path = self._path(filename)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _once(self, key, make):
        with self._lock:
            if key not in self._files:
                self._files[key] = make()
            return self._files[key]

    def _keytool(self, *args):
        tool = keytool_path()
        if tool is None:
            _skip("keytool (JDK) is not installed: cannot make JKS stores")
        proc = subprocess.run([tool, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("keytool %s failed: %s" % (" ".join(args), proc.stdout.decode(errors="replace")))

    def _cryptography_p12(self, name):
        def make():
            e = self.entity(name)
            data = pkcs12.serialize_key_and_certificates(
                name.encode(), e.key, e.cert, [self.ca_cert(e.ca)],
                serialization.BestAvailableEncryption(PASSWORD.encode()))
            return self._write(name + "-cryptography.p12", data)
        return self._once(("p12-src", name), make)

    def pem_files(self, name="client"):
        """(cert.pem, key.pem, ca.pem) of an entity: its certificate, unencrypted PKCS#8 key, its CA."""
        def make():
            e = self.entity(name)
            cert = self._write(name + "-cert.pem", e.cert.public_bytes(serialization.Encoding.PEM))
            key = self._write(name + "-key.pem", e.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            os.chmod(key, 0o600)
            return cert, key, self._ca_pem(e.ca)
        return self._once(("pem-files", name), make)

    def client_pem(self, name="client"):
        return self.pem_files(name)

    def server_pem(self, name="server"):
        return self.pem_files(name)

    def _ca_pem(self, ca):
        return self._once(("ca-pem", ca), lambda: self._write(
            "ca-%s.pem" % ca, self.ca_cert(ca).public_bytes(serialization.Encoding.PEM)))

    def encrypted_pem_key_store(self, name="client", password=PASSWORD):
        """(path, password, "PEM"): an encrypted PKCS#8 key and the certificate in one file."""
        def make():
            e = self.entity(name)
            data = e.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(password.encode()))
            return self._write(name + "-encrypted.pem", data + e.cert.public_bytes(serialization.Encoding.PEM))
        return self._once(("pem-enc", name, password), make), password, "PEM"

    def key_store(self, name, kind):
        """(path, password, type) of the key store of an entity: its key and certificate chain."""
        if kind == "pem":
            def make():
                e = self.entity(name)
                key = e.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
                path = self._write(name + ".pem", key + e.cert.public_bytes(serialization.Encoding.PEM))
                os.chmod(path, 0o600)
                return path
            return self._once(("ks", name, kind), make), "", "PEM"
        if kind not in ("jks", "pkcs12"):
            raise ValueError("kind must be one of %s" % (KINDS,))
        if kind == "pkcs12" and keytool_path() is None:
            return self._cryptography_p12(name), PASSWORD, "PKCS12"

        def make():
            src = self._cryptography_p12(name)
            dest = self._path(name + EXTENSIONS[kind])
            if os.path.exists(dest):
                os.remove(dest)
            self._keytool("-importkeystore", "-noprompt", "-srckeystore", src, "-srcstoretype", "PKCS12",
                          "-srcstorepass", PASSWORD, "-destkeystore", dest, "-deststoretype", STORE_TYPES[kind],
                          "-deststorepass", PASSWORD, "-destkeypass", PASSWORD)
            return dest
        return self._once(("ks", name, kind), make), PASSWORD, STORE_TYPES[kind]

    def server_store(self, kind, name="server"):
        return self.key_store(name, kind)

    def client_store(self, kind, name="client"):
        return self.key_store(name, kind)

    def trust_store(self, kind, ca="main"):
        """(path, password, type) of a trust store holding the certificate of CA `ca`."""
        if kind == "pem":
            return self._ca_pem(ca), "", "PEM"
        if kind not in ("jks", "pkcs12"):
            raise ValueError("kind must be one of %s" % (KINDS,))
        if kind == "pkcs12" and keytool_path() is None:
            def make_p12():
                data = pkcs12.serialize_key_and_certificates(
                    None, None, None, [self.ca_cert(ca)], serialization.BestAvailableEncryption(PASSWORD.encode()))
                return self._write("truststore-%s-cryptography.p12" % ca, data)
            return self._once(("ts-crypto", ca), make_p12), PASSWORD, "PKCS12"

        def make():
            dest = self._path("truststore-%s%s" % (ca, EXTENSIONS[kind]))
            if os.path.exists(dest):
                os.remove(dest)
            self._keytool("-importcert", "-noprompt", "-alias", "ca-" + ca, "-file", self._ca_pem(ca),
                          "-keystore", dest, "-storetype", STORE_TYPES[kind], "-storepass", PASSWORD)
            return dest
        return self._once(("ts", ca, kind), make), PASSWORD, STORE_TYPES[kind]

    # -- configuration ----------------------------------------------------------------

    def _keys(self, kind, prefix, name, ca):
        ks_path, ks_pw, ks_type = self.key_store(name, kind)
        ts_path, ts_pw, ts_type = self.trust_store(kind, ca)
        keys = {prefix + "keyStore.location": ks_path, prefix + "keyStore.type": ks_type,
                prefix + "trustStore.location": ts_path, prefix + "trustStore.type": ts_type}
        if ks_pw:
            keys[prefix + "keyStore.password"] = ks_pw
        if ts_pw:
            keys[prefix + "trustStore.password"] = ts_pw
        return keys

    def zoo_cfg_keys(self, kind, prefix="ssl.", name="server", ca="main"):
        """zoo.cfg keys for a server: <prefix>keyStore.* of `name`, <prefix>trustStore.* of CA `ca`."""
        return self._keys(kind, prefix, name, ca)

    def properties(self, kind, prefix="zookeeper.ssl.", name="client", ca="main"):
        """System properties / ZKClientConfig keys: zookeeper.ssl.keyStore.* of `name`, trustStore.* of `ca`."""
        return self._keys(kind, prefix, name, ca)

    def java_client_flags(self, kind, name="client", ca="main"):
        """JVM flags for a Java client (zkCli.sh via CLIENT_JVMFLAGS) connecting with TLS."""
        flags = ["-Dzookeeper.client.secure=true",
                 "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty"]
        flags += ["-D%s=%s" % kv for kv in self.properties(kind, "zookeeper.ssl.", name, ca).items()]
        return flags


_SESSION = {}
_SESSION_LOCK = threading.Lock()


def session_tls_material(tmp_path_factory):
    """One TlsMaterial per pytest session (per base temp directory), in <basetemp>/tls."""
    base = str(tmp_path_factory.getbasetemp())
    with _SESSION_LOCK:
        if base not in _SESSION:
            _SESSION[base] = TlsMaterial(os.path.join(base, "tls"))
        return _SESSION[base]
