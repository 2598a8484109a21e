"""Mirror of org.apache.zookeeper.server.auth.X509AuthenticationProvider."""

import datetime
import logging
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from zookeeper_py.common import system_properties
from zookeeper_py.common.client_x509_util import ClientX509Util
from zookeeper_py.common.file_key_store_loader import decode_oid, der_children, read_der_tlv
from zookeeper_py.common.x509_util import KeyManagerException, TrustManagerException, X509Exception
from zookeeper_py.data import Id
from zookeeper_py.keeper_exception import Code
from zookeeper_py.server.auth.authentication_provider import AuthenticationProvider

LOG = logging.getLogger("X509AuthenticationProvider")

ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER = "zookeeper.X509AuthenticationProvider.superUser"


# -- X500Principal.getName() (RFC 2253) ---------------------------------------------------

# sun.security.x509.AVAKeyword: the keywords RFC 2253 allows; other types print as OIDs.
RFC2253_KEYWORDS = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}
# AVA.isDerString(value, canonical=false): these print as text, any other tag as #hex.
# The charset DerValue.getAsString reads each with (ASCII: a byte above 0x7F becomes U+FFFD).
_STRING_TAGS = {0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1B: "ascii", 0x1E: "utf-16-be", 0x0C: "utf-8"}
_ESCAPEES = ',=+<>#;"\\'


def _ava_rfc2253(oid, tag, value_der, data):
    keyword = RFC2253_KEYWORDS.get(oid, oid)
    if keyword[0].isdigit() or tag not in _STRING_TAGS:
        return keyword + "=#" + value_der.hex()
    text = data.decode(_STRING_TAGS[tag], "replace")
    chars = []
    for c in text:
        if c in _ESCAPEES:
            chars.append("\\" + c)
        elif c == "\0":
            chars.append("\\00")
        else:
            chars.append(c)
    # Leading and trailing spaces (and CRs) get a backslash each, counted after escaping.
    flat = "".join(chars)
    lead = 0
    while lead < len(flat) and flat[lead] in " \r":
        lead += 1
    trail = len(flat) - 1
    while trail >= 0 and flat[trail] in " \r":
        trail -= 1
    out = "".join(("\\" + c) if (i < lead or i > trail) else c for i, c in enumerate(flat))
    return keyword + "=" + out


def name_der_to_rfc2253(name_der):
    """X500Principal(name_der).getName(): RDNs most specific first, AVAs of an RDN in encoded order."""
    tag, start, end = read_der_tlv(name_der, 0)
    if tag != 0x30:
        raise ValueError("a Name is a SEQUENCE")
    rdns = []
    for set_tag, s_start, s_end, _ in der_children(name_der, start, end):
        if set_tag != 0x31:
            raise ValueError("an RDN is a SET")
        avas = []
        for seq_tag, a_start, a_end, _ in der_children(name_der, s_start, s_end):
            parts = der_children(name_der, a_start, a_end)
            if seq_tag != 0x30 or len(parts) != 2 or parts[0][0] != 0x06:
                raise ValueError("bad AttributeTypeAndValue")
            oid = decode_oid(name_der[parts[0][1]:parts[0][2]])
            v_tag, v_start, v_end, v_elem = parts[1]
            avas.append(_ava_rfc2253(oid, v_tag, name_der[v_elem:v_end], name_der[v_start:v_end]))
        rdns.append("+".join(avas))
    return ",".join(reversed(rdns))


def subject_dn(cert_der):
    """The subject of a DER certificate exactly as Java's getSubjectX500Principal().getName()."""
    cert = x509.load_der_x509_certificate(bytes(cert_der))
    return name_der_to_rfc2253(cert.subject.public_bytes())


# A DN as X500Principal(String) accepts it (RFC 2253 / RFC 1779): keyword or OID = value.
_JAVA_KEYWORDS = {"CN", "C", "L", "S", "ST", "O", "OU", "T", "IP", "STREET", "DC", "DNQUALIFIER", "DNQ",
                  "SURNAME", "GIVENNAME", "INITIALS", "GENERATION", "EMAIL", "EMAILADDRESS", "UID",
                  "SERIALNUMBER"}
_TYPE = re.compile(r"\s*(?:(?:OID\.)?([0-9]+(?:\.[0-9]+)+)|([A-Za-z][A-Za-z0-9-]*))\s*=\s*")
_VALUE = re.compile(r'#(?:[0-9A-Fa-f]{2})+|"(?:[^"\\]|\\.)*"|(?:[^,+;"\\<>=]|\\[,=+<>#;"\\ ]|\\[0-9A-Fa-f]{2})*')


def is_valid_dn(text):
    """Whether `new X500Principal(text)` would accept it (close to Java's parser; "" is valid)."""
    if not text.strip():
        return True
    pos = 0
    while True:
        m = _TYPE.match(text, pos)
        if m is None or (m.group(2) is not None and m.group(2).upper() not in _JAVA_KEYWORDS):
            return False
        pos = m.end()
        v = _VALUE.match(text, pos)
        pos = v.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos == len(text):
            return True
        if text[pos] not in ",;+":
            return False
        pos += 1


# -- chain checking: Java's trustManager.checkClientTrusted -------------------------------------

def _signed_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    if hasattr(cert, "verify_directly_issued_by"):
        try:
            cert.verify_directly_issued_by(issuer)
            return True
        except (ValueError, TypeError, InvalidSignature):
            return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        return True
    except (InvalidSignature, TypeError, ValueError):
        return False


def _valid_now(cert, now):
    before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return before <= now <= after


def check_chain_trusted(chain, trusted):
    """Raise X509Exception unless chain[0] leads, through chain[1:], to a certificate of `trusted`."""
    now = datetime.datetime.now(datetime.timezone.utc)
    current = chain[0]
    pool = list(chain[1:])
    for _ in range(len(chain) + 1):
        if not _valid_now(current, now):
            raise X509Exception("certificate %s is expired or not yet valid" % current.subject.rfc4514_string())
        if current in trusted:
            return
        anchor = next((ca for ca in trusted if _signed_by(current, ca)), None)
        if anchor is not None:
            if not _valid_now(anchor, now):
                raise X509Exception("CA %s is expired" % anchor.subject.rfc4514_string())
            return
        nxt = next((c for c in pool if _signed_by(current, c)), None)
        if nxt is None:
            break
        pool.remove(nxt)
        current = nxt
    raise X509Exception("no trusted CA issued %s" % chain[0].subject.rfc4514_string())


class X509AuthenticationProvider(AuthenticationProvider):
    """Mirror of org.apache.zookeeper.server.auth.X509AuthenticationProvider: scheme "x509", id = client cert's DN.

    As in Java 3.5.7, ProviderRegistry knows it only through zookeeper.authProvider.N
    (e.g. zookeeper.authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider),
    and the server looks the provider of a TLS connection up by the scheme in
    zookeeper.ssl.authProvider (default "x509").

    The connection supplies `cnxn.get_client_certificate_chain()`: the peer's certificates
    as DER bytes, leaf first ([] when none). The provider checks them against its own
    trust store (zookeeper.ssl.trustStore.*), as Java's trust manager does; without a trust
    store every TLS client fails authentication, as in Java.
    """

    def __init__(self, trusted_certificates=None, key_store=None):
        """No arguments: the zookeeper.ssl.keyStore.* / trustStore.* system properties (Java's
        no-argument constructor). Else the CA certificates to trust and the (key, chain)
        of the key manager (Java's (trustManager, keyManager) constructor)."""
        if trusted_certificates is not None or key_store is not None:
            self._trusted = trusted_certificates
            self._key_store = key_store
            return
        x509_util = ClientX509Util()
        self._key_store = None
        self._trusted = None
        try:
            self._key_store = x509_util.load_key_store()
            if self._key_store is None:
                LOG.warning("keystore not specified for client connection")
        except X509Exception:
            LOG.error("Failed to create key manager", exc_info=True)
        try:
            if x509_util._get_boolean(x509_util.get_ssl_crl_enabled_property()) or \
                    x509_util._get_boolean(x509_util.get_ssl_ocsp_enabled_property()):
                raise TrustManagerException("%s / %s: revocation checking is not supported" % (
                    x509_util.get_ssl_crl_enabled_property(), x509_util.get_ssl_ocsp_enabled_property()))
            self._trusted = x509_util.load_trust_store()
            if self._trusted is None:
                LOG.warning("Truststore not specified for client connection")
        except X509Exception:
            LOG.error("Failed to create trust manager", exc_info=True)

    def get_scheme(self):
        return "x509"

    def handle_authentication(self, cnxn, auth_data):
        chain_der = cnxn.get_client_certificate_chain()
        if not chain_der:
            return Code.AUTHFAILED
        if self._trusted is None:
            LOG.error("No trust manager available to authenticate session 0x%x", cnxn.get_session_id())
            return Code.AUTHFAILED
        try:
            chain = [x509.load_der_x509_certificate(bytes(c)) for c in chain_der]
            check_chain_trusted(chain, self._trusted)
        except (ValueError, X509Exception) as e:
            LOG.error("Failed to trust certificate for session 0x%x: %s", cnxn.get_session_id(), e)
            return Code.AUTHFAILED
        client_id = self.get_client_id(chain_der[0])
        if client_id == system_properties.get_property(ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER):
            cnxn.add_auth_info(Id("super", client_id))
            LOG.info("Authenticated Id '%s' as super user", client_id)
        auth_info = Id(self.get_scheme(), client_id)
        cnxn.add_auth_info(auth_info)
        LOG.info("Authenticated Id '%s' for Scheme '%s'", client_id, self.get_scheme())
        return Code.OK

    def get_client_id(self, client_cert_der):
        """The id of an authenticated client: its certificate's subject DN (RFC 2253, as Java)."""
        return subject_dn(client_cert_der)

    def matches(self, id_, acl_expr):
        super_user = system_properties.get_property(ZOOKEEPER_X509AUTHENTICATIONPROVIDER_SUPERUSER)
        if super_user is not None:
            return id_ == super_user or id_ == acl_expr
        return id_ == acl_expr

    def is_authenticated(self):
        return True

    def is_valid(self, id_):
        return is_valid_dn(id_)

    def get_trust_manager(self):
        """The trusted CA certificates (Java: the X509TrustManager)."""
        if self._trusted is None:
            raise TrustManagerException("No trust manager available")
        return self._trusted

    def get_key_manager(self):
        """(private key, certificate chain) (Java: the X509KeyManager)."""
        if self._key_store is None:
            raise KeyManagerException("No key manager available")
        return self._key_store
