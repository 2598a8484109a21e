"""Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumAuthServer."""

import logging

from zookeeper_py.common.jaas_configuration import Configuration
from zookeeper_py.common.net_utils import inet_socket_address_str, peer_address
from zookeeper_py.common.sasl_digest_md5 import SaslException, parse_directives
from zookeeper_py.login import Login, LoginException
from zookeeper_py.server.quorum.auth.quorum_auth import QuorumAuth, Status
from zookeeper_py.server.quorum.auth.quorum_auth_server import QuorumAuthServer
from zookeeper_py.server.quorum.auth.sasl_quorum_server_callback_handler import SaslQuorumServerCallbackHandler
from zookeeper_py.util.security_utils import SecurityUtils

LOG = logging.getLogger("SaslQuorumAuthServer")


def remote_address(sock):
    addr = peer_address(sock)
    return inet_socket_address_str(addr) if addr else "<closed>"


def _sasl_user(token):
    """The user name a DIGEST-MD5 response names, for the log (None for other mechanisms)."""
    try:
        return parse_directives(token).get("username")
    except Exception:
        return None


class SaslQuorumAuthServer(QuorumAuthServer):
    """Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumAuthServer.

    Logs in with the JAAS section quorum.auth.server.saslLoginContext (QuorumServer) once,
    at startup; then, per connection, runs the SASL server side of the exchange of
    QuorumAuthPackets a learner starts after its initial message. With
    quorum.auth.serverRequireSasl=false a learner that does not authenticate, or fails to,
    is let through (with a warning); with true it is refused."""

    MAX_RETRIES = 5

    def __init__(self, quorum_require_sasl, login_context, authz_hosts):
        self.quorum_require_sasl = quorum_require_sasl
        try:
            configuration = Configuration.get_configuration()
            entries = configuration.get_app_configuration_entry(login_context) if configuration is not None else None
            if not entries:
                raise LoginException("SASL-authentication failed because the specified JAAS configuration section "
                                     "'%s' could not be found." % login_context)
            handler = SaslQuorumServerCallbackHandler(configuration, login_context, authz_hosts)
            self.server_login = Login(login_context, handler, None, configuration)
            self.server_login.start_thread_if_needed()
        except Exception as e:
            raise SaslException("Failed to initialize authentication mechanism using SASL: %s" % e) from e

    def authenticate(self, sock, din):
        started = False  # Java: dout != null, an ERROR can be sent
        ss = None
        user = None
        try:
            if not QuorumAuth.next_packet_is_auth(din):
                if self.quorum_require_sasl:
                    raise SaslException("Learner not trying to authenticate and authentication is required")
                # let it through, we don't require auth
                return
            token = self.receive(din)
            tries = 0
            started = True
            challenge = None
            login = self.server_login
            ss = SecurityUtils.create_sasl_server(login.get_subject(), QuorumAuth.QUORUM_SERVER_PROTOCOL_NAME,
                                                  QuorumAuth.QUORUM_SERVER_SASL_DIGEST, login.callback_handler, LOG)
            while not ss.is_complete():
                if user is None and token:
                    user = _sasl_user(token)
                challenge = ss.evaluate_response(token)
                if not ss.is_complete():
                    # limited number of retries.
                    tries += 1
                    if tries > self.MAX_RETRIES:
                        self.send(sock, challenge, Status.ERROR)
                        LOG.warning("Failed to authenticate using SASL, server addr: %s, retries=%d exceeded.",
                                    remote_address(sock), tries)
                        # Java returns here and keeps the connection; required means refused.
                        raise SaslException("%d SASL rounds without completion" % tries)
                    self.send(sock, challenge, Status.IN_PROGRESS)
                    token = self.receive(din)
            # Authentication exchange has completed
            self.send(sock, challenge, Status.SUCCESS)
            LOG.info("Successfully completed the authentication using SASL. learner addr: %s%s",
                     remote_address(sock), " (user %s)" % user if user else "")
        except Exception as e:
            if started:
                try:
                    # send error message to the learner
                    self.send(sock, b"", Status.ERROR)
                except OSError as ioe:
                    LOG.warning("Exception while sending failed status: %s", ioe)
            who = "learner addr: %s%s" % (remote_address(sock), ", user: %s" % user if user else "")
            # If sasl is not required, when a server initializes a connection it will try to log in, but it will
            # also accept connections that do not start with a sasl handshake.
            if self.quorum_require_sasl:
                LOG.error("Failed to authenticate using SASL, %s: %s", who, _reason(e))
                raise SaslException("Failed to authenticate using SASL: %s" % _reason(e)) from None
            LOG.warning("Failed to authenticate using SASL, %s: %s", who, _reason(e))
            LOG.warning("Maintaining learner connection despite SASL authentication failure. server addr: %s, %s: %s",
                        remote_address(sock), QuorumAuth.QUORUM_SERVER_SASL_AUTH_REQUIRED,
                        str(self.quorum_require_sasl).lower())
            return  # let it through, we don't require auth
        finally:
            if ss is not None:
                try:
                    ss.dispose()
                except Exception as e:
                    LOG.error("SaslServer dispose() failed: %s", e)

    def receive(self, din):
        return QuorumAuth.read_packet(din).token

    def send(self, sock, challenge, status):
        if challenge is None and status is not Status.SUCCESS:
            packet = QuorumAuth.create_packet(Status.IN_PROGRESS, None)
        else:
            packet = QuorumAuth.create_packet(status, challenge)
        QuorumAuth.write_packet(sock, packet)


def _reason(e):
    text = str(e)
    if isinstance(e, EOFError):
        return "the learner closed the connection (%s)" % text
    if isinstance(e, TimeoutError) or type(e).__name__ == "timeout":
        return "no answer within the socket timeout"
    if isinstance(e, SaslException):
        return text
    return "%s: %s" % (type(e).__name__, text) if text else type(e).__name__
