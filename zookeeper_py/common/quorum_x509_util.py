"""Mirror of org.apache.zookeeper.common.QuorumX509Util."""

from zookeeper_py.common.x509_util import X509Util


class QuorumX509Util(X509Util):
    """Mirror of org.apache.zookeeper.common.QuorumX509Util: the `zookeeper.ssl.quorum.` keys (server to server)."""

    def get_config_prefix(self):
        return "zookeeper.ssl.quorum."

    def should_verify_client_hostname(self):
        return True
