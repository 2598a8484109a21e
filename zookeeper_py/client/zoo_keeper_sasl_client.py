"""Mirror of org.apache.zookeeper.client.ZooKeeperSaslClient."""

import enum
import logging
import threading

from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.common import sasl_gssapi, system_properties
from zookeeper_py.common.jaas_configuration import Configuration, JaasConfigurationException
from zookeeper_py.common.sasl_digest_md5 import DigestMD5Client, SaslException
from zookeeper_py.login import Login, LoginException
from zookeeper_py.proto import GetSASLRequest
from zookeeper_py.server.auth.kerberos_name import KerberosName
from zookeeper_py.watcher import KeeperState

LOG = logging.getLogger("ZooKeeperSaslClient")

LOGIN_CONTEXT_NAME_KEY = ZKClientConfig.LOGIN_CONTEXT_NAME_KEY
ENABLE_CLIENT_SASL_KEY = ZKClientConfig.ENABLE_CLIENT_SASL_KEY
ENABLE_CLIENT_SASL_DEFAULT = ZKClientConfig.ENABLE_CLIENT_SASL_DEFAULT


class SaslState(enum.Enum):
    INITIAL = 0
    INTERMEDIATE = 1
    COMPLETE = 2
    FAILED = 3


class SaslClientCallbackHandler:
    """Mirror of org.apache.zookeeper.SaslClientCallbackHandler (DIGEST-MD5 takes the name and
    password from the Subject, so there is nothing for it to answer here)."""

    def __init__(self, password, client):
        self.password = password
        self.entity = client


class ZooKeeperSaslClient:
    """Mirror of org.apache.zookeeper.client.ZooKeeperSaslClient: the client side of SetSASL.

    Created by the SendThread for each connection when zookeeper.sasl.client is true (the
    default). It authenticates only when the JAAS file (java.security.auth.login.config) has
    the section zookeeper.sasl.clientconfig (default "Client"); a file that names no such
    section, or a section Java would refuse, raises LoginException as in Java (the client
    then sends AuthFailed). Mechanism (SecurityUtils.createSaslClient): DIGEST-MD5 with the
    DigestLoginModule's username and password (protocol "zookeeper", server name
    "zk-sasl-md5", authorization id = the user name), or GSSAPI when the section is a
    Krb5LoginModule: towards the server principal (zookeeper.server.principal, else
    zookeeper/<canonical host>; see SaslServerPrincipal) with the client's principal as
    authorization id."""

    def __init__(self, server_principal, client_config):
        client_section = client_config.get_property(LOGIN_CONTEXT_NAME_KEY,
                                                    ZKClientConfig.LOGIN_CONTEXT_NAME_KEY_DEFAULT)
        self.client_config = client_config
        self.login = None
        self.sasl_client = None
        self.is_sasl_configured = True
        self.sasl_token = b""
        self.sasl_state = SaslState.INITIAL
        self.got_last_packet = False
        self._lock = threading.Lock()
        entries = None
        runtime_exception = None
        try:
            configuration = Configuration.get_configuration()
            if configuration is None:
                runtime_exception = "Unable to locate a login configuration (%s is not set)" % (
                    "java.security.auth.login.config")
            else:
                entries = configuration.get_app_configuration_entry(client_section)
        except JaasConfigurationException as e:
            runtime_exception = e
        if entries is not None:
            self.config_status = "Will attempt to SASL-authenticate using Login Context section '%s'" % client_section
            self.sasl_client = self.create_sasl_client(server_principal, client_section)
            return
        self.sasl_state = SaslState.FAILED
        explicit_client_section = client_config.get_property(LOGIN_CONTEXT_NAME_KEY)
        jaas_conf_key = client_config.get_jaas_conf_key()
        if explicit_client_section is not None:
            if runtime_exception is not None:
                raise LoginException("Zookeeper client cannot authenticate using the %s section of the supplied JAAS "
                                     "configuration: '%s' because of a RuntimeException: %s"
                                     % (explicit_client_section, jaas_conf_key, runtime_exception))
            raise LoginException("Client cannot SASL-authenticate because the specified JAAS configuration section "
                                 "'%s' could not be found." % explicit_client_section)
        self.config_status = "Will not attempt to authenticate using SASL (%s)" % (
            runtime_exception if runtime_exception is not None else "unknown error")
        self.is_sasl_configured = False
        if jaas_conf_key is not None:
            if runtime_exception is not None:
                raise LoginException("Zookeeper client cannot authenticate using the '%s' section of the supplied "
                                     "JAAS configuration: '%s' because of a RuntimeException: %s"
                                     % (client_section, jaas_conf_key, runtime_exception))
            raise LoginException("No JAAS configuration section named '%s' was found in specified JAAS "
                                 "configuration file: '%s'." % (client_section, jaas_conf_key))

    def get_sasl_state(self):
        return self.sasl_state

    def get_login_context(self):
        return self.login.get_login_context_name() if self.login is not None else None

    def get_config_status(self):
        return self.config_status

    def is_complete(self):
        return self.sasl_state is SaslState.COMPLETE

    def is_failed(self):
        return self.sasl_state is SaslState.FAILED

    def create_sasl_client(self, service_principal, login_context):
        with self._lock:
            if self.login is None:
                LOG.debug("JAAS loginContext is: %s", login_context)
                self.login = Login(login_context, SaslClientCallbackHandler(None, "Client"), self.client_config)
                self.login.start_thread_if_needed()
        subject = self.login.get_subject()
        if subject.get_principals():
            return self._create_gssapi_client(subject, service_principal)
        if not subject.get_public_credentials() or not subject.get_private_credentials():
            LOG.error("Exception while trying to create SASL client: the JAAS section '%s' has no username/password",
                      login_context)
            return None
        username = subject.get_public_credentials()[0]
        password = subject.get_private_credentials()[0]
        if password is None:
            LOG.error("Exception while trying to create SASL client: no password for %s", username)
            return None
        LOG.info("Client will use DIGEST-MD5 as SASL mechanism.")
        return DigestMD5Client(username, "zookeeper", "zk-sasl-md5", username, password)

    @staticmethod
    def _create_gssapi_client(subject, service_principal):
        """SecurityUtils.createSaslClient's GSSAPI branch: towards service/host of the server
        principal (its realm, when it names none, is zookeeper.server.realm or the client's),
        with the client's own principal as authorization id. None when it cannot be made (Java
        logs and returns null; the client then fails with AuthFailed)."""
        client_principal = subject.get_principals()[0].get_name()
        try:
            client_name = KerberosName(client_principal)
            server_realm = system_properties.get_property("zookeeper.server.realm", client_name.get_realm())
            principal = service_principal
            if "@" not in principal:
                principal = "%s@%s" % (principal, server_realm)
            service_name = KerberosName(principal)
        except ValueError as e:
            LOG.error("Exception while trying to create SASL client: %s", e)
            return None
        LOG.info("Client will use GSSAPI as SASL mechanism.")
        LOG.debug("creating sasl client: Client=%s;service=%s;serviceHostname=%s", client_principal,
                  service_name.get_service_name(), service_name.get_host_name())
        try:
            return sasl_gssapi.create_sasl_client(subject, str(client_name), service_name.get_service_name(),
                                                  service_name.get_host_name(), "Client")
        except SaslException as e:
            LOG.error("Exception while trying to create SASL client: %s", e)
            return None

    def respond_to_server(self, server_token, cnxn):
        """ServerSaslResponseCallback + respondToServer: the server's token arrived (None: none)."""
        if self.sasl_client is None:
            LOG.error("saslClient is unexpectedly null. Cannot respond to server's SASL message; ignoring.")
            return
        if not self.sasl_client.is_complete():
            try:
                self.sasl_token = self.create_sasl_token(server_token)
                if self.sasl_token is not None:
                    self.send_sasl_packet(self.sasl_token, cnxn)
            except SaslException as e:
                LOG.error("SASL authentication failed using login context '%s' with exception: %s",
                          self.get_login_context(), e)
                self.sasl_state = SaslState.FAILED
                self.got_last_packet = True
        if self.sasl_client.is_complete():
            # GSSAPI: the server sends a final (empty) packet after authentication succeeds or
            # fails; DIGEST-MD5 has none.
            if server_token is None and self.sasl_client.get_mechanism_name() == "GSSAPI":
                self.got_last_packet = True
            if self.sasl_client.get_mechanism_name() != "GSSAPI":
                self.got_last_packet = True
            cnxn.sasl_completed()

    def create_sasl_token(self, sasl_token):
        if sasl_token is None:
            self.sasl_state = SaslState.FAILED
            raise SaslException("Error in authenticating with a Zookeeper Quorum member: the quorum member's "
                                "saslToken is null.")
        LOG.debug("saslClient.evaluateChallenge(len=%d)", len(sasl_token))
        try:
            return self.sasl_client.evaluate_challenge(sasl_token)
        except SaslException as e:
            LOG.error("An error: (%s) occurred when evaluating Zookeeper Quorum Member's  received SASL token. "
                      "Zookeeper Client will go to AUTH_FAILED state.", e)
            self.sasl_state = SaslState.FAILED
            raise

    def send_sasl_packet(self, sasl_token, cnxn):
        LOG.debug("ClientCnxn:sendSaslPacket:length=%d", len(sasl_token))
        try:
            cnxn.send_sasl_packet(GetSASLRequest(sasl_token))
        except OSError as e:
            raise SaslException("Failed to send SASL packet to server. %s" % e) from e

    def get_keeper_state(self):
        """The event to send now: AuthFailed, SaslAuthenticated (once), or None."""
        if self.sasl_client is not None:
            if self.sasl_state is SaslState.FAILED:
                return KeeperState.AuthFailed
            if self.sasl_client.is_complete() and self.sasl_state is SaslState.INTERMEDIATE:
                self.sasl_state = SaslState.COMPLETE
                return KeeperState.SaslAuthenticated
        return None

    def initialize(self, cnxn):
        """Send the first token (DIGEST-MD5: an empty one)."""
        if self.sasl_client is None:
            self.sasl_state = SaslState.FAILED
            raise SaslException("saslClient failed to initialize properly: it's null.")
        if self.sasl_state is SaslState.INITIAL:
            if self.sasl_client.has_initial_response():
                self.sasl_state = SaslState.INTERMEDIATE
                self.send_sasl_packet(self.create_sasl_token(self.sasl_token), cnxn)
            else:
                self.send_sasl_packet(b"", cnxn)
            self.sasl_state = SaslState.INTERMEDIATE

    def client_tunneled_authentication_in_progress(self):
        if not self.is_sasl_configured:
            return False
        if self.sasl_state is not SaslState.COMPLETE and self.sasl_state is not SaslState.FAILED:
            return True
        return not self.got_last_packet

    def shutdown(self):
        if self.login is not None:
            self.login.shutdown()
