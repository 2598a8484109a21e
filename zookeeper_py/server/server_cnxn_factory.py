"""Mirror of org.apache.zookeeper.server.ServerCnxnFactory."""

import logging
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.jaas_configuration import JAAS_CONF_KEY, Configuration, JaasConfigurationException
from zookeeper_py.server.authentication_helper import AuthenticationHelper
from zookeeper_py.server.quorum.quorum_server import ConfigException
from zookeeper_py.server.zoo_keeper_sasl_server import DEFAULT_LOGIN_CONTEXT_NAME, LOGIN_CONTEXT_NAME_KEY

LOG = logging.getLogger("ServerCnxnFactory")

ZOOKEEPER_SERVER_CNXN_FACTORY = "zookeeper.serverCnxnFactory"
NIO_SERVER_CNXN_FACTORY = "org.apache.zookeeper.server.NIOServerCnxnFactory"
NETTY_SERVER_CNXN_FACTORY = "org.apache.zookeeper.server.NettyServerCnxnFactory"
# 3.6's NettyServerCnxnFactory.PORT_UNIFICATION_KEY (zoo.cfg: client.portUnification): the plain
# client port also takes TLS clients.
PORT_UNIFICATION_KEY = "zookeeper.client.portUnification"
ZOOKEEPER_MAX_CONNECTION = "zookeeper.maxCnxns"


class _CloseConn:
    """ServerCnxnFactory.closeConn: queued after a reply, it closes the connection once sent."""

    def __len__(self):
        return 0

    def __repr__(self):
        return "closeConn"


CLOSE_CONN = _CloseConn()


class ServerCnxnFactory:
    """Mirror of org.apache.zookeeper.server.ServerCnxnFactory: listens on the client port."""

    closeConn = CLOSE_CONN

    def __init__(self):
        self.secure = False
        self.zk_server = None
        self.cnxns = set()
        self.cnxns_lock = threading.Lock()
        self.max_cnxns = 0
        # SASL: the Login of the JAAS "Server" section, or None (no SASL on this port).
        self.login = None
        self.sasl_server_callback_handler = None

    def init_max_cnxns(self):
        """zookeeper.maxCnxns (3.6+, zoo.cfg's maxCnxns): the most connections of all clients
        together; 0, the default, is no limit."""
        self.max_cnxns = system_properties.get_integer(ZOOKEEPER_MAX_CONNECTION, 0)
        if self.max_cnxns < 0:
            self.max_cnxns = 0
            LOG.warning("maxCnxns should be greater than or equal to 0, using default value 0.")
        elif self.max_cnxns > 0:
            LOG.info("maxCnxns configured value is %d.", self.max_cnxns)

    def limit_total_number_of_cnxns(self):
        if self.max_cnxns <= 0:
            return False
        cnxns = self.get_num_alive_connections()
        if cnxns >= self.max_cnxns:
            LOG.error("Too many connections %d - max is %d", cnxns, self.max_cnxns)
            return True
        return False

    def get_num_alive_connections(self):
        return len(self.cnxns)

    def get_zoo_keeper_server(self):
        return self.zk_server

    def set_zoo_keeper_server(self, zks):
        self.zk_server = zks
        if zks is not None:
            if self.secure:
                zks.set_secure_server_cnxn_factory(self)
            else:
                zks.set_server_cnxn_factory(self)

    def is_secure(self):
        return self.secure

    def get_connections(self):
        with self.cnxns_lock:
            return list(self.cnxns)

    def startup(self, zk_server, start_server=True):
        raise NotImplementedError

    def reconfigure(self, addr):
        """Listen on addr instead, without a restart (a committed reconfig moved the client port)."""
        raise NotImplementedError

    def configure_sasl_login(self):
        """Java's configureSaslLogin: log in with the JAAS section zookeeper.sasl.serverconfig
        (default "Server") of the file in java.security.auth.login.config, if there is one.

        Java silently serves without SASL when the file has no such section and neither key
        names one explicitly, and so do we. A file that cannot be read or parsed, a section
        named explicitly but missing, a login that fails (a Kerberos keytab without the
        principal's key, no KDC, the `gssapi` package missing) or a bad enforce.auth setting
        raise ConfigException: the server stops with exit code 2."""
        try:
            AuthenticationHelper()
        except ValueError as e:
            raise ConfigException(str(e)) from None
        server_section = system_properties.get_property(LOGIN_CONTEXT_NAME_KEY, DEFAULT_LOGIN_CONTEXT_NAME)
        jaas_file = system_properties.get_property(JAAS_CONF_KEY)
        try:
            configuration = Configuration.get_configuration()
        except JaasConfigurationException as e:
            raise ConfigException("%s (%s=%s)" % (e, JAAS_CONF_KEY, jaas_file)) from None
        entries = configuration.get_app_configuration_entry(server_section) if configuration is not None else None
        if entries is None:
            login_context_name = system_properties.get_property(LOGIN_CONTEXT_NAME_KEY)
            if configuration is None and login_context_name is not None:
                raise ConfigException("No JAAS configuration section named '%s' was found: %s is not set. But %s "
                                      "was set." % (server_section, JAAS_CONF_KEY, LOGIN_CONTEXT_NAME_KEY))
            if configuration is not None and login_context_name is not None:
                raise ConfigException("No JAAS configuration section named '%s' was found in '%s'. But %s was set."
                                      % (server_section, jaas_file, LOGIN_CONTEXT_NAME_KEY))
            if configuration is not None:
                LOG.info("No JAAS configuration section named '%s' in '%s': no SASL on this port",
                         server_section, jaas_file)
            return
        # lazy: the login modules (Kerberos among them) are loaded only for a JAAS Server section
        from zookeeper_py.login import Login, LoginException
        from zookeeper_py.server.auth.sasl_server_callback_handler import SaslServerCallbackHandler

        try:
            self.sasl_server_callback_handler = SaslServerCallbackHandler(configuration)
            self.login = Login(server_section, self.sasl_server_callback_handler, None, configuration)
            self.login.start_thread_if_needed()
            mechanism = self._check_sasl_server_login(self.login)
        except (LoginException, IOError) as e:
            raise ConfigException("Could not configure server because SASL configuration did not allow the  "
                                  "ZooKeeper server to authenticate itself properly (%s=%s): %s"
                                  % (JAAS_CONF_KEY, jaas_file, e)) from None
        LOG.info("SASL %s on this port: JAAS section '%s' of %s", mechanism, server_section, jaas_file)

    @staticmethod
    def _check_sasl_server_login(login):
        """The mechanism the Server section gives (GSSAPI for a Kerberos principal, else DIGEST-MD5).

        Java finds out at the first client that a Kerberos login without a key (storeKey) cannot
        accept anyone; we refuse it at startup (LoginException)."""
        # lazy: as in configure_sasl_login
        from zookeeper_py.common.krb5_login_module import kerberos_credentials
        from zookeeper_py.login import LoginException

        subject = login.get_subject()
        if not subject.get_principals():
            return "DIGEST-MD5"
        name = subject.get_principals()[0].get_name()
        service, slash, rest = name.partition("/")
        if not slash or "@" not in rest:
            raise LoginException("the server principal %s is not service/host@REALM (Java's SecurityUtils needs both "
                                 "parts)" % name)
        creds = kerberos_credentials(subject)
        if creds is None or creds.accept is None:
            raise LoginException("the Kerberos login of %s keeps no key to accept clients with: the Server section "
                                 "needs useKeyTab=true, keyTab=<file> and storeKey=true" % name)
        return "GSSAPI (Kerberos, as %s)" % name

    # Connection beans are JMX plumbing with no Python meaning.
    def register_connection(self, cnxn):
        pass

    def unregister_connection(self, cnxn):
        pass

    @staticmethod
    def create_factory(addr=None, max_client_cnxns=60):
        """ServerCnxnFactory.createFactory: the NIO factory unless zookeeper.serverCnxnFactory says otherwise."""
        name = system_properties.get_property(ZOOKEEPER_SERVER_CNXN_FACTORY)
        # cycle: server_cnxn_factory -> nio_server_cnxn_factory -> server_cnxn_factory (its subclass)
        from zookeeper_py.server.nio_server_cnxn_factory import NIOServerCnxnFactory

        factory = NIOServerCnxnFactory()
        if name == NETTY_SERVER_CNXN_FACTORY:
            # Tools that launch Java ask for Netty because Java's NIO factory cannot do TLS; ours can.
            LOG.info("Using org.apache.zookeeper.server.NIOServerCnxnFactory as server connection factory: it "
                     "serves what %s would (plaintext, TLS, port unification) on selector threads", name)
        elif name and name != NIO_SERVER_CNXN_FACTORY:
            raise ValueError("%s=%s: zookeeper_py has %s (which also does what %s does)" % (
                "serverCnxnFactory", name, NIO_SERVER_CNXN_FACTORY, NETTY_SERVER_CNXN_FACTORY))
        else:
            LOG.info("Using org.apache.zookeeper.server.NIOServerCnxnFactory as server connection factory")
        if addr is not None:
            factory.configure(addr, max_client_cnxns)
        return factory
