"""Mirror of org.apache.zookeeper.common.ClientX509Util."""

from zookeeper_py.common.x509_util import X509Util


class ClientX509Util(X509Util):
    """Mirror of org.apache.zookeeper.common.ClientX509Util: the `zookeeper.ssl.` keys (client port, clients)."""

    def __init__(self, zk_config=None):
        super().__init__(zk_config)
        self._ssl_auth_provider_property = self.get_config_prefix() + "authProvider"

    def get_config_prefix(self):
        return "zookeeper.ssl."

    def should_verify_client_hostname(self):
        return False

    def get_ssl_auth_provider_property(self):
        """zookeeper.ssl.authProvider: the auth scheme whose provider checks a TLS client (default "x509")."""
        return self._ssl_auth_provider_property
