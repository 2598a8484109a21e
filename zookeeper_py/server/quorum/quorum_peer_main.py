"""Mirror of org.apache.zookeeper.server.quorum.QuorumPeerMain: the server entry point of zkServer.sh.

    python -m zookeeper_py.server.quorum.quorum_peer_main [-Dname=value ...] zoo.cfg
"""

import logging
import sys
import threading

from zookeeper_py.common import monotonic_waits, system_properties
from zookeeper_py.common.gc_tuning import tune_collector
from zookeeper_py.common.jaas_configuration import JAAS_CONF_KEY, Configuration, JaasConfigurationException
from zookeeper_py.common.logging_setup import configure_logging, install_thread_dump_handler, set_myid
from zookeeper_py.common.timer_slack import tighten_timer_slack
from zookeeper_py.common.x509_util import X509Exception
from zookeeper_py.server.datadir_cleanup_manager import DatadirCleanupManager
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.quorum.quorum_peer_config import QuorumPeerConfig
from zookeeper_py.server.quorum.quorum_server import ConfigException
from zookeeper_py.server.server_cnxn_factory import ServerCnxnFactory
from zookeeper_py.server.server_metrics import start_server_metrics
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.server.zoo_keeper_server_main import ZooKeeperServerMain, exit_jvm, run_main

LOG = logging.getLogger("QuorumPeerMain")

USAGE = "Usage: QuorumPeerMain configfile"


class QuorumPeerMain:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeerMain.

    Parses zoo.cfg, starts the DatadirCleanupManager, then runs a quorum peer when the
    config is distributed, else hands over to ZooKeeperServerMain.
    """

    def __init__(self):
        self.quorum_peer = None
        self.standalone = None
        self.purge_mgr = None

    def initialize_and_run(self, args):
        config = QuorumPeerConfig()
        if len(args) == 1:
            config.parse(args[0])
            if config.get_server_id() >= 0:
                set_myid(config.get_server_id())
        self.purge_mgr = DatadirCleanupManager(config.get_data_dir(), config.get_data_log_dir(),
                                               config.get_snap_retain_count(), config.get_purge_interval())
        self.purge_mgr.start()
        if len(args) == 1 and config.is_distributed():
            self.run_from_config(config)
        else:
            LOG.warning("Either no config or no quorum defined in config, running  in standalone mode")
            self.standalone = ZooKeeperServerMain()
            self.standalone.initialize_and_run(args)

    def run_from_config(self, config):
        """Build the QuorumPeer from the config, start it and wait until it ends."""
        LOG.info("Starting quorum peer")
        # 3.6+: the metrics provider runs for the life of the peer, whatever its role.
        metrics_provider = start_server_metrics(
            config, lambda: self.quorum_peer.get_active_server() if self.quorum_peer else None,
            lambda: self.quorum_peer)
        try:
            self._run_quorum_peer(config)
        finally:
            metrics_provider.stop()

    def _run_quorum_peer(self, config):
        cnxn_factory = None
        if config.get_client_port_address() is not None:
            cnxn_factory = ServerCnxnFactory.create_factory()
            cnxn_factory.configure(config.get_client_port_address(), config.get_max_client_cnxns(),
                                   config.get_client_port_listen_backlog())
        secure_cnxn_factory = None
        if config.get_secure_client_port_address() is not None:
            secure_cnxn_factory = ServerCnxnFactory.create_factory()
            secure_cnxn_factory.configure(config.get_secure_client_port_address(), config.get_max_client_cnxns(),
                                          config.get_client_port_listen_backlog(), secure=True)
        # lazy: the quorum peer (leader, followers, elections) is loaded only for a distributed config
        from zookeeper_py.server.quorum.quorum_peer import QuorumPeer

        quorum_peer = QuorumPeer()
        self.quorum_peer = quorum_peer
        quorum_peer.set_txn_factory(FileTxnSnapLog(config.get_data_log_dir(), config.get_data_dir()))
        quorum_peer.enable_local_sessions(config.are_local_sessions_enabled())
        quorum_peer.enable_local_sessions_upgrading(config.is_local_sessions_upgrading_enabled())
        quorum_peer.set_election_type(config.get_election_alg())
        quorum_peer.set_myid(config.get_server_id())
        quorum_peer.set_tick_time(config.get_tick_time())
        quorum_peer.set_min_session_timeout(config.get_min_session_timeout())
        quorum_peer.set_max_session_timeout(config.get_max_session_timeout())
        quorum_peer.set_init_limit(config.get_init_limit())
        quorum_peer.set_sync_limit(config.get_sync_limit())
        quorum_peer.set_config_file_name(config.get_config_filename())
        quorum_peer.set_initial_config(config.get_initial_config())
        quorum_peer.set_zk_database(ZKDatabase(quorum_peer.get_txn_factory()))
        quorum_peer.set_quorum_verifier(config.get_quorum_verifier(), False)
        if config.get_last_seen_quorum_verifier() is not None:
            quorum_peer.set_last_seen_quorum_verifier(config.get_last_seen_quorum_verifier(), False)
        quorum_peer.init_config_in_zk_database()
        quorum_peer.set_cnxn_factory(cnxn_factory)
        quorum_peer.set_secure_cnxn_factory(secure_cnxn_factory)
        quorum_peer.set_learner_type(config.get_peer_type())
        quorum_peer.set_sync_enabled(config.get_sync_enabled())
        quorum_peer.set_quorum_listen_on_all_ips(config.get_quorum_listen_on_all_ips())
        # sets quorum sasl authentication configurations
        quorum_peer.set_quorum_sasl_enabled(config.quorum_enable_sasl)
        if quorum_peer.is_quorum_sasl_auth_enabled():
            quorum_peer.set_quorum_server_sasl_required(config.quorum_server_require_sasl)
            quorum_peer.set_quorum_learner_sasl_required(config.quorum_learner_require_sasl)
            quorum_peer.set_quorum_service_principal(config.quorum_service_principal)
            quorum_peer.set_quorum_server_login_context(config.quorum_server_login_context)
            quorum_peer.set_quorum_learner_login_context(config.quorum_learner_login_context)
        quorum_peer.set_quorum_cnxn_threads_size(config.quorum_cnxn_threads_size)
        self.initialize_quorum_auth(config, quorum_peer)
        quorum_peer.set_ssl_quorum(config.ssl_quorum)
        quorum_peer.set_use_port_unification(config.should_use_port_unification)
        if config.ssl_quorum or config.should_use_port_unification:
            # Java finds a missing key store or a wrong password at the first quorum connection; we stop here.
            try:
                quorum_peer.get_x509_util().check_config(server_side=True)
            except X509Exception as e:
                raise ConfigException("Error processing %s: quorum TLS (sslQuorum=%s, portUnification=%s): %s" % (
                    config.get_config_filename(), str(config.ssl_quorum).lower(),
                    str(config.should_use_port_unification).lower(), e)) from None
        if config.ssl_quorum_reload_cert_files:
            quorum_peer.get_x509_util().enable_cert_file_reloading()
        quorum_peer.start()
        # Java: quorumPeer.join(); a timed join keeps the main thread responsive to signals.
        while quorum_peer.is_alive():
            quorum_peer.join(1.0)

    @staticmethod
    def initialize_quorum_auth(config, quorum_peer):
        """quorumPeer.initialize(): log in with the QuorumServer and QuorumLearner JAAS sections now.

        Java throws SaslException out of main (exit 1) when a section is missing or its login fails;
        here that is a bad config (exit 2) naming the zoo.cfg, the JAAS file and why. A Kerberos
        section (Krb5LoginModule) is refused while the GSSAPI mechanism (zookeeper_py.common.sasl_gssapi)
        is not there."""
        if not config.quorum_enable_sasl:
            quorum_peer.initialize()
            return
        # lazy: the SASL and login modules are loaded only for quorum.auth.enableSasl=true
        from zookeeper_py.common.sasl_digest_md5 import SaslException
        from zookeeper_py.login import KRB5_LOGIN_MODULE
        from zookeeper_py.util.security_utils import gssapi_available

        jaas_file = system_properties.get_property(JAAS_CONF_KEY)
        where = "Error processing %s: quorum.auth.enableSasl=true" % config.get_config_filename()
        try:
            configuration = Configuration.get_configuration()
        except JaasConfigurationException as e:
            raise ConfigException("%s: %s (%s=%s)" % (where, e, JAAS_CONF_KEY, jaas_file)) from None
        if configuration is None:
            raise ConfigException("%s but no JAAS configuration: %s is not set (give -D%s=<file> with the %s and %s "
                                  "sections)" % (where, JAAS_CONF_KEY, JAAS_CONF_KEY,
                                                 config.quorum_server_login_context,
                                                 config.quorum_learner_login_context))
        for key, section in (("quorum.auth.server.saslLoginContext", config.quorum_server_login_context),
                             ("quorum.auth.learner.saslLoginContext", config.quorum_learner_login_context)):
            for entry in configuration.get_app_configuration_entry(section) or ():
                if entry.get_login_module_name() == KRB5_LOGIN_MODULE and not gssapi_available():
                    raise ConfigException("%s: section '%s' (%s) of %s uses %s: Kerberos/GSSAPI quorum SASL is not "
                                          "implemented yet by zookeeper_py (DIGEST-MD5 only)"
                                          % (where, section, key, jaas_file, KRB5_LOGIN_MODULE))
        try:
            quorum_peer.initialize()
        except (SaslException, OSError) as e:
            raise ConfigException("%s (%s=%s): %s" % (where, JAAS_CONF_KEY, jaas_file, e)) from None

    def request_shutdown(self):
        if self.standalone is not None:
            self.standalone.request_shutdown()
        if self.quorum_peer is not None:
            self.quorum_peer.request_shutdown()
        if self.purge_mgr is not None:
            self.purge_mgr.shutdown()


def main(argv=None):
    threading.current_thread().name = "main"
    args = system_properties.split_args(sys.argv[1:] if argv is None else argv)
    configure_logging()
    install_thread_dump_handler()
    tighten_timer_slack()
    monotonic_waits.install()
    tune_collector()
    peer_main = QuorumPeerMain()
    exit_jvm(run_main(peer_main.initialize_and_run, args, peer_main.request_shutdown, USAGE))


if __name__ == "__main__":
    main()
