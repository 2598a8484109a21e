"""Mirror of org.apache.zookeeper.util.SecurityUtils: which SASL mechanism a Subject speaks.

A Subject with principals (a Kerberos login, Krb5LoginModule) speaks GSSAPI; one without
(DigestLoginModule) speaks DIGEST-MD5. Both kinds of mechanism objects have the same
interface, the javax.security.sasl one:

    SaslClient: has_initial_response(), evaluate_challenge(bytes) -> bytes or None,
                is_complete(), get_mechanism_name(), dispose()
    SaslServer: evaluate_response(bytes) -> bytes or None, is_complete(),
                get_authorization_id(), get_mechanism_name(), dispose()

DIGEST-MD5 is zookeeper_py.common.sasl_digest_md5. GSSAPI plugs in through the module
zookeeper_py.common.sasl_gssapi, which provides

    create_sasl_client(subject, client_principal, service_name, service_hostname, entity)
    create_sasl_server(subject, service_name, service_hostname, callback_handler)

returning such objects (the callback handler's handle_authorize(authentication_id,
authorization_id) -> authorized id or None decides who may in). Until that module exists,
gssapi_available() is False and asking for GSSAPI raises SaslException.
"""

import importlib
import logging

from zookeeper_py.common import system_properties
from zookeeper_py.common.sasl_digest_md5 import DigestMD5Client, DigestMD5Server, SaslException

QUORUM_HOSTNAME_PATTERN = "_HOST"

_GSSAPI_MODULE = "zookeeper_py.common.sasl_gssapi"
_GSSAPI_FACTORIES = ("create_sasl_client", "create_sasl_server")


def _gssapi():
    """The GSSAPI mechanism module, or None where it does not exist (yet) or lacks the factories."""
    try:
        module = importlib.import_module(_GSSAPI_MODULE)
    except ImportError:
        return None
    if not all(callable(getattr(module, name, None)) for name in _GSSAPI_FACTORIES):
        return None
    return module


def gssapi_available():
    return _gssapi() is not None


def _require_gssapi():
    module = _gssapi()
    if module is None:
        raise SaslException("GSSAPI (Kerberos) SASL is not available in zookeeper_py: %s with %s is missing"
                            % (_GSSAPI_MODULE, " and ".join(_GSSAPI_FACTORIES)))
    return module


def _name(principal):
    return principal.get_name() if hasattr(principal, "get_name") else str(principal)


class SecurityUtils:
    """Mirror of org.apache.zookeeper.util.SecurityUtils."""

    QUORUM_HOSTNAME_PATTERN = QUORUM_HOSTNAME_PATTERN

    @staticmethod
    def create_sasl_client(subject, service_principal, protocol, server_name, log, entity):
        """DIGEST-MD5 with the Subject's user name and password when it has no principals, else GSSAPI
        towards service_principal (its realm added from the client's, or zookeeper.server.realm)."""
        log = log or logging.getLogger("SecurityUtils")
        if not subject.get_principals():
            log.info("%s will use DIGEST-MD5 as SASL mechanism.", entity)
            public, private = subject.get_public_credentials(), subject.get_private_credentials()
            if not public or not private or private[0] is None:
                raise SaslException("%s: the JAAS section has no username and password for DIGEST-MD5" % entity)
            username, password = public[0], private[0]
            # 'domain' parameter is hard-wired between the server and client
            return DigestMD5Client(username, protocol, server_name, username, password)
        module = _require_gssapi()
        client_principal = _name(subject.get_principals()[0])
        client_realm = client_principal.rpartition("@")[2] if "@" in client_principal else ""
        server_realm = system_properties.get_property("zookeeper.server.realm", client_realm)
        principal = service_principal
        if "@" not in principal:
            principal = principal + "@" + server_realm
        service_name, _, rest = principal.partition("/")
        service_hostname = rest.partition("@")[0] if rest else None
        if not rest:
            service_name = principal.partition("@")[0]
        log.info("%s will use GSSAPI as SASL mechanism.", entity)
        return module.create_sasl_client(subject, client_principal, service_name, service_hostname, entity)

    @staticmethod
    def create_sasl_server(subject, protocol, server_name, callback_handler, log):
        """DIGEST-MD5 (protocol, server_name, and the server name as realm) when the Subject has no
        principals, else GSSAPI as the Subject's service principal `service/host@REALM`."""
        log = log or logging.getLogger("SecurityUtils")
        if subject is None or not subject.get_principals():
            # JAAS non-GSSAPI authentication: DIGEST-MD5 only.
            return DigestMD5Server(protocol, server_name, callback_handler)
        module = _require_gssapi()
        name = _name(subject.get_principals()[0])
        if "/" not in name or "@" not in name:
            raise SaslException("server principal name/hostname determination error: %s" % name)
        service_name, _, rest = name.partition("/")
        service_hostname = rest.partition("@")[0]
        log.debug("serviceHostname is '%s', servicePrincipalName is '%s', SASL mechanism is GSSAPI",
                  service_hostname, service_name)
        return module.create_sasl_server(subject, service_name, service_hostname, callback_handler)

    @staticmethod
    def get_server_principal(principal_config, hostname):
        """`service/_HOST` becomes `service/<hostname, lower case>`; anything else is returned as it is
        (Java splits on "/" only, so `zkquorum/_HOST@REALM` is kept unchanged, as in 3.5.7)."""
        if principal_config is None:
            return None
        components = principal_config.split("/")
        if len(components) != 2 or components[1] != QUORUM_HOSTNAME_PATTERN:
            return principal_config
        return components[0] + "/" + (hostname or "").lower()
