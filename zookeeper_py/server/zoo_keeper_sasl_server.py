"""Mirror of org.apache.zookeeper.server.ZooKeeperSaslServer."""

import logging

from zookeeper_py.util.security_utils import SecurityUtils

LOG = logging.getLogger("ZooKeeperSaslServer")

LOGIN_CONTEXT_NAME_KEY = "zookeeper.sasl.serverconfig"
DEFAULT_LOGIN_CONTEXT_NAME = "Server"


class ZooKeeperSaslServer:
    """Mirror of org.apache.zookeeper.server.ZooKeeperSaslServer: one connection's SASL exchange.

    The mechanism follows the Server section's login module, as Java's SecurityUtils.
    createSaslServer decides it: Krb5LoginModule (a Subject with a Kerberos principal) ->
    GSSAPI as that principal; DigestLoginModule -> DIGEST-MD5 (protocol "zookeeper", server
    name "zk-sasl-md5"). A GSSAPI server that cannot be made (no acceptor key) raises
    SaslException, which fails the client's authentication."""

    def __init__(self, login):
        self.sasl_server = self.create_sasl_server(login)

    @staticmethod
    def create_sasl_server(login):
        return SecurityUtils.create_sasl_server(login.get_subject(), "zookeeper", "zk-sasl-md5",
                                                login.callback_handler, LOG)

    def evaluate_response(self, response):
        return self.sasl_server.evaluate_response(response)

    def is_complete(self):
        return self.sasl_server.is_complete()

    def get_authorization_id(self):
        return self.sasl_server.get_authorization_id()

    def get_mechanism_name(self):
        return self.sasl_server.get_mechanism_name()
