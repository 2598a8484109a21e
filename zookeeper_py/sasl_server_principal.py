"""Mirror of org.apache.zookeeper.SaslServerPrincipal."""

import logging
import socket

from zookeeper_py.client.zk_client_config import ZKClientConfig

LOG = logging.getLogger("SaslServerPrincipal")


class SaslServerPrincipal:
    """Mirror of org.apache.zookeeper.SaslServerPrincipal: the server principal a SASL client asks for.

    zookeeper.server.principal if set, else <zookeeper.sasl.client.username>/<host> with the
    host canonicalized unless zookeeper.sasl.client.canonicalize.hostname=false. Only
    Kerberos uses it; DIGEST-MD5 always names the server "zk-sasl-md5"."""

    @staticmethod
    def get_server_principal(addr, client_config):
        configured = client_config.get_property(ZKClientConfig.ZOOKEEPER_SERVER_PRINCIPAL)
        if configured is not None:
            return configured
        user = client_config.get_property(ZKClientConfig.ZK_SASL_CLIENT_USERNAME,
                                          ZKClientConfig.ZK_SASL_CLIENT_USERNAME_DEFAULT)
        host = addr.get_host_string()
        if client_config.get_property(ZKClientConfig.ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME, "true").lower() == "true":
            try:
                canonical = socket.getfqdn(host)
                if canonical and canonical != host:
                    host = canonical
            except OSError:
                pass
        return user + "/" + host
