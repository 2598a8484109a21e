"""Mirror of org.apache.zookeeper.server.ZooKeeperSaslServer."""

import logging

from zookeeper_py.common.sasl_digest_md5 import DigestMD5Server

LOG = logging.getLogger("ZooKeeperSaslServer")

LOGIN_CONTEXT_NAME_KEY = "zookeeper.sasl.serverconfig"
DEFAULT_LOGIN_CONTEXT_NAME = "Server"


class ZooKeeperSaslServer:
    """Mirror of org.apache.zookeeper.server.ZooKeeperSaslServer: one connection's SASL exchange.

    Java's SecurityUtils.createSaslServer picks GSSAPI when the Subject has a Kerberos
    principal and DIGEST-MD5 otherwise (protocol "zookeeper", server name "zk-sasl-md5").
    zookeeper_py's Login refuses Krb5LoginModule at startup, so it is always DIGEST-MD5."""

    def __init__(self, login):
        self.sasl_server = self.create_sasl_server(login)

    @staticmethod
    def create_sasl_server(login):
        return DigestMD5Server("zookeeper", "zk-sasl-md5", login.callback_handler)

    def evaluate_response(self, response):
        return self.sasl_server.evaluate_response(response)

    def is_complete(self):
        return self.sasl_server.is_complete()

    def get_authorization_id(self):
        return self.sasl_server.get_authorization_id()
