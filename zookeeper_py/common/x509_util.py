"""Mirror of org.apache.zookeeper.common.X509Util (with SSLContextAndOptions, ZKTrustManager, X509Exception).

Java builds a javax.net.ssl.SSLContext from `<prefix>keyStore.*`, `<prefix>trustStore.*`,
`<prefix>protocol`, ... and sets the remaining options (enabled protocols, cipher suites,
client auth) on each socket (SSLContextAndOptions). Python's ssl.SSLContext carries all of
these itself, so X509Util.create_ssl_context(server_side) returns one finished context per
side.

What Python's ssl cannot do is refused, never ignored (X509Util.check_config):
`<prefix>crl` / `<prefix>ocsp` (no CRL distribution point fetching, no OCSP),
`<prefix>context.supplier.class` (a Java class), BCFKS stores (a BouncyCastle format).
"""

import enum
import ipaddress
import logging
import os
import socket
import threading
import warnings

from zookeeper_py.common import system_properties
from zookeeper_py.common.file_change_watcher import FileChangeWatcher
from zookeeper_py.common.key_store_file_type import KeyStoreFileType
from zookeeper_py.common.lazy_module import LazyModule

LOG = logging.getLogger("X509Util")
ssl = LazyModule("ssl")  # TLS only: a server without TLS settings never imports it


class X509Exception(Exception):
    """Mirror of org.apache.zookeeper.common.X509Exception.

    Its Java nested classes are X509Exception.KeyManagerException,
    X509Exception.TrustManagerException and X509Exception.SSLContextException (also
    importable from this module by their short names).
    """


class KeyManagerException(X509Exception):
    """Mirror of org.apache.zookeeper.common.X509Exception.KeyManagerException."""


class TrustManagerException(X509Exception):
    """Mirror of org.apache.zookeeper.common.X509Exception.TrustManagerException."""


class SSLContextException(X509Exception):
    """Mirror of org.apache.zookeeper.common.X509Exception.SSLContextException."""


X509Exception.KeyManagerException = KeyManagerException
X509Exception.TrustManagerException = TrustManagerException
X509Exception.SSLContextException = SSLContextException


class ClientAuth(enum.Enum):
    """Mirror of org.apache.zookeeper.common.X509Util.ClientAuth: the server's demand for a client certificate."""

    NONE = "CERT_NONE"  # names in ssl, which is imported only for a context
    WANT = "CERT_OPTIONAL"
    NEED = "CERT_REQUIRED"

    @classmethod
    def from_property_value(cls, prop):
        """NEED for None or ""; the member named (any case); ValueError for another value."""
        if not prop:
            return cls.NEED
        try:
            return cls[prop.upper()]
        except KeyError:
            raise ValueError("No enum constant X509Util.ClientAuth." + prop.upper()) from None

    def to_verify_mode(self):
        """The ssl verify_mode of a server-side context (Java: toNettyClientAuth)."""
        return getattr(ssl, self.value)


# Java protocol names -> (minimum, maximum) TLS version. Java sets the context's enabled
# protocols to exactly [ssl.protocol] when ssl.enabledProtocols is unset
# (SSLContextAndOptions.getEnabledProtocols), so "TLSv1.2" means TLSv1.2 only, "TLSv1.3"
# TLSv1.3 only: a Java 3.8 peer on JDK 17 with the defaults negotiates TLSv1.2 with us.
# "TLS" is a valid SSLContext name but Java 3.5.7 then fails at socket set-up ("Unsupported
# protocol: TLS"); we take it as TLSv1.2..TLSv1.3, what a JDK 17 "TLS" context enables.
# SSLv3 / SSLv2Hello are refused (OpenSSL 3 has no SSLv3).
# Versions are named as in ssl.TLSVersion (ssl.TLSVersion[name]); "OP_NO_" + name is the option
# that switches one off.
_PROTOCOLS = {
    "TLSv1": ("TLSv1", "TLSv1"),
    "TLSv1.1": ("TLSv1_1", "TLSv1_1"),
    "TLSv1.2": ("TLSv1_2", "TLSv1_2"),
    "TLSv1.3": ("TLSv1_3", "TLSv1_3"),
    "TLS": ("TLSv1_2", "TLSv1_3"),
}
_VERSION_ORDER = ["TLSv1", "TLSv1_1", "TLSv1_2", "TLSv1_3"]


def _gcm_ciphers():
    return ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]


def _cbc_ciphers():
    return ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"]


# Java 9+'s default order (GCM first); the process is "Java 9+", so DEFAULT_CIPHERS_JAVA8 is unused.
DEFAULT_CIPHERS_JAVA8 = _cbc_ciphers() + _gcm_ciphers()
DEFAULT_CIPHERS_JAVA9 = _gcm_ciphers() + _cbc_ciphers()

# Java (IANA) TLS 1.2-and-lower suite names -> OpenSSL names.
JAVA_TO_OPENSSL_CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": "ECDHE-RSA-AES128-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384": "ECDHE-ECDSA-AES256-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384": "ECDHE-RSA-AES256-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256": "DHE-RSA-AES128-GCM-SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384": "DHE-RSA-AES256-GCM-SHA384",
    "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256": "DHE-DSS-AES128-GCM-SHA256",
    "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384": "DHE-DSS-AES256-GCM-SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "DHE-RSA-CHACHA20-POLY1305",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256": "DHE-RSA-AES128-SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256": "DHE-RSA-AES256-SHA256",
    "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256": "DHE-DSS-AES128-SHA256",
    "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256": "DHE-DSS-AES256-SHA256",
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA": "DHE-RSA-AES128-SHA",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA": "DHE-RSA-AES256-SHA",
    "TLS_DHE_DSS_WITH_AES_128_CBC_SHA": "DHE-DSS-AES128-SHA",
    "TLS_DHE_DSS_WITH_AES_256_CBC_SHA": "DHE-DSS-AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
    "TLS_RSA_WITH_AES_256_CBC_SHA256": "AES256-SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
}
# TLS 1.3 suites: OpenSSL enables these three by default and Python's ssl has no way to
# restrict them (no SSL_CTX_set_ciphersuites): a list naming all three or none (TLSv1.3 then
# off) is honoured, one naming only some is refused.
TLS13_CIPHERS = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
# A signalling value, not a suite; OpenSSL always sends it.
_SCSV = ("TLS_EMPTY_RENEGOTIATION_INFO_SCSV",)


def java_cipher_to_openssl(name):
    """The OpenSSL name of a Java TLS 1.2 suite name, or None if it is not one we know."""
    return JAVA_TO_OPENSSL_CIPHERS.get(name)


class X509Util:
    """Mirror of org.apache.zookeeper.common.X509Util: TLS settings -> ssl.SSLContext.

    Abstract: ClientX509Util ("zookeeper.ssl.") and QuorumX509Util ("zookeeper.ssl.quorum.")
    give the key prefix. `zk_config` is an object with get_property(key, default=None)
    (ZKClientConfig, ZKConfig), or None for the Java system properties; a key the config
    does not hold is read from the system properties (Java's ZKConfig copies them in).
    """

    DEFAULT_PROTOCOL = "TLSv1.2"
    DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS = 5000
    DEFAULT_CIPHERS_JAVA8 = DEFAULT_CIPHERS_JAVA8
    DEFAULT_CIPHERS_JAVA9 = DEFAULT_CIPHERS_JAVA9

    def __init__(self, zk_config=None):
        prefix = self.get_config_prefix()
        self._ssl_protocol_property = prefix + "protocol"
        self._ssl_enabled_protocols_property = prefix + "enabledProtocols"
        self._cipher_suites_property = prefix + "ciphersuites"
        self._ssl_keystore_location_property = prefix + "keyStore.location"
        self._ssl_keystore_passwd_property = prefix + "keyStore.password"
        self._ssl_keystore_passwd_path_property = prefix + "keyStore.passwordPath"
        self._ssl_keystore_type_property = prefix + "keyStore.type"
        self._ssl_truststore_location_property = prefix + "trustStore.location"
        self._ssl_truststore_passwd_property = prefix + "trustStore.password"
        self._ssl_truststore_passwd_path_property = prefix + "trustStore.passwordPath"
        self._ssl_truststore_type_property = prefix + "trustStore.type"
        self._ssl_context_supplier_class_property = prefix + "context.supplier.class"
        self._ssl_hostname_verification_enabled_property = prefix + "hostnameVerification"
        self._ssl_crl_enabled_property = prefix + "crl"
        self._ssl_ocsp_enabled_property = prefix + "ocsp"
        self._ssl_client_auth_property = prefix + "clientAuth"
        self._ssl_handshake_detection_timeout_millis_property = prefix + "handshakeDetectionTimeoutMillis"
        self._zk_config = zk_config
        self._lock = threading.Lock()
        self._default_contexts = {}  # server_side -> ssl.SSLContext
        self._key_store_file_watcher = None
        self._trust_store_file_watcher = None

    def get_config_prefix(self):
        raise NotImplementedError

    def should_verify_client_hostname(self):
        raise NotImplementedError

    # -- property names -------------------------------------------------------------

    def get_ssl_protocol_property(self):
        return self._ssl_protocol_property

    def get_ssl_enabled_protocols_property(self):
        return self._ssl_enabled_protocols_property

    def get_cipher_suites_property(self):
        return self._cipher_suites_property

    get_ssl_cipher_suites_property = get_cipher_suites_property

    def get_ssl_keystore_location_property(self):
        return self._ssl_keystore_location_property

    def get_ssl_keystore_passwd_property(self):
        return self._ssl_keystore_passwd_property

    def get_ssl_keystore_passwd_path_property(self):
        return self._ssl_keystore_passwd_path_property

    def get_ssl_keystore_type_property(self):
        return self._ssl_keystore_type_property

    def get_ssl_truststore_location_property(self):
        return self._ssl_truststore_location_property

    def get_ssl_truststore_passwd_property(self):
        return self._ssl_truststore_passwd_property

    def get_ssl_truststore_passwd_path_property(self):
        return self._ssl_truststore_passwd_path_property

    def get_ssl_truststore_type_property(self):
        return self._ssl_truststore_type_property

    def get_ssl_context_supplier_class_property(self):
        return self._ssl_context_supplier_class_property

    def get_ssl_hostname_verification_enabled_property(self):
        return self._ssl_hostname_verification_enabled_property

    def get_ssl_crl_enabled_property(self):
        return self._ssl_crl_enabled_property

    def get_ssl_ocsp_enabled_property(self):
        return self._ssl_ocsp_enabled_property

    def get_ssl_client_auth_property(self):
        return self._ssl_client_auth_property

    def get_ssl_handshake_detection_timeout_millis_property(self):
        return self._ssl_handshake_detection_timeout_millis_property

    def get_all_property_names(self):
        """Every key this X509Util reads (Java's ZKConfig.putSSLProperties copies these from the system properties)."""
        return [v for k, v in sorted(vars(self).items())
                if k.startswith(("_ssl_", "_cipher_")) and k.endswith("_property")]

    # -- config access --------------------------------------------------------------

    def _get(self, key, default=None):
        # Java's ZKConfig copies the ssl system properties in at construction
        # (handleBackwardCompatibility / putSSLProperties) and a config file overrides them:
        # so a key the config does not hold falls back to the system property.
        value = None if self._zk_config is None else self._zk_config.get_property(key)
        if value is None:
            value = system_properties.get_property(key)
        return default if value is None else value

    def _get_boolean(self, key, default=False):
        """Stricter than Java's Boolean.parseBoolean: these are security settings, and a typo
        would quietly mean false (no hostname check), so a value other than true or false is an
        X509Exception naming the key."""
        raw = self._get(key)
        if raw is None:
            return default
        value = system_properties.parse_true_or_false(raw)
        if value is None:
            raise X509Exception("%s=%s: not true or false" % (key, raw))
        return value

    def get_password_from_config_property_or_file(self, property_name, path_property_name):
        """3.8's getPasswordFromConfigPropertyOrFile: the passwordPath file's text (less one
        trailing line separator) wins over the password property."""
        value = self._get(property_name, "")
        path = self._get(path_property_name, "")
        if path:
            LOG.info("Reading secret from %s", path)
            try:
                with open(path, "rb") as f:
                    value = f.read().decode("utf-8", "replace")
            except OSError as e:
                raise X509Exception("Exception occurred when reading secret from file %s (%s): %s"
                                    % (path, path_property_name, e)) from e
            if value.endswith(os.linesep):
                value = value[:-len(os.linesep)]
        return value

    def get_ssl_handshake_timeout_millis(self):
        """The first-read deadline of a port that takes TLS and plaintext (default 5000, with a warning if invalid)."""
        key = self._ssl_handshake_detection_timeout_millis_property
        value = self._get(key)
        if value is None:
            return self.DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS
        try:
            result = int(value.strip())
        except ValueError:
            LOG.error("Error parsing config property %s: %r", key, value)
            return self.DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS
        if result < 1:
            # 0 would be an infinite timeout, which can lock up an accept thread for good.
            LOG.warning("Invalid value for %s: %d, using the default value of %d",
                        key, result, self.DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS)
            return self.DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS
        return result

    def get_client_auth(self):
        key = self._ssl_client_auth_property
        value = self._get(key)
        try:
            return ClientAuth.from_property_value(value)
        except ValueError:
            raise X509Exception("Bad value for %s: %r (must be NONE, WANT or NEED)" % (key, value)) from None

    def is_hostname_verification_enabled(self):
        return self._get_boolean(self._ssl_hostname_verification_enabled_property, True)

    def is_client_hostname_verification_enabled(self):
        """Java's sslClientHostnameVerificationEnabled: hostnameVerification and should_verify_client_hostname()."""
        return self.is_hostname_verification_enabled() and self.should_verify_client_hostname()

    def get_cipher_suites(self):
        """The Java suite names in force: <prefix>ciphersuites, or Java 9+'s default list."""
        value = self._get(self._cipher_suites_property)
        if value is None:
            return list(DEFAULT_CIPHERS_JAVA9)
        return [s.strip() for s in value.split(",") if s.strip()]

    def get_enabled_protocols(self):
        """The Java protocol names enabled: <prefix>enabledProtocols, or [<prefix>protocol] (SSLContextAndOptions)."""
        value = self._get(self._ssl_enabled_protocols_property)
        if value is None:
            return [self._get(self._ssl_protocol_property, self.DEFAULT_PROTOCOL).strip()]
        return [s.strip() for s in value.split(",") if s.strip()]

    # -- validation -----------------------------------------------------------------

    def _check_unsupported(self):
        """Refuse the settings Python's ssl cannot honour (raise X509Exception naming the key)."""
        for key, what in ((self._ssl_crl_enabled_property, "CRL checking"),
                          (self._ssl_ocsp_enabled_property, "OCSP checking")):
            if self._get_boolean(key):
                raise X509Exception(
                    "%s=true is not supported: %s needs certificate revocation lists or OCSP answers "
                    "fetched from the network, which Python's ssl module cannot do" % (key, what))
        supplier = self._get(self._ssl_context_supplier_class_property)
        if supplier:
            raise X509Exception("%s=%s is not supported: it names a Java class supplying an SSLContext"
                                % (self._ssl_context_supplier_class_property, supplier))
        self._versions()
        self._openssl_ciphers(self._versions())
        self.get_client_auth()
        self.is_hostname_verification_enabled()
        for key in (self._ssl_keystore_type_property, self._ssl_truststore_type_property):
            self._store_type(key, None)

    def _store_type(self, type_key, location):
        """The KeyStoreFileType of a store, from its type property or (if location) its extension."""
        value = self._get(type_key)
        try:
            if location is None:
                store_type = KeyStoreFileType.from_property_value(value)
            else:
                store_type = KeyStoreFileType.from_property_value_or_file_name(value, location)
        except ValueError as e:
            if value:
                raise X509Exception("Bad value for %s: %r (must be JKS, PEM or PKCS12)" % (type_key, value)) from None
            raise X509Exception("%s (set %s)" % (e, type_key)) from None
        if store_type is KeyStoreFileType.BCFKS:
            raise X509Exception("%s: BCFKS stores are not supported (a BouncyCastle FIPS format Python cannot "
                                "read)%s" % (type_key, "" if location is None else ": " + location))
        return store_type

    def _versions(self):
        """(minimum, maximum, versions to switch off in between) from the protocol settings."""
        key = (self._ssl_enabled_protocols_property if self._get(self._ssl_enabled_protocols_property) is not None
               else self._ssl_protocol_property)
        names = self.get_enabled_protocols()
        if not names:
            raise X509Exception("%s is empty" % key)
        versions = set()
        for name in names:
            if name not in _PROTOCOLS:
                raise X509Exception("%s: unknown or unsupported protocol %r (supported: %s)"
                                    % (key, name, ", ".join(_PROTOCOLS)))
            low, high = _PROTOCOLS[name]
            versions.update(_VERSION_ORDER[_VERSION_ORDER.index(low):_VERSION_ORDER.index(high) + 1])
        ordered = [v for v in _VERSION_ORDER if v in versions]
        gaps = [v for v in _VERSION_ORDER[_VERSION_ORDER.index(ordered[0]):_VERSION_ORDER.index(ordered[-1])]
                if v not in versions]
        return ordered[0], ordered[-1], gaps

    def _openssl_ciphers(self, versions):
        """(the OpenSSL cipher string for the TLS 1.2-and-lower suites or None if none are needed,
        the highest version the suites allow)."""
        key = self._cipher_suites_property
        low, high, _gaps = versions
        openssl = []
        tls13 = []
        for name in self.get_cipher_suites():
            if name in TLS13_CIPHERS:
                tls13.append(name)
                continue
            if name in _SCSV:
                continue
            mapped = java_cipher_to_openssl(name)
            if mapped is None:
                raise X509Exception("%s: unknown or unsupported cipher suite %r" % (key, name))
            probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            try:
                probe.set_ciphers(mapped)
            except ssl.SSLError:
                raise X509Exception("%s: cipher suite %r (OpenSSL %s) is not available in %s"
                                    % (key, name, mapped, ssl.OPENSSL_VERSION)) from None
            openssl.append(mapped)
        if low != "TLSv1_3" and not openssl:
            raise X509Exception("%s names no TLSv1.2-or-lower cipher suite, but TLS versions below 1.3 are enabled"
                                % key)
        if high == "TLSv1_3" and self._get(key) is not None and set(tls13) != set(TLS13_CIPHERS):
            if tls13:
                raise X509Exception(
                    "%s names some TLSv1.3 cipher suites (%s) but not all: Python's ssl cannot restrict "
                    "TLSv1.3's suites, OpenSSL offers all of %s; name all three, or none to leave TLSv1.3 off"
                    % (key, ", ".join(tls13), ", ".join(TLS13_CIPHERS)))
            if low == "TLSv1_3":
                raise X509Exception("%s names no TLSv1.3 cipher suite, but only TLSv1.3 is enabled" % key)
            high = "TLSv1_2"  # no TLSv1.3 suite allowed: TLSv1.3 cannot be negotiated, as in Java
        return (":".join(openssl) if openssl else None), high

    def check_config(self, server_side=None):
        """Raise X509Exception for any setting we cannot honour, or a store we cannot load.

        Builds the client-side context, and the server-side one when server_side is True,
        or when it is None and a key store is set (a server-side context needs one).
        """
        self._check_unsupported()
        self.create_ssl_context(False)
        if server_side or (server_side is None and self._get(self._ssl_keystore_location_property, "")):
            self.create_ssl_context(True)

    # -- stores ---------------------------------------------------------------------

    def load_key_store(self):
        """(private key, certificate chain) from <prefix>keyStore.*, or None when no location is set.

        Raises KeyManagerException naming the key and the file (Java: createKeyManager).
        """
        location = self._get(self._ssl_keystore_location_property, "")
        if not location:
            LOG.warning("%s not specified", self._ssl_keystore_location_property)
            return None
        key_prop = self._ssl_keystore_location_property
        store_type = self._store_type(self._ssl_keystore_type_property, location)
        password = self.get_password_from_config_property_or_file(
            self._ssl_keystore_passwd_property, self._ssl_keystore_passwd_path_property)
        # lazy: the store readers (cryptography) are loaded only when TLS is configured
        from zookeeper_py.common.file_key_store_loader import get_loader_for_key_store_file_type

        loader = get_loader_for_key_store_file_type(store_type)(
            key_store_path=location, key_store_password=password)
        try:
            key, chain = loader.load_key_store()
        except (OSError, ValueError, TypeError) as e:
            raise KeyManagerException("Failed to create KeyManager from %s=%s (%s): %s"
                                      % (key_prop, location, store_type.name, _reason(e))) from e
        return key, chain

    def load_trust_store(self):
        """[CA certificates] from <prefix>trustStore.*, or None when no location is set.

        Raises TrustManagerException naming the key and the file (Java: createTrustManager).
        """
        location = self._get(self._ssl_truststore_location_property, "")
        if not location:
            LOG.warning("%s not specified", self._ssl_truststore_location_property)
            return None
        key_prop = self._ssl_truststore_location_property
        store_type = self._store_type(self._ssl_truststore_type_property, location)
        password = self.get_password_from_config_property_or_file(
            self._ssl_truststore_passwd_property, self._ssl_truststore_passwd_path_property)
        # lazy: the store readers (cryptography) are loaded only when TLS is configured
        from zookeeper_py.common.file_key_store_loader import get_loader_for_key_store_file_type

        loader = get_loader_for_key_store_file_type(store_type)(
            trust_store_path=location, trust_store_password=password)
        try:
            cas = loader.load_trust_store()
        except (OSError, ValueError, TypeError) as e:
            raise TrustManagerException("Failed to create TrustManager from %s=%s (%s): %s"
                                        % (key_prop, location, store_type.name, _reason(e))) from e
        return cas

    # -- contexts -------------------------------------------------------------------

    def create_ssl_context(self, server_side):
        """A new ssl.SSLContext for one side, from the current settings and files.

        Raises X509Exception (KeyManagerException, TrustManagerException or
        SSLContextException) naming the key and the file. Unlike Java, a server-side
        context without a key store is an error here and now (Java fails at the first
        TLS connection).
        """
        self._check_unsupported()
        low, high, gaps = self._versions()
        ciphers, high = self._openssl_ciphers((low, high, gaps))
        key_store = self.load_key_store()
        trust_store = self.load_trust_store()
        if server_side and key_store is None:
            raise SSLContextException("%s is not set: a TLS server needs a key store"
                                      % self._ssl_keystore_location_property)

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.minimum_version = ssl.TLSVersion[low]
            ctx.maximum_version = ssl.TLSVersion[high]
            if gaps:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    for v in gaps:
                        ctx.options |= getattr(ssl, "OP_NO_" + v)
            if ciphers is not None:
                ctx.set_ciphers(ciphers)
        except (ssl.SSLError, ValueError) as e:
            raise SSLContextException("Cannot set %s / %s: %s" % (
                self._ssl_enabled_protocols_property, self._cipher_suites_property, e)) from e
        # Java's X509Util sets jdk.tls.rejectClientInitiatedRenegotiation=true.
        ctx.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)

        if key_store is not None:
            try:
                _load_cert_chain(ctx, *key_store)
            except (ssl.SSLError, OSError, ValueError) as e:
                raise KeyManagerException("Failed to use the key of %s=%s: %s" % (
                    self._ssl_keystore_location_property,
                    self._get(self._ssl_keystore_location_property), e)) from e
        purpose = ssl.Purpose.CLIENT_AUTH if server_side else ssl.Purpose.SERVER_AUTH
        if trust_store is not None:
            from cryptography.hazmat.primitives import serialization  # lazy: only with a trust store (TLS)

            try:
                ctx.load_verify_locations(cadata="".join(
                    c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in trust_store))
            except (ssl.SSLError, ValueError) as e:
                raise TrustManagerException("Failed to use the certificates of %s=%s: %s" % (
                    self._ssl_truststore_location_property,
                    self._get(self._ssl_truststore_location_property), e)) from e
        else:
            # Java falls back to the JVM's default trust (cacerts); we to OpenSSL's.
            ctx.load_default_certs(purpose)

        if server_side:
            # No hostname check of clients by ssl itself: QuorumX509Util's callers call
            # verify_client_hostname after the handshake.
            ctx.verify_mode = self.get_client_auth().to_verify_mode()
        else:
            ctx.check_hostname = self.is_hostname_verification_enabled()
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def get_default_ssl_context(self, server_side):
        """The cached context of one side (built on first use; thread-safe)."""
        server_side = bool(server_side)
        with self._lock:
            ctx = self._default_contexts.get(server_side)
            if ctx is None:
                ctx = self.create_ssl_context(server_side)
                self._default_contexts[server_side] = ctx
            return ctx

    def reset_context(self):
        """Rebuild the cached contexts from the files now on disk (Java: resetDefaultSSLContextAndOptions).

        As Java, a context that fails to rebuild (a file half written) keeps the old one and
        the X509Exception is raised; sides not built yet are built on next use.
        """
        with self._lock:
            sides = list(self._default_contexts)
            error = None
            for side in sides:
                try:
                    self._default_contexts[side] = self.create_ssl_context(side)
                except X509Exception as e:
                    error = e
            if error is not None:
                raise error

    # -- hostname verification of the peer (ZKTrustManager) -----------------------------

    def verify_client_hostname(self, cert_der, peer_ip):
        """ZKTrustManager.checkClientTrusted's host check, for servers of QuorumX509Util.

        Python's ssl cannot check a client certificate's names, so the server calls this
        after the handshake. A no-op unless hostnameVerification is on (default) and
        should_verify_client_hostname(). Raises X509Exception unless the certificate names
        peer_ip (an IP SAN), or the reverse-DNS name of peer_ip (a DNS SAN, or the CN if
        the certificate has no SAN), as Java does.
        """
        if not self.is_client_hostname_verification_enabled():
            return
        if not cert_der:
            raise X509Exception("Failed to verify host %s: no client certificate" % peer_ip)
        verify_peer_host(cert_der, peer_ip)

    # -- cert file reloading ------------------------------------------------------------

    def enable_cert_file_reloading(self):
        """Watch the key and trust store files and reset_context when one changes (3.5.7)."""
        LOG.info("enabling cert file reloading")
        for attr, key in (("_key_store_file_watcher", self._ssl_keystore_location_property),
                          ("_trust_store_file_watcher", self._ssl_truststore_location_property)):
            location = self._get(key)
            if not location:
                continue
            path = os.path.abspath(location)
            watcher = FileChangeWatcher(path, lambda p=path: self._handle_file_change(p))
            old = getattr(self, attr)
            if old is not None:
                old.stop()
            setattr(self, attr, watcher)
            watcher.start()

    def _handle_file_change(self, path):
        LOG.debug("Attempting to reset default SSL context after a change of %s", path)
        try:
            self.reset_context()
        except X509Exception:
            LOG.error("Failed to reset the SSL context after a change of %s; keeping the previous one",
                      path, exc_info=True)

    def close(self):
        """Stop the file watchers (Java: close)."""
        for attr in ("_key_store_file_watcher", "_trust_store_file_watcher"):
            watcher = getattr(self, attr)
            if watcher is not None:
                watcher.stop()
                setattr(self, attr, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _reason(e):
    if isinstance(e, FileNotFoundError):
        return "file not found"
    if isinstance(e, PermissionError):
        return "permission denied"
    return str(e) or type(e).__name__


def _load_cert_chain(ctx, key, chain):
    """ctx.load_cert_chain from objects: through a 0600 file in a private (0700) temporary
    directory, removed at once; the key in it is encrypted with a one-time password."""
    # lazy: with bz2 and lzma, 12 ms of PyPy's start, for TLS only
    import shutil
    import tempfile

    from cryptography.hazmat.primitives import serialization  # lazy: only with a key store (TLS)

    one_time = os.urandom(24).hex().encode("ascii")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(one_time))
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    tmp = tempfile.mkdtemp(prefix="zk-tls-")
    try:
        path = os.path.join(tmp, "chain.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        ctx.load_cert_chain(path, password=one_time)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- ZKHostnameVerifier, for verify_client_hostname ----------------------------------------

def _normalize_ip(text):
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _dns_matches(pattern, host):
    """ZKHostnameVerifier.matchIdentity (strict): a leftmost '*' matches one whole label."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == host
    p_labels = pattern.split(".")
    h_labels = host.split(".")
    if len(p_labels) != len(h_labels) or "*" in ".".join(p_labels[1:]):
        return False
    prefix, _, suffix = p_labels[0].partition("*")
    first = h_labels[0]
    return (first.startswith(prefix) and first.endswith(suffix) and len(first) >= len(prefix) + len(suffix)
            and p_labels[1:] == h_labels[1:])


def _cert_names(cert):
    from cryptography import x509  # lazy: cryptography is loaded only when TLS is configured

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None, None
    return ([_normalize_ip(str(ip)) for ip in san.get_values_for_type(x509.IPAddress)],
            san.get_values_for_type(x509.DNSName))


def _host_matches(cert, host):
    ips, dns_names = _cert_names(cert)
    addr = _normalize_ip(host)
    if addr is not None:
        return ips is not None and addr in ips
    if dns_names is None:
        # No SAN at all: the most specific CN, as ZKHostnameVerifier falls back to.
        from cryptography import x509  # lazy: cryptography is loaded only when TLS is configured

        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return bool(cns) and _dns_matches(str(cns[-1].value), host)
    return any(_dns_matches(name, host) for name in dns_names)


def verify_peer_host(cert_der, peer_ip):
    """ZKTrustManager.performHostVerification: the IP address first, then the reverse-DNS name."""
    from cryptography import x509  # lazy: cryptography is loaded only when TLS is configured

    try:
        cert = x509.load_der_x509_certificate(bytes(cert_der))
    except ValueError as e:
        raise X509Exception("Failed to verify host %s: bad certificate: %s" % (peer_ip, e)) from e
    if _host_matches(cert, peer_ip):
        return
    try:
        host_name = socket.gethostbyaddr(peer_ip.split("%", 1)[0])[0]
    except OSError:
        host_name = peer_ip
    if host_name != peer_ip and _host_matches(cert, host_name):
        return
    raise X509Exception("Failed to verify both host address %s and host name %s against the certificate of %s"
                        % (peer_ip, host_name, cert.subject.rfc4514_string()))
