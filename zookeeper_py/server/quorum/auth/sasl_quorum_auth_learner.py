"""Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumAuthLearner."""

import logging
import threading

from zookeeper_py.client.zoo_keeper_sasl_client import SaslClientCallbackHandler
from zookeeper_py.common.jaas_configuration import Configuration
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.login import Login, LoginException
from zookeeper_py.server.quorum.auth.quorum_auth import AuthInputStream, QuorumAuth, Status
from zookeeper_py.server.quorum.auth.quorum_auth_learner import QuorumAuthLearner
from zookeeper_py.server.quorum.auth.sasl_quorum_auth_server import remote_address
from zookeeper_py.util.security_utils import SecurityUtils

LOG = logging.getLogger("SaslQuorumAuthLearner")


class SaslQuorumAuthLearner(QuorumAuthLearner):
    """Mirror of org.apache.zookeeper.server.quorum.auth.SaslQuorumAuthLearner.

    Logs in with the JAAS section quorum.auth.learner.saslLoginContext (QuorumLearner)
    once, at startup. With quorum.auth.learnerRequireSasl=true every connection this
    member opens to another (election port, and the leader's quorum port) starts with the
    SASL client side of the QuorumAuthPacket exchange, and is used only after the other
    side answered SUCCESS; with false it sends nothing. Reads have the socket's timeout."""

    def __init__(self, quorum_require_sasl, quorum_service_principal, login_context):
        self.quorum_require_sasl = quorum_require_sasl
        self.quorum_service_principal = quorum_service_principal
        try:
            configuration = Configuration.get_configuration()
            entries = configuration.get_app_configuration_entry(login_context) if configuration is not None else None
            if not entries:
                raise LoginException("SASL-authentication failed because the specified JAAS configuration section "
                                     "'%s' could not be found." % login_context)
            self.learner_login = Login(login_context, SaslClientCallbackHandler(None, "QuorumLearner"), None,
                                       configuration)
            self.learner_login.start_thread_if_needed()
        except Exception as e:
            raise SaslException("Failed to initialize authentication mechanism using SASL: %s" % e) from e
        self._login_lock = threading.Lock()  # Java: synchronized (login) around evaluateChallenge

    def authenticate(self, sock, hostname):
        if not self.quorum_require_sasl:  # let it through, we don't require auth
            LOG.info("Skipping SASL authentication as %s=%s", QuorumAuth.QUORUM_LEARNER_SASL_AUTH_REQUIRED,
                     str(self.quorum_require_sasl).lower())
            return
        sc = None
        principal_config = SecurityUtils.get_server_principal(self.quorum_service_principal, hostname)
        try:
            din = AuthInputStream(sock)
            response_token = b""
            sc = SecurityUtils.create_sasl_client(self.learner_login.get_subject(), principal_config,
                                                  QuorumAuth.QUORUM_SERVER_PROTOCOL_NAME,
                                                  QuorumAuth.QUORUM_SERVER_SASL_DIGEST, LOG, "QuorumLearner")
            if sc.has_initial_response():
                response_token = self.create_sasl_token(b"", sc)
            self.send(sock, response_token)
            auth_packet = self.receive(din)
            qp_status = Status.get_status(auth_packet.status)
            while not sc.is_complete():
                if qp_status is Status.SUCCESS:
                    response_token = self.create_sasl_token(auth_packet.token, sc)
                    # we're done; don't expect to send another BIND
                    if response_token is not None:
                        raise SaslException("Protocol error: attempting to send response after completion")
                    if not sc.is_complete():
                        raise SaslException("Protocol error: the server said SUCCESS before the exchange was over")
                elif qp_status is Status.IN_PROGRESS:
                    response_token = self.create_sasl_token(auth_packet.token, sc)
                    self.send(sock, response_token)
                    auth_packet = self.receive(din)
                    qp_status = Status.get_status(auth_packet.status)
                else:
                    raise SaslException("Authentication failed against server addr: %s (it answered %s)"
                                        % (remote_address(sock), qp_status.name))
            # Validate status code at the end of authentication exchange.
            self.check_auth_status(sock, qp_status)
        finally:
            if sc is not None:
                try:
                    sc.dispose()
                except Exception as e:
                    LOG.error("SaslClient dispose() failed: %s", e)

    def check_auth_status(self, sock, qp_status):
        if qp_status is Status.SUCCESS:
            LOG.info("Successfully completed the authentication using SASL. server addr: %s, status: %s",
                     remote_address(sock), qp_status.name)
        else:
            raise SaslException("Authentication failed against server addr: %s, qpStatus: %s"
                                % (remote_address(sock), qp_status.name))

    def receive(self, din):
        return QuorumAuth.read_packet(din)

    def send(self, sock, response):
        QuorumAuth.write_packet(sock, QuorumAuth.create_packet(Status.IN_PROGRESS, response))

    def create_sasl_token(self, sasl_token, sasl_client):
        if sasl_token is None:
            raise SaslException("Error in authenticating with a Zookeeper Quorum member: the quorum member's "
                                "saslToken is null.")
        if self.learner_login.get_subject() is None:
            raise SaslException("Cannot make SASL token without subject defined. For diagnosis, please look for "
                                "WARNs and ERRORs in your log related to the Login class.")
        with self._login_lock:
            try:
                LOG.debug("saslClient.evaluateChallenge(len=%d)", len(sasl_token))
                return sasl_client.evaluate_challenge(sasl_token)
            except SaslException as e:
                error = ("An error: (%s) occurred when evaluating Zookeeper Quorum Member's  received SASL token."
                         % e)
                LOG.error(error)
                raise SaslException(error) from e
