"""Mirror of org.apache.zookeeper.server.AuthenticationHelper (3.7+)."""

import logging

from zookeeper_py.common import system_properties
from zookeeper_py.keeper_exception import Code
from zookeeper_py.proto import ReplyHeader
from zookeeper_py.server.auth.provider_registry import ProviderRegistry

LOG = logging.getLogger("AuthenticationHelper")

ENFORCE_AUTH_ENABLED = "zookeeper.enforce.auth.enabled"
ENFORCE_AUTH_SCHEMES = "zookeeper.enforce.auth.schemes"
SESSION_REQUIRE_CLIENT_SASL_AUTH = "zookeeper.sessionRequireClientSASLAuth"
SASL_AUTH_SCHEME = "sasl"


class AuthenticationHelper:
    """Mirror of org.apache.zookeeper.server.AuthenticationHelper: refuse unauthenticated sessions.

    zookeeper.sessionRequireClientSASLAuth=true (3.6+) means enforce.auth.enabled with the
    scheme "sasl"; else zookeeper.enforce.auth.enabled / zookeeper.enforce.auth.schemes (3.8).
    A bad combination raises ValueError (Java: IllegalArgumentException), which stops the
    server at startup."""

    def __init__(self):
        self.enforce_auth_schemes = []
        if system_properties.get_property(SESSION_REQUIRE_CLIENT_SASL_AUTH, "false").strip().lower() == "true":
            self.enforce_auth_enabled = True
            self.enforce_auth_schemes.append(SASL_AUTH_SCHEME)
        else:
            self.enforce_auth_enabled = \
                system_properties.get_property(ENFORCE_AUTH_ENABLED, "false").strip().lower() == "true"
            schemes = system_properties.get_property(ENFORCE_AUTH_SCHEMES)
            if schemes is not None:
                self.enforce_auth_schemes.extend(s.strip() for s in schemes.split(","))
        LOG.info("%s = %s", ENFORCE_AUTH_ENABLED, str(self.enforce_auth_enabled).lower())
        LOG.info("%s = %s", ENFORCE_AUTH_SCHEMES, self.enforce_auth_schemes)
        self.validate_configured_properties()
        self.sasl_auth_required = self.enforce_auth_enabled and SASL_AUTH_SCHEME in self.enforce_auth_schemes

    def validate_configured_properties(self):
        if not self.enforce_auth_enabled:
            return
        if not self.enforce_auth_schemes:
            msg = "%s is true %s must be  configured." % (ENFORCE_AUTH_ENABLED, ENFORCE_AUTH_SCHEMES)
            LOG.error(msg)
            raise ValueError(msg)
        for scheme in self.enforce_auth_schemes:
            if ProviderRegistry.get_provider(scheme) is None:
                msg = "Authentication scheme %s is not available." % scheme
                LOG.error(msg)
                raise ValueError(msg)

    def is_cnxn_authenticated(self, cnxn):
        return any(id_.scheme in self.enforce_auth_schemes for id_ in cnxn.auth_info)

    def is_enforce_auth_enabled(self):
        return self.enforce_auth_enabled

    def enforce_authentication(self, cnxn, xid):
        """True if the request may go on; else the client got SESSIONCLOSEDREQUIRESASLAUTH and is closed."""
        if self.enforce_auth_enabled and not self.is_cnxn_authenticated(cnxn):
            LOG.error("Client authentication scheme(s) %s does not match with any of the expected authentication "
                      "scheme %s, closing session.", [i.scheme for i in cnxn.auth_info], self.enforce_auth_schemes)
            cnxn.send_response(ReplyHeader(xid, 0, int(Code.SESSIONCLOSEDREQUIRESASLAUTH)), None)
            cnxn.send_close_session()
            cnxn.disable_recv()
            return False
        return True

    def is_sasl_auth_required(self):
        return self.sasl_auth_required
