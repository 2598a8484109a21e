"""Mirror of org.apache.zookeeper.common.FileKeyStoreLoader and its subclasses.

Java loads a key store or trust store file into a java.security.KeyStore (JKSFileLoader,
PKCS12FileLoader, PEMFileLoader, chosen by FileKeyStoreLoaderBuilderProvider). Python's
ssl module wants a private key and certificate chain (load_cert_chain) and a list of CA
certificates (load_verify_locations), so here a loader returns exactly those, as
`cryptography` objects:

    load_key_store()   -> (private_key, [leaf certificate, intermediates...])
    load_trust_store() -> [CA certificates]

Errors are OSError (missing or unreadable file) or ValueError (bad content, wrong
password); X509Util wraps them in X509Exception naming the config key and the file.

JKS is read by our own reader (JKSFileLoader.parse_jks), not pyjks, whose C extensions do
not build on PyPy. As the JDK 9+ "keystore.type.compat" does, a JKS loader reads a PKCS12
file and a PKCS12 loader a JKS file (the file's magic number decides).
"""

import hashlib
import hmac
import re
import struct

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from zookeeper_py.common.key_store_file_type import KeyStoreFileType

JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
# sun.security.provider.KeyProtector's algorithm: 1.3.6.1.4.1.42.2.17.1.1
KEY_PROTECTOR_OID = "1.3.6.1.4.1.42.2.17.1.1"
WRONG_PASSWORD = "wrong password or corrupt file (Keystore was tampered with, or password was incorrect)"

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_USHORT = struct.Struct(">H")


# -- a little DER ------------------------------------------------------------------------

def read_der_tlv(buf, pos):
    """One DER element at buf[pos:]: (tag, content_start, end). Short tags only."""
    if pos + 2 > len(buf):
        raise ValueError("truncated DER")
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf):
            raise ValueError("bad DER length")
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    if pos + length > len(buf):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def der_children(buf, start, end):
    """The elements inside a constructed DER value: a list of (tag, content_start, end, element_start)."""
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = read_der_tlv(buf, pos)
        out.append((tag, cstart, cend, pos))
        pos = cend
    return out


def decode_oid(content):
    """Dotted string of an OBJECT IDENTIFIER's content bytes."""
    values = []
    value = 0
    for b in content:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            values.append(value)
            value = 0
    if not values:
        raise ValueError("empty OID")
    first = values[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(v) for v in head + values[1:])


# -- loaders ---------------------------------------------------------------------------

class FileKeyStoreLoader:
    """Mirror of org.apache.zookeeper.common.FileKeyStoreLoader (and its Builder: keyword arguments here)."""

    def __init__(self, key_store_path=None, trust_store_path=None, key_store_password=None,
                 trust_store_password=None):
        self.key_store_path = key_store_path
        self.trust_store_path = trust_store_path
        self.key_store_password = key_store_password
        self.trust_store_password = trust_store_password

    def load_key_store(self):
        """(private key, certificate chain leaf first)."""
        raise NotImplementedError

    def load_trust_store(self):
        """[CA certificates]."""
        raise NotImplementedError

    @staticmethod
    def _read(path):
        with open(path, "rb") as f:
            return f.read()


def order_chain(leaf, others):
    """leaf, then the certificates of `others` that issued it, up the chain (keytool keeps no order)."""
    chain = [leaf]
    pool = list(others)
    current = leaf
    while pool:
        issuer = next((c for c in pool if c.subject == current.issuer and c != current), None)
        if issuer is None:
            break
        chain.append(issuer)
        pool.remove(issuer)
        if issuer.subject == issuer.issuer:
            break
        current = issuer
    return chain


class _StandardTypeFileKeyStoreLoader(FileKeyStoreLoader):
    """Mirror of org.apache.zookeeper.common.StandardTypeFileKeyStoreLoader: JKS or PKCS12, by magic."""

    def _load(self, path, password):
        data = self._read(path)
        if len(data) >= 4 and _INT.unpack_from(data)[0] & 0xFFFFFFFF == JKS_MAGIC:
            return JKSFileLoader.parse_jks(data, password or "")
        if len(data) >= 4 and _INT.unpack_from(data)[0] & 0xFFFFFFFF == JCEKS_MAGIC:
            raise ValueError("JCEKS key stores are not supported")
        return PKCS12FileLoader.parse_pkcs12(data, password or "")

    def load_key_store(self):
        keys, trusted = self._load(self.key_store_path, self.key_store_password)
        if not keys:
            raise ValueError("no private key entry in key store " + self.key_store_path)
        key, chain = keys[0]
        return key, order_chain(chain[0], chain[1:] + trusted)

    def load_trust_store(self):
        keys, trusted = self._load(self.trust_store_path, self.trust_store_password)
        # Java's PKIX trust manager trusts every certificate in the store: trusted-cert
        # entries and the certificates of key entries alike.
        certs = list(trusted)
        for _key, chain in keys:
            certs.extend(chain)
        return certs


class JKSFileLoader(_StandardTypeFileKeyStoreLoader):
    """Mirror of org.apache.zookeeper.common.JKSFileLoader."""

    @staticmethod
    def parse_jks(data, password):
        """A JKS file -> ([(private key, [certificates])], [trusted certificates]).

        The layout is sun.security.provider.JavaKeyStore's: magic, version 1 or 2, entry
        count, entries (1 = private key protected by KeyProtector, 2 = trusted
        certificate), then SHA-1(password as UTF-16BE, "Mighty Aphrodite", everything
        before) over the whole file. As Java does with a non-null password, the digest is
        always checked, an empty password included.
        """
        pw = password.encode("utf-16-be")
        pos = 0

        def take(n):
            nonlocal pos
            if pos + n > len(data):
                raise ValueError("truncated JKS key store")
            out = data[pos:pos + n]
            pos += n
            return out

        def read_int():
            return _INT.unpack(take(4))[0]

        def read_utf():
            (n,) = _USHORT.unpack(take(2))
            return take(n).decode("utf-8", "replace")

        magic = read_int() & 0xFFFFFFFF
        version = read_int()
        if magic != JKS_MAGIC or version not in (1, 2):
            raise ValueError("Invalid keystore format")
        count = read_int()
        protected_keys = []
        trusted_der = []
        for _ in range(count):
            tag = read_int()
            read_utf()  # alias
            take(8)  # creation date
            if tag == 1:
                protected = take(read_int())
                chain = []
                for _ in range(read_int()):
                    if version == 2:
                        read_utf()  # certificate type, "X.509"
                    chain.append(take(read_int()))
                protected_keys.append((protected, chain))
            elif tag == 2:
                if version == 2:
                    read_utf()
                trusted_der.append(take(read_int()))
            else:
                raise ValueError("Unrecognized keystore entry")
        expected = hashlib.sha1(pw + b"Mighty Aphrodite" + data[:pos]).digest()
        if not hmac.compare_digest(expected, take(20)):
            raise ValueError(WRONG_PASSWORD)
        keys = []
        for protected, chain in protected_keys:
            key = serialization.load_der_private_key(JKSFileLoader.recover_key(protected, pw), None)
            keys.append((key, [x509.load_der_x509_certificate(c) for c in chain]))
        return keys, [x509.load_der_x509_certificate(c) for c in trusted_der]

    @staticmethod
    def recover_key(protected, pw):
        """sun.security.provider.KeyProtector.recover: the PKCS#8 bytes of a protected key.

        `protected` is an EncryptedPrivateKeyInfo whose data is salt(20) + key XOR keystream +
        SHA-1(password, key); the keystream is SHA-1(password, previous block), starting
        from the salt. `pw` is the password as UTF-16BE.
        """
        tag, start, end = read_der_tlv(protected, 0)
        parts = der_children(protected, start, end)
        if tag != 0x30 or len(parts) != 2 or parts[0][0] != 0x30 or parts[1][0] != 0x04:
            raise ValueError("bad EncryptedPrivateKeyInfo in JKS key entry")
        alg = der_children(protected, parts[0][1], parts[0][2])
        if not alg or alg[0][0] != 0x06 or decode_oid(protected[alg[0][1]:alg[0][2]]) != KEY_PROTECTOR_OID:
            raise ValueError("Unsupported key protection algorithm")
        blob = protected[parts[1][1]:parts[1][2]]
        if len(blob) < 40:
            raise ValueError("bad protected key in JKS key entry")
        salt, encrypted, check = blob[:20], blob[20:-20], blob[-20:]
        stream = bytearray()
        digest = salt
        while len(stream) < len(encrypted):
            digest = hashlib.sha1(pw + digest).digest()
            stream += digest
        plain = bytes(a ^ b for a, b in zip(encrypted, stream))
        if not hmac.compare_digest(hashlib.sha1(pw + plain).digest(), check):
            raise ValueError("Cannot recover key: " + WRONG_PASSWORD)
        return plain


class PKCS12FileLoader(_StandardTypeFileKeyStoreLoader):
    """Mirror of org.apache.zookeeper.common.PKCS12FileLoader."""

    @staticmethod
    def parse_pkcs12(data, password):
        """A PKCS12 file -> ([(private key, [certificates])], [other certificates])."""
        try:
            key, cert, others = pkcs12.load_key_and_certificates(data, password.encode("utf-8") or None)
        except ValueError:
            if password:
                raise ValueError("Invalid PKCS12 file or " + WRONG_PASSWORD) from None
            # A store written with an empty password (not "no password").
            try:
                key, cert, others = pkcs12.load_key_and_certificates(data, b"")
            except ValueError:
                raise ValueError("Invalid PKCS12 file or " + WRONG_PASSWORD) from None
        others = list(others or [])
        if key is not None and cert is not None:
            chain = order_chain(cert, others)
            rest = [c for c in others if c not in chain]
            return [(key, chain)], rest
        return [], ([cert] if cert is not None else []) + others


class PEMFileLoader(FileKeyStoreLoader):
    """Mirror of org.apache.zookeeper.common.PEMFileLoader (with org.apache.zookeeper.util.PemReader).

    Key store: the file's private key (PKCS#8, or the traditional RSA/EC forms; encrypted
    with the password when one is given) and its CERTIFICATE blocks, leaf first. Trust
    store: every CERTIFICATE block.
    """

    _BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.S)

    @classmethod
    def _blocks(cls, data):
        return [(m.group(1).decode("ascii"), m.group(0)) for m in cls._BLOCK.finditer(data)]

    def load_key_store(self):
        blocks = self._blocks(self._read(self.key_store_path))
        keys = [b for name, b in blocks if name.endswith("PRIVATE KEY")]
        certs = [x509.load_pem_x509_certificate(b) for name, b in blocks if name == "CERTIFICATE"]
        if not keys:
            raise ValueError("found no private key in " + self.key_store_path)
        if not certs:
            raise ValueError("found no certificate in " + self.key_store_path)
        password = self.key_store_password.encode("utf-8") if self.key_store_password else None
        try:
            key = serialization.load_pem_private_key(keys[0], password)
        except TypeError as e:
            if password is None:
                raise ValueError("the private key is encrypted and no password is set") from None
            # A password set for a key that is not encrypted: Java's PemReader would fail
            # to parse the key as encrypted; the key is usable, so we take it.
            if "not encrypted" not in str(e):
                raise ValueError(str(e)) from None
            key = serialization.load_pem_private_key(keys[0], None)
        except ValueError:
            raise ValueError("cannot read the private key: " + WRONG_PASSWORD) from None
        return key, order_chain(certs[0], certs[1:])

    def load_trust_store(self):
        blocks = self._blocks(self._read(self.trust_store_path))
        certs = [x509.load_pem_x509_certificate(b) for name, b in blocks if name == "CERTIFICATE"]
        if not certs:
            raise ValueError("found no certificate in " + self.trust_store_path)
        return certs


def get_loader_for_key_store_file_type(store_file_type):
    """Mirror of FileKeyStoreLoaderBuilderProvider.getBuilderForKeyStoreFileType: the loader class."""
    if store_file_type is KeyStoreFileType.JKS:
        return JKSFileLoader
    if store_file_type is KeyStoreFileType.PEM:
        return PEMFileLoader
    if store_file_type is KeyStoreFileType.PKCS12:
        return PKCS12FileLoader
    raise ValueError("Unsupported key store file type: " + str(store_file_type.name))
