"""Mirror of org.apache.zookeeper.client.ZKClientConfig (with the parts of ZKConfig it uses).

Properties come from Java system properties (zookeeper_py.common.system_properties, fed by
-D flags and CLIENT_JVMFLAGS/JVMFLAGS) and, for ZKClientConfig(path), a properties file.
"""

import logging
import os

from zookeeper_py.common import system_properties
from zookeeper_py.server.quorum.quorum_server import ConfigException  # noqa: F401  (Java's client throws it too)

LOG = logging.getLogger("ZKClientConfig")


def _read_properties(path):
    """java.util.Properties.load for the simple forms: key=value, key: value, key value."""
    props = {}
    with open(path, encoding="latin-1") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip()
        i += 1
        if not line or line[0] in "#!":
            continue
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(lines):
            line = line[:-1] + lines[i].lstrip()
            i += 1
        for j, c in enumerate(line):
            if c in "=: \t":
                key, value = line[:j], line[j + 1:].lstrip(" \t")
                if c in " \t" and value[:1] in ("=", ":"):
                    value = value[1:].lstrip(" \t")
                break
        else:
            key, value = line, ""
        props[key] = value
    return props


class ZKClientConfig:
    """Mirror of org.apache.zookeeper.client.ZKClientConfig."""

    ZK_SASL_CLIENT_USERNAME = "zookeeper.sasl.client.username"
    ZK_SASL_CLIENT_USERNAME_DEFAULT = "zookeeper"
    ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME = "zookeeper.sasl.client.canonicalize.hostname"
    LOGIN_CONTEXT_NAME_KEY_DEFAULT = "Client"
    JAAS_CONF_KEY = "java.security.auth.login.config"
    ENABLE_CLIENT_SASL_KEY = "zookeeper.sasl.client"
    ENABLE_CLIENT_SASL_DEFAULT = "true"
    LOGIN_CONTEXT_NAME_KEY = "zookeeper.sasl.clientconfig"
    ZOOKEEPER_SERVER_REALM = "zookeeper.server.realm"
    DISABLE_AUTO_WATCH_RESET = "zookeeper.disableAutoWatchReset"
    ZOOKEEPER_CLIENT_CNXN_SOCKET = "zookeeper.clientCnxnSocket"
    SECURE_CLIENT = "zookeeper.client.secure"
    SSL_PROPERTY_PREFIX = "zookeeper.ssl."
    ZOOKEEPER_REQUEST_TIMEOUT = "zookeeper.request.timeout"
    ZOOKEEPER_SERVER_PRINCIPAL = "zookeeper.server.principal"
    ZOOKEEPER_REQUEST_TIMEOUT_DEFAULT = 0
    JUTE_MAXBUFFER = "jute.maxbuffer"
    # 3.5.7's client default (3.8 lowered it to 0xfffff).
    CLIENT_MAX_PACKET_LENGTH_DEFAULT = 4096 * 1024

    _FROM_SYSTEM = (
        JUTE_MAXBUFFER, ZK_SASL_CLIENT_USERNAME, LOGIN_CONTEXT_NAME_KEY, ENABLE_CLIENT_SASL_KEY,
        ZOOKEEPER_SERVER_REALM, DISABLE_AUTO_WATCH_RESET, ZOOKEEPER_CLIENT_CNXN_SOCKET, SECURE_CLIENT,
        ZOOKEEPER_REQUEST_TIMEOUT, ZOOKEEPER_SERVER_PRINCIPAL, ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME,
    )

    def __init__(self, config_path=None):
        self.properties = {}
        # ZKConfig.init -> handleBackwardCompatibility, then initFromJavaSystemProperties.
        for key in self._FROM_SYSTEM:
            self.set_property(key, system_properties.get_property(key))
        # ZKConfig.putSSLProperties: the zookeeper.ssl.* keys of X509Util.
        for key, value in system_properties.snapshot().items():
            if key.startswith(self.SSL_PROPERTY_PREFIX):
                self.set_property(key, value)
        if config_path is not None:
            self.add_configuration(config_path)

    def add_configuration(self, config_path):
        """ZKConfig.addConfiguration: every key=value of the file, trimmed."""
        LOG.info("Reading configuration from: %s", config_path)
        try:
            if not os.path.exists(config_path):
                raise ValueError(config_path + " file is missing")
            props = _read_properties(config_path)
        except (OSError, ValueError) as e:
            raise ConfigException("Error while processing " + os.path.abspath(config_path)) from e
        for key, value in props.items():
            self.set_property(key.strip(), value.strip())

    def get_property(self, key, default=None):
        value = self.properties.get(key)
        return default if value is None else value

    def set_property(self, key, value):
        if key is None:
            raise ValueError("property key is null.")
        if value is None:
            self.properties.pop(key, None)
        else:
            self.properties[key] = str(value)

    def get_boolean(self, key, default=False):
        value = self.get_property(key)
        if value is None:
            return default
        return value.strip().lower() == "true"

    def get_int(self, key, default):
        value = self.get_property(key)
        return default if value is None else int(value.strip())

    def get_long(self, key, default):
        value = self.get_property(key)
        return default if value is None else int(value.strip())

    def get_jaas_conf_key(self):
        """ZKClientConfig.getJaasConfKey: the JAAS file (java.security.auth.login.config), or None."""
        return system_properties.get_property(self.JAAS_CONF_KEY)

    def is_sasl_client_enabled(self):
        """zookeeper.sasl.client (default true): SASL when the JAAS file has the client section."""
        return self.get_property(self.ENABLE_CLIENT_SASL_KEY, self.ENABLE_CLIENT_SASL_DEFAULT).lower() == "true"
