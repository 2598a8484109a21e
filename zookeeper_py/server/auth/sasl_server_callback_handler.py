"""Mirror of org.apache.zookeeper.server.auth.SaslServerCallbackHandler."""

import logging

from zookeeper_py.common import system_properties
from zookeeper_py.server.auth.kerberos_name import KerberosName
from zookeeper_py.server.zoo_keeper_sasl_server import DEFAULT_LOGIN_CONTEXT_NAME, LOGIN_CONTEXT_NAME_KEY

LOG = logging.getLogger("SaslServerCallbackHandler")

USER_PREFIX = "user_"
SYSPROP_SUPER_PASSWORD = "zookeeper.SASLAuthenticationProvider.superPassword"
SYSPROP_REMOVE_HOST = "zookeeper.kerberos.removeHostFromPrincipal"
SYSPROP_REMOVE_REALM = "zookeeper.kerberos.removeRealmFromPrincipal"


class SaslServerCallbackHandler:
    """Mirror of org.apache.zookeeper.server.auth.SaslServerCallbackHandler.

    The DIGEST-MD5 users are the `user_<name>="password"` options of the server's JAAS section
    (zookeeper.sasl.serverconfig, default "Server"). Java's handle(Callback[]) dispatches on
    the callback class; here each callback is a method the DigestMD5Server calls. One
    handler serves every connection (as in Java), so the user name found by handle_name is
    passed to handle_password rather than kept in a field."""

    def __init__(self, configuration):
        server_section = system_properties.get_property(LOGIN_CONTEXT_NAME_KEY, DEFAULT_LOGIN_CONTEXT_NAME)
        entries = configuration.get_app_configuration_entry(server_section)
        if entries is None:
            message = "Could not find a '%s' entry in this configuration: Server cannot start." % server_section
            LOG.error(message)
            raise IOError(message)
        self.credentials = {}
        for entry in entries:
            for key, value in entry.get_options().items():
                if key.startswith(USER_PREFIX):
                    self.credentials[key[len(USER_PREFIX):]] = value

    def handle_name(self, default_name):
        """NameCallback: the name if it is a known user, else None."""
        if self.credentials.get(default_name) is None:
            LOG.warning("User '%s' not found in list of DIGEST-MD5 authenticateable users.", default_name)
            return None
        return default_name

    def handle_password(self, user_name):
        """PasswordCallback."""
        super_password = system_properties.get_property(SYSPROP_SUPER_PASSWORD)
        if user_name == "super" and super_password is not None:
            return super_password
        if user_name in self.credentials:
            return self.credentials[user_name]
        LOG.warning("No password found for user: %s", user_name)
        return None

    def handle_realm(self, default_text):
        """RealmCallback."""
        LOG.debug("client supplied realm: %s", default_text)
        return default_text

    def handle_authorize(self, authentication_id, authorization_id):
        """AuthorizeCallback: authorized, with the id canonicalized as Java does."""
        LOG.info("Successfully authenticated client: authenticationID=%s;  authorizationID=%s.",
                 authentication_id, authorization_id)
        try:
            kerberos_name = KerberosName(authentication_id)
            user_name = kerberos_name.get_short_name()
        except (ValueError, IOError) as e:
            # Java logs and leaves the authorized id unset: AuthorizeCallback then answers the
            # authorization id (a GSSAPI client's own principal, a DIGEST-MD5 user name).
            LOG.error("Failed to set name based on Kerberos authentication rules: %s", e)
            return authorization_id
        if kerberos_name.get_host_name() is not None and not self._is_true(SYSPROP_REMOVE_HOST):
            user_name += "/" + kerberos_name.get_host_name()
        if kerberos_name.get_realm() is not None and not self._is_true(SYSPROP_REMOVE_REALM):
            user_name += "@" + kerberos_name.get_realm()
        LOG.info("Setting authorizedID: %s", user_name)
        return user_name

    @staticmethod
    def _is_true(name):
        return system_properties.get_property(name) == "true"
