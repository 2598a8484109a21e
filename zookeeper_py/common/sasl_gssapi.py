"""SASL GSSAPI (RFC 4752, Kerberos V5) as the JDK speaks it: com.sun.security.sasl.gsskerb.GssKrb5Server/Client.

State machines with the interface of sasl_digest_md5's DigestMD5Server/Client (bytes in, bytes
out, no sockets); the Kerberos work is done by MIT Kerberos through python-gssapi (the optional
`gssapi` package: pip install 'zookeeper_py[kerberos]'). qop is "auth" only, as ZooKeeper uses
it: no integrity or privacy layer after the handshake.

The exchange (the client has an initial response):
    client -> server   GSS init token (AP-REQ)
    server -> client   GSS accept token (AP-REP when mutual) or, when none, the wrap below
    client -> server   empty (when the server sent an AP-REP)
    server -> client   wrap([qop mask, max buffer (3 bytes)])
    client -> server   wrap([chosen qop, max buffer, authorization id (UTF-8)])
    server             complete; answers None (ZooKeeper sends it as a final empty token)

    server = GssapiServer(acceptor_credentials, callback_handler)
    client = GssapiClient("alice@EXAMPLE.COM", "zookeeper", "localhost", initiator_credentials)
"""

import struct

from zookeeper_py.common import system_properties
from zookeeper_py.common.krb5_login_module import kerberos_credentials
from zookeeper_py.common.sasl_digest_md5 import SaslException

MECHANISM = "GSSAPI"
KRB5_OID = "1.2.840.113554.1.2.2"

NO_PROTECTION = 1
INTEGRITY_ONLY_PROTECTION = 2
PRIVACY_PROTECTION = 4
# ZooKeeper leaves javax.security.sasl.qop unset: "auth".
ALL_QOP = NO_PROTECTION
RECV_MAX_BUF_SIZE = 65536  # GssKrb5Base's default javax.security.sasl.maxbuffer

EMPTY = b""

_MAX_BUF = struct.Struct(">I")


def gssapi_module():
    """The python-gssapi module, or SaslException saying what to install."""
    try:
        import gssapi  # optional: only where MIT Kerberos is set up (the kerberos extra)
    except ImportError as e:
        raise SaslException("GSSAPI (Kerberos) needs the python package 'gssapi' over MIT Kerberos (pip install "
                            "'zookeeper_py[kerberos]'; it builds against Debian's libkrb5-dev): %s" % e) from None
    return gssapi


def _gss_error(prefix, e):
    return SaslException("%s: %s" % (prefix, e))


def _qop_word(qop, max_buf):
    return bytes([qop]) + _MAX_BUF.pack(max_buf)[1:]


class GssapiServer:
    """Mirror of com.sun.security.sasl.gsskerb.GssKrb5Server (qop auth).

    `credentials`: the acceptor gssapi.Credentials of the server's principal (from its keytab;
    see zookeeper_py.common.krb5_login_module). `callback_handler.handle_authorize(
    authentication_id, authorization_id)` returns the authorized id or None to refuse, as
    Java's AuthorizeCallback. `protocol`, when given, must be the first part of the name the
    client asked for (Java checks it when the server name is null)."""

    def __init__(self, credentials, callback_handler, protocol=None):
        gssapi = gssapi_module()
        self.callback_handler = callback_handler
        self.protocol = protocol
        try:
            self.sec_ctx = gssapi.SecurityContext(creds=credentials, usage="accept")
        except gssapi.exceptions.GSSError as e:
            raise _gss_error("Failure to initialize security context", e) from None
        self._gss_error = gssapi.exceptions.GSSError
        self.handshake_stage = 0
        self.peer = None
        self.me = None
        self.authzid = None
        self.completed = False

    def get_mechanism_name(self):
        return MECHANISM

    def is_complete(self):
        return self.completed

    def get_authorization_id(self):
        if not self.completed:
            raise ValueError("Authentication incomplete")
        return self.authzid

    def evaluate_response(self, response):
        if self.completed:
            raise SaslException("SASL authentication already complete")
        response = bytes(response or b"")
        if self.handshake_stage == 1:
            return self._do_handshake1(response)
        if self.handshake_stage == 2:
            return self._do_handshake2(response)
        try:
            out_token = self.sec_ctx.step(response)
            if self.sec_ctx.complete:
                self.handshake_stage = 1
                self.peer = str(self.sec_ctx.initiator_name)
                self.me = str(self.sec_ctx.target_name)
                target_service = self.me.replace("@", "/").split("/")[0]
                if self.protocol is not None and self.protocol.lower() != target_service.lower():
                    raise SaslException("GSS context targ name protocol error: " + self.me)
                if not out_token:
                    return self._do_handshake1(EMPTY)
            return out_token if out_token is not None else EMPTY
        except self._gss_error as e:
            raise _gss_error("GSS initiate failed", e) from None

    def _do_handshake1(self, response):
        if response:
            raise SaslException("Handshake expecting no response data from server")
        self.handshake_stage = 2
        try:
            return self.sec_ctx.wrap(_qop_word(ALL_QOP, RECV_MAX_BUF_SIZE), False).message
        except self._gss_error as e:
            raise _gss_error("Problem wrapping handshake1", e) from None

    def _do_handshake2(self, response):
        self.handshake_stage = 0  # one try: whatever happens now, the exchange is over
        try:
            data = self.sec_ctx.unwrap(response).message
        except self._gss_error as e:
            raise _gss_error("Final handshake step failed", e) from None
        if len(data) < 4:
            raise SaslException("Final handshake step failed: %d bytes, expecting at least 4" % len(data))
        selected_qop = data[0]
        if selected_qop & ALL_QOP == 0:
            raise SaslException("Client selected unsupported protection: %d" % selected_qop)
        if len(data) > 4:
            try:
                authzid = data[4:].decode("utf-8")
            except UnicodeDecodeError as e:
                raise SaslException("Final handshake step failed: authorization id: %s" % e) from None
        else:
            authzid = self.peer
        authorized = self.callback_handler.handle_authorize(self.peer, authzid)
        if authorized is None:
            raise SaslException("%s is not authorized to connect as %s" % (self.peer, authzid))
        self.authzid = authorized
        self.completed = True
        return None

    def dispose(self):
        self.sec_ctx = None
        self.callback_handler = None


class GssapiClient:
    """Mirror of com.sun.security.sasl.gsskerb.GssKrb5Client (qop auth).

    authorization_id: Java's ZooKeeper client passes its own principal (SecurityUtils.
    createSaslClient). The server is `protocol@server_name` as a host-based service name,
    so MIT Kerberos maps the host to its realm as Java does; `server_realm`, when given,
    names the principal protocol/server_name@server_realm exactly instead. `credentials`:
    the initiator gssapi.Credentials of the client's principal (None: the default ones).
    Mutual authentication is not requested (Java's default with qop auth)."""

    def __init__(self, authorization_id, protocol, server_name, credentials=None, server_realm=None):
        gssapi = gssapi_module()
        self._gss_error = gssapi.exceptions.GSSError
        self.authzid = authorization_id.encode("utf-8") if authorization_id else None
        try:
            if server_realm:
                target = gssapi.Name("%s/%s@%s" % (protocol, server_name, server_realm),
                                     gssapi.NameType.kerberos_principal)
            else:
                target = gssapi.Name("%s@%s" % (protocol, server_name), gssapi.NameType.hostbased_service)
            self.sec_ctx = gssapi.SecurityContext(
                name=target, creds=credentials, usage="initiate",
                flags=[gssapi.RequirementFlag.confidentiality, gssapi.RequirementFlag.integrity])
        except self._gss_error as e:
            raise _gss_error("Failure to initialize security context", e) from None
        self.target = str(target)
        self.final_handshake = False
        self.completed = False

    def get_mechanism_name(self):
        return MECHANISM

    def has_initial_response(self):
        return True

    def is_complete(self):
        return self.completed

    def evaluate_challenge(self, challenge):
        if self.completed:
            raise SaslException("GSSAPI authentication already complete")
        challenge = bytes(challenge or b"")
        if self.final_handshake:
            return self._do_final_handshake(challenge)
        try:
            out_token = self.sec_ctx.step(challenge if challenge else None)
        except self._gss_error as e:
            raise _gss_error("GSS initiate failed (server %s)" % self.target, e) from None
        if self.sec_ctx.complete:
            self.final_handshake = True
            if not out_token:
                return EMPTY
        return out_token

    def _do_final_handshake(self, challenge):
        if not challenge:
            return EMPTY
        try:
            data = self.sec_ctx.unwrap(challenge).message
        except self._gss_error as e:
            raise _gss_error("Final handshake failed", e) from None
        if len(data) != 4:
            raise SaslException("Final handshake failed: the server's protection offer is %d bytes, not 4"
                                % len(data))
        if data[0] & NO_PROTECTION == 0:
            raise SaslException("No common protection layer between client and server")
        # qop auth: no integrity or privacy, so the max buffer we can receive is 0.
        token = _qop_word(NO_PROTECTION, 0) + (self.authzid or b"")
        try:
            out = self.sec_ctx.wrap(token, False).message
        except self._gss_error as e:
            raise _gss_error("Final handshake failed", e) from None
        self.completed = True
        return out

    def dispose(self):
        self.sec_ctx = None


# -- the factories SecurityUtils (zookeeper_py.util.security_utils) calls ------------------------

def create_sasl_client(subject, client_principal, service_name, service_hostname, entity):
    """Java's Sasl.createSaslClient({"GSSAPI"}, clientPrincipal, serviceName, serviceHostname, ...)
    under Subject.doAs: a GssapiClient with the Subject's TGT (Krb5LoginModule's credentials).

    The server is service_name@service_hostname as a host-based name (MIT maps the host to a
    realm, as Java does); when zookeeper.server.realm is set it names the realm exactly."""
    creds = kerberos_credentials(subject)
    if creds is None or creds.initiate is None:
        raise SaslException("%s: the Subject of %s has no Kerberos ticket (Krb5LoginModule with isInitiator=false?)"
                            % (entity, client_principal))
    server_realm = system_properties.get_property("zookeeper.server.realm")
    return GssapiClient(client_principal, service_name, service_hostname, creds.initiate, server_realm)


def create_sasl_server(subject, service_name, service_hostname, callback_handler):
    """Java's Sasl.createSaslServer("GSSAPI", servicePrincipalName, serviceHostname, ...) under
    Subject.doAs: a GssapiServer accepting with the key Krb5LoginModule took from the keytab."""
    creds = kerberos_credentials(subject)
    if creds is None or creds.accept is None:
        raise SaslException("The Kerberos login of %s/%s keeps no key to accept clients with: the JAAS section needs "
                            "useKeyTab=true, keyTab=<file> and storeKey=true" % (service_name, service_hostname))
    return GssapiServer(creds.accept, callback_handler)
