"""Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumServerCallbackHandler."""

import logging
import re

LOG = logging.getLogger("SaslQuorumServerCallbackHandler")

USER_PREFIX = "user_"
DIGEST_LOGIN_MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule"


class SaslQuorumServerCallbackHandler:
    """Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumServerCallbackHandler.

    What a quorum server's SASL mechanism asks while it authenticates a learner: the
    DIGEST-MD5 users are the `user_<name>="password"` options of the QuorumServer section
    (quorum.auth.server.saslLoginContext) when it is a DigestLoginModule one; a learner is
    authorized when it acts as itself and, with any other login module (Kerberos), when its
    principal is `name/host@REALM` with host one of the ensemble's hosts (authz_hosts). That
    is 3.8.4's rule (ZOOKEEPER-4753, CVE-2023-44981: 3.5.7 let a principal without a host part
    in). Java's handle(Callback[]) dispatches on the callback class; here
    each callback is a method the mechanism calls. One handler serves every connection
    at once, so the name found by handle_name is passed to handle_password rather than
    kept in a field (Java keeps it in one, shared by all connections)."""

    def __init__(self, configuration, server_section, authz_hosts):
        entries = configuration.get_app_configuration_entry(server_section) if configuration is not None else None
        if entries is None:
            message = "Could not find a '%s' entry in this configuration: Server cannot start." % server_section
            LOG.error(message)
            raise IOError(message)
        credentials = {}
        is_digest_authn = True
        for entry in entries:
            if entry.get_login_module_name() == DIGEST_LOGIN_MODULE:
                # Populate DIGEST-MD5 user -> password map with JAAS configuration entries from the "QuorumServer"
                # section. Usernames are distinguished from other options by prefixing the username with "user_".
                for key, value in entry.get_options().items():
                    if key.startswith(USER_PREFIX):
                        credentials[key[len(USER_PREFIX):]] = value
            else:
                is_digest_authn = False
        self.is_digest_authn = is_digest_authn
        if is_digest_authn:
            self.credentials = credentials
            LOG.warning("Using DIGEST-MD5 for quorum authorization")
        else:
            self.credentials = {}
        # authorized host lists
        self.authz_hosts = set(authz_hosts or ())

    def handle_name(self, default_name):
        """NameCallback: the name if it is a known user, else None."""
        if self.credentials.get(default_name) is None:
            LOG.warning("User '%s' not found in list of DIGEST-MD5 authenticateable users.", default_name)
            return None
        return default_name

    def handle_password(self, user_name):
        """PasswordCallback."""
        if user_name in self.credentials:
            return self.credentials[user_name]
        LOG.warning("No password found for user: %s", user_name)
        return None

    def handle_realm(self, default_text):
        """RealmCallback."""
        LOG.debug("QuorumLearner supplied realm: %s", default_text)
        return default_text

    def handle_authorize(self, authentication_id, authorization_id):
        """AuthorizeCallback: the authorized id, or None when the learner is not authorized."""
        # 1. Matches authenticationID and authorizationID
        authz_flag = authentication_id == authorization_id
        # 2. Verify whether the connecting host is present in authorized hosts. If not exists, then connecting
        # peer is not authorized to join the ensemble and will reject it.
        if not self.is_digest_authn and authz_flag:
            components = re.split("[/@]", authorization_id)
            if len(components) == 3:
                authz_flag = components[1] in self.authz_hosts
            else:
                authz_flag = False
            if not authz_flag:
                LOG.error("SASL authorization completed, %s is not authorized to connect (its host is not one of "
                          "the ensemble's: %s)", authorization_id, ", ".join(sorted(self.authz_hosts)))
        elif not authz_flag:
            LOG.error("SASL authorization completed, %s may not act as %s", authentication_id, authorization_id)
        LOG.debug("SASL authorization completed, authorized flag set to %s", authz_flag)
        if not authz_flag:
            return None
        LOG.info("Successfully authenticated learner: authenticationID=%s;  authorizationID=%s.",
                 authentication_id, authorization_id)
        return authorization_id
