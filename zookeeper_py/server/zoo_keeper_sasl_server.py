"""Mirror of org.apache.zookeeper.server.ZooKeeperSaslServer."""

import logging

from zookeeper_py.common.sasl_digest_md5 import DigestMD5Server, SaslException

LOG = logging.getLogger("ZooKeeperSaslServer")

LOGIN_CONTEXT_NAME_KEY = "zookeeper.sasl.serverconfig"
DEFAULT_LOGIN_CONTEXT_NAME = "Server"


def create_sasl_server(subject, protocol, server_name, callback_handler, log=LOG):
    """SecurityUtils.createSaslServer: GSSAPI when the Subject has a (Kerberos) principal, as the
    service principal service/host@REALM it logged in as; DIGEST-MD5 otherwise."""
    if subject is None or not subject.get_principals():
        # JAAS non-GSSAPI authentication: DIGEST-MD5 only.
        return DigestMD5Server(protocol, server_name, callback_handler)
    from zookeeper_py.common import sasl_gssapi

    name = subject.get_principals()[0].get_name()
    service_name, slash, rest = name.partition("/")
    service_hostname, at, _ = rest.partition("@")
    if not slash or not at:
        raise SaslException("server principal name/hostname determination error: %s is not service/host@REALM" % name)
    log.debug("serviceHostname is '%s'; servicePrincipalName is '%s'; SASL mechanism(mech) is 'GSSAPI'",
              service_hostname, service_name)
    return sasl_gssapi.create_sasl_server(subject, service_name, service_hostname, callback_handler)


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
        return create_sasl_server(login.get_subject(), "zookeeper", "zk-sasl-md5", login.callback_handler)

    def evaluate_response(self, response):
        return self.sasl_server.evaluate_response(response)

    def is_complete(self):
        return self.sasl_server.is_complete()

    def get_authorization_id(self):
        return self.sasl_server.get_authorization_id()

    def get_mechanism_name(self):
        return self.sasl_server.get_mechanism_name()
