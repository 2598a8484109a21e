"""Mirror of org.apache.zookeeper.server.quorum.QuorumPeerConfig: zoo.cfg and the dynamic config file."""

import logging
import os
import socket

from zookeeper_py.common import system_properties
from zookeeper_py.common.atomic_file_output_stream import AtomicFileOutputStream
from zookeeper_py.common.client_x509_util import ClientX509Util
from zookeeper_py.common.java_integer import parse_int
from zookeeper_py.common.java_properties import load_properties, load_properties_file
from zookeeper_py.metrics.impl.metrics_provider_bootstrap import check_configuration
from zookeeper_py.server.quorum.flexible.quorum_hierarchical import QuorumHierarchical
from zookeeper_py.server.quorum.flexible.quorum_maj import QuorumMaj
from zookeeper_py.server.quorum.quorum_server import ConfigException, LearnerType
from zookeeper_py.server.server_cnxn_factory import PORT_UNIFICATION_KEY
from zookeeper_py.server.util.verifying_file_factory import VerifyingFileFactory
from zookeeper_py.server.zoo_keeper_server import DEFAULT_TICK_TIME

LOG = logging.getLogger("QuorumPeerConfig")

UNSET_SERVERID = -1
NEXT_DYNAMIC_CONFIG_FILE_SUFFIX = ".dynamic.next"
MIN_SNAP_RETAIN_COUNT = 3

_INT_KEYS = {
    "clientPort": "client_port", "secureClientPort": "secure_client_port", "tickTime": "tick_time",
    "maxClientCnxns": "max_client_cnxns", "minSessionTimeout": "min_session_timeout",
    "maxSessionTimeout": "max_session_timeout", "initLimit": "init_limit", "syncLimit": "sync_limit",
    "electionAlg": "election_alg", "autopurge.snapRetainCount": "snap_retain_count",
    "autopurge.purgeInterval": "purge_interval", "quorum.cnxn.threads.size": "quorum_cnxn_threads_size",
    # 3.6+
    "clientPortListenBacklog": "client_port_listen_backlog", "observerMasterPort": "observer_master_port",
    "connectToLearnerMasterLimit": "connect_to_learner_master_limit",
    "multiAddress.reachabilityCheckTimeoutMs": "multi_address_reachability_check_timeout_ms",
}
_BOOL_KEYS = {
    "localSessionsEnabled": "local_sessions_enabled",
    "localSessionsUpgradingEnabled": "local_sessions_upgrading_enabled",
    "quorumListenOnAllIPs": "quorum_listen_on_all_ips", "syncEnabled": "sync_enabled",
    "sslQuorum": "ssl_quorum", "portUnification": "should_use_port_unification",
    "sslQuorumReloadCertFiles": "ssl_quorum_reload_cert_files",
    "quorum.auth.enableSasl": "quorum_enable_sasl", "quorum.auth.serverRequireSasl": "quorum_server_require_sasl",
    "quorum.auth.learnerRequireSasl": "quorum_learner_require_sasl",
    # 3.6+
    "multiAddress.enabled": "multi_address_enabled",
    "multiAddress.reachabilityCheckEnabled": "multi_address_reachability_check_enabled",
}
# 3.6+ features this server does not have: their keys are read (a bad value stops the start, as
# in Java 3.8) and a set value is logged as having no effect, rather than dropped unsaid.
_FEATURES_NOT_HERE = {
    "observerMasterPort": "observers follow the leader (no follower serves them)",
    "connectToLearnerMasterLimit": "observers follow the leader (no follower serves them)",
    "multiAddress.enabled": "each server line takes one address",
}
_STRING_KEYS = {
    "clientPortAddress": "client_port_address_str", "secureClientPortAddress": "secure_client_port_address_str",
    "dynamicConfigFile": "dynamic_config_file_str",
    "quorum.auth.learner.saslLoginContext": "quorum_learner_login_context",
    "quorum.auth.server.saslLoginContext": "quorum_server_login_context",
    "quorum.auth.kerberos.servicePrincipal": "quorum_service_principal",
}


class QuorumPeerConfig:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeerConfig.

    parse(path) reads zoo.cfg (Java properties syntax). Keys it knows set fields;
    any other key k becomes the system property zookeeper.k, as in Java. A bad value
    raises ConfigException naming the key, its line and the file.
    """

    standalone_enabled = True
    reconfig_enabled = False

    def __init__(self):
        self.client_port_address = None
        self.secure_client_port_address = None
        self.ssl_quorum = False
        self.should_use_port_unification = False
        self.ssl_quorum_reload_cert_files = False
        self.data_dir = None
        self.data_log_dir = None
        self.dynamic_config_file_str = None
        self.config_file_str = None
        self.initial_config = None
        self.tick_time = DEFAULT_TICK_TIME
        self.max_client_cnxns = 60
        self.min_session_timeout = -1
        self.max_session_timeout = -1
        self.local_sessions_enabled = False
        self.local_sessions_upgrading_enabled = False
        self.init_limit = 0
        self.sync_limit = 0
        self.election_alg = 3
        self.election_port = 2182
        self.quorum_listen_on_all_ips = False
        self.server_id = UNSET_SERVERID
        self.quorum_verifier = None
        self.last_seen_quorum_verifier = None
        self.snap_retain_count = 3
        self.purge_interval = 0
        self.sync_enabled = True
        self.peer_type = LearnerType.PARTICIPANT
        self.quorum_server_require_sasl = False
        self.quorum_learner_require_sasl = False
        self.quorum_enable_sasl = False
        self.quorum_service_principal = "zkquorum/localhost"
        self.quorum_learner_login_context = "QuorumLearner"
        self.quorum_server_login_context = "QuorumServer"
        self.quorum_cnxn_threads_size = 20
        # 3.6+: -1 is the default, ours 128 (Java's JDK default is 50).
        self.client_port_listen_backlog = -1
        self.observer_master_port = 0
        self.connect_to_learner_master_limit = 0
        self.multi_address_enabled = False
        self.multi_address_reachability_check_enabled = True
        self.multi_address_reachability_check_timeout_ms = 1000
        # 3.6+: metricsProvider.className and the other metricsProvider.* keys (without the prefix).
        self.metrics_provider_class_name = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"
        self.metrics_provider_configuration = {}
        # Raw values while parsing.
        self.client_port = 0
        self.secure_client_port = 0
        self.client_port_address_str = None
        self.secure_client_port_address_str = None

    # -- parsing ---------------------------------------------------------------------

    def parse(self, path):
        LOG.info("Reading configuration from: %s", path)
        try:
            VerifyingFileFactory(LOG, warn_for_relative_path=True, fail_for_non_existing_path=True).create(path)
        except ValueError as e:
            raise ConfigException("Error processing %s: %s" % (path, e)) from None
        try:
            props, lines = load_properties_file(path)
            # 3.6+: the whole file as read, for the AdminServer's initial_configuration
            with open(path, encoding="utf-8", errors="replace", newline="") as f:
                self.initial_config = f.read()
        except OSError as e:
            raise ConfigException("Error processing %s: %s" % (path, e)) from None
        self.config_file_str = path
        self.parse_properties(props, lines, path)
        if self.dynamic_config_file_str is not None:
            self._parse_dynamic_file(self.dynamic_config_file_str)
            next_file = self.config_file_str + NEXT_DYNAMIC_CONFIG_FILE_SUFFIX
            if os.path.exists(next_file):
                try:
                    next_props, _ = load_properties_file(next_file)
                    hierarchical = any(k.startswith(("group", "weight")) for k in next_props)
                    self.last_seen_quorum_verifier = self.create_quorum_verifier(next_props, hierarchical)
                except (OSError, ConfigException, ValueError):
                    LOG.warning("NextQuorumVerifier is initiated to null")

    def _parse_dynamic_file(self, dyn_path):
        try:
            dyn_props, _ = load_properties_file(dyn_path)
        except OSError as e:
            raise ConfigException("Error processing %s: %s" % (dyn_path, e)) from None
        if "version" in dyn_props:
            raise ConfigException("Error processing %s: dynamic file shouldn't have version inside" % dyn_path)
        version = self.get_version_from_filename(dyn_path)
        if version is not None:
            dyn_props["version"] = version
        try:
            self.setup_quorum_peer_config(dyn_props, False)
        except (ValueError, ConfigException) as e:
            raise ConfigException("Error processing %s: %s" % (dyn_path, e)) from None

    @staticmethod
    def get_version_from_filename(filename):
        i = filename.rfind(".")
        if i < 0:
            return None
        try:
            return "%x" % int(filename[i + 1:], 16)
        except ValueError:
            return None

    def parse_properties(self, props, lines=None, source="zoo.cfg"):
        """QuorumPeerConfig.parseProperties over a dict of zoo.cfg keys."""
        lines = lines or {}
        has_dynamic = "dynamicConfigFile" in props

        def bad(key, value, why):
            where = " (line %d)" % lines[key] if key in lines else ""
            return ConfigException("Error processing %s: %s=%s%s %s" % (source, key, value, where, why))

        for raw_key, raw_value in props.items():
            key = raw_key.strip()
            value = raw_value.strip()
            if key in ("dataDir", "dataLogDir"):
                if not value:
                    # Java fails on it (StringIndexOutOfBoundsException); it would mean the working directory.
                    raise bad(key, value, "is empty")
                setattr(self, "data_dir" if key == "dataDir" else "data_log_dir", self._file(value))
            elif key == "electionAlg":
                # 3.5.7 still ran the deprecated UDP algorithms 0, 1 and 2; 3.6 removed them and refuses any
                # other value while parsing, as we do (we have only FastLeaderElection).
                try:
                    self.election_alg = parse_int(value)
                except ValueError:
                    raise bad(key, value, "is not a number") from None
                if self.election_alg != 3:
                    raise bad(key, value, "is invalid: Invalid electionAlg value. Only 3 is supported.")
            elif key in _INT_KEYS:
                try:
                    setattr(self, _INT_KEYS[key], parse_int(value))
                except ValueError:
                    raise bad(key, value, "is not a number") from None
            elif key in _BOOL_KEYS:
                enabled = system_properties.parse_true_or_false(value)
                if enabled is None:
                    # 3.5.7 read a typo as false (a quorum left in plaintext, say, unsaid); 3.8 refuses it too.
                    raise bad(key, value, "is not true or false")
                setattr(self, _BOOL_KEYS[key], enabled)
            elif key in _STRING_KEYS:
                setattr(self, _STRING_KEYS[key], value)
            elif key == "peerType":
                if value.lower() == "observer":
                    self.peer_type = LearnerType.OBSERVER
                elif value.lower() == "participant":
                    self.peer_type = LearnerType.PARTICIPANT
                else:
                    raise bad(key, value, "is not a peer type: Unrecognised peertype: " + value)
            elif key == "standaloneEnabled":
                enabled = system_properties.parse_true_or_false(value)
                if enabled is None:
                    raise bad(key, value, "is invalid: Invalid option %s for standalone mode. Choose 'true' or "
                                          "'false.'" % value)
                QuorumPeerConfig.set_standalone_enabled(enabled)
            elif key == "reconfigEnabled":
                enabled = system_properties.parse_true_or_false(value)
                if enabled is None:
                    raise bad(key, value, "is invalid: Invalid option %s for reconfigEnabled flag. Choose 'true' "
                                          "or 'false.'" % value)
                QuorumPeerConfig.set_reconfig_enabled(enabled)
            elif key.startswith(("server.", "group", "weight")) and has_dynamic:
                raise ConfigException("parameter: %s must be in a separate dynamic config file" % key)
            elif key.startswith(("server.", "group", "weight")) or key == "version":
                pass  # the quorum part, parsed below
            elif key == "metricsProvider.className":
                self.metrics_provider_class_name = value
            elif key.startswith("metricsProvider."):
                self.metrics_provider_configuration[key[len("metricsProvider."):]] = value
            else:
                if key == "requireClientAuthScheme":
                    # From old guides; no ZooKeeper reads it, so clients would not have to log in.
                    LOG.warning("%s: requireClientAuthScheme=%s has no effect in ZooKeeper; "
                                "sessionRequireClientSASLAuth=true makes clients authenticate with SASL",
                                source, value)
                system_properties.set_property("zookeeper." + key, value)

        for key, what_happens in _FEATURES_NOT_HERE.items():
            value = props.get(key, "").strip()
            if value and value.lower() not in ("0", "false"):
                LOG.warning("%s: %s=%s has no effect: this server has no such 3.6+ feature; %s",
                            source, key, value, what_happens)
        for key in ("clientPortAddress", "secureClientPortAddress"):
            host = getattr(self, _STRING_KEYS[key])
            if host:
                try:
                    socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
                except (OSError, UnicodeError) as e:  # Java 3.5.7+ resolves it here too (UnknownHostException)
                    raise bad(key, host, "is invalid: the host cannot be resolved (%s)" % e) from None
        problem = check_configuration(self.metrics_provider_class_name, self.metrics_provider_configuration)
        if problem is not None:
            raise bad(problem[0], props.get(problem[0], "").strip(), problem[1])
        if not self.quorum_enable_sasl and self.quorum_server_require_sasl:
            raise ConfigException("quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.serverRequireSasl")
        if not self.quorum_enable_sasl and self.quorum_learner_require_sasl:
            raise ConfigException("quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.learnerRequireSasl")
        if not self.quorum_learner_require_sasl and self.quorum_server_require_sasl:
            raise ConfigException(
                "quorum.auth.learnerRequireSasl is disabled, so cannot enable quorum.auth.serverRequireSasl")
        if self.snap_retain_count < MIN_SNAP_RETAIN_COUNT:
            LOG.warning("Invalid autopurge.snapRetainCount: %d. Defaulting to %d",
                        self.snap_retain_count, MIN_SNAP_RETAIN_COUNT)
            self.snap_retain_count = MIN_SNAP_RETAIN_COUNT
        if self.data_dir is None:
            raise ConfigException("Error processing %s: dataDir is not set" % source)
        if self.data_log_dir is None:
            self.data_log_dir = self.data_dir
        for key in ("clientPort", "secureClientPort"):
            port = getattr(self, _INT_KEYS[key])
            if not 0 <= port <= 0xFFFF:  # Java's InetSocketAddress refuses it as the file is parsed
                raise bad(key, port, "is invalid: port out of range:%d" % port)
        if self.client_port == 0:
            LOG.info("clientPort is not set")
            if self.client_port_address_str is not None:
                raise ConfigException("Error processing %s: clientPortAddress is set but clientPort is not set"
                                      % source)
        else:
            self.client_port_address = (self.client_port_address_str or "", self.client_port)
            LOG.info("clientPortAddress is %s:%d", self.client_port_address[0] or "0.0.0.0", self.client_port)
        if self.secure_client_port == 0:
            LOG.info("secureClientPort is not set")
            if self.secure_client_port_address_str is not None:
                raise ConfigException(
                    "Error processing %s: secureClientPortAddress is set but secureClientPort is not set" % source)
        else:
            self.secure_client_port_address = (self.secure_client_port_address_str or "", self.secure_client_port)
            LOG.info("secureClientPortAddress is %s:%d", self.secure_client_port_address[0] or "0.0.0.0",
                     self.secure_client_port)
        if self.secure_client_port_address is not None or system_properties.get_boolean(PORT_UNIFICATION_KEY):
            self.configure_ssl_auth()
        if self.tick_time == 0:
            raise ConfigException("Error processing %s: tickTime is not set" % source)
        if self.min_session_timeout == -1:
            self.min_session_timeout = self.tick_time * 2
        if self.max_session_timeout == -1:
            self.max_session_timeout = self.tick_time * 20
        if self.min_session_timeout > self.max_session_timeout:
            raise ConfigException(
                "Error processing %s: minSessionTimeout must not be larger than maxSessionTimeout" % source)
        if self.dynamic_config_file_str is None:
            quorum_props = {k.strip(): v.strip() for k, v in props.items()
                            if k.strip().startswith(("server.", "group", "weight")) or k.strip() == "version"}
            try:
                self.setup_quorum_peer_config(quorum_props, True)
            except (ValueError, ConfigException) as e:
                raise ConfigException("Error processing %s: %s" % (source, e)) from None
            if self.is_distributed() and self.is_reconfig_enabled():
                self.backup_old_config()

    @staticmethod
    def _file(value):
        return VerifyingFileFactory(LOG, warn_for_relative_path=True).create(value)

    def backup_old_config(self):
        import shutil  # lazy: with bz2 and lzma, 12 ms of PyPy's start, for a rare call

        shutil.copyfile(self.config_file_str, self.config_file_str + ".bak")

    @staticmethod
    def create_quorum_verifier(props, hierarchical):
        if hierarchical:
            return QuorumHierarchical(props)
        return QuorumMaj(props=props)

    def setup_quorum_peer_config(self, props, config_backward_compatibility_mode):
        self.quorum_verifier = self.parse_dynamic_config(props, self.election_alg, True,
                                                         config_backward_compatibility_mode)
        self.setup_my_id()
        self.setup_client_port()
        self.setup_peer_type()
        self.check_validity()

    @staticmethod
    def parse_dynamic_config(props, e_alg, warnings, config_backward_compatibility_mode):
        hierarchical = False
        for key in props:
            key = key.strip()
            if key.startswith(("group", "weight")):
                hierarchical = True
            elif not config_backward_compatibility_mode and not key.startswith("server.") and key != "version":
                raise ConfigException("Unrecognised parameter: " + key)
        for key in props:
            if key.startswith("server."):
                try:
                    int(key[len("server."):])
                except ValueError:
                    raise ConfigException("%s: the server id after 'server.' must be a number" % key) from None
        qv = QuorumPeerConfig.create_quorum_verifier(props, hierarchical)
        participants = len(qv.get_voting_members())
        observers = len(qv.get_observing_members())
        if participants == 0:
            if not QuorumPeerConfig.standalone_enabled:
                raise ConfigException("standaloneEnabled = false then number of participants should be >0")
            if observers > 0:
                raise ConfigException("Observers w/o participants is an invalid configuration")
        elif participants == 1 and QuorumPeerConfig.standalone_enabled:
            LOG.error("Invalid configuration, only one server specified (ignoring)")
            if observers > 0:
                raise ConfigException("Observers w/o quorum is an invalid configuration")
        elif warnings:
            if participants <= 2:
                LOG.warning("No server failure will be tolerated. You need at least 3 servers.")
            elif participants % 2 == 0:
                LOG.warning("Non-optimial configuration, consider an odd number of servers.")
        return qv

    def setup_my_id(self):
        my_id_file = os.path.join(self.data_dir, "myid")
        if not os.path.isfile(my_id_file):
            return
        with open(my_id_file, errors="replace") as f:
            my_id = f.readline().strip()
        try:
            self.server_id = int(my_id)
        except ValueError:
            raise ConfigException("serverid %s is not a number (read from %s)" % (my_id, my_id_file)) from None

    def setup_client_port(self):
        if self.server_id == UNSET_SERVERID:
            return
        qs = self.quorum_verifier.get_all_members().get(self.server_id)
        if self.client_port_address is not None and qs is not None and qs.client_addr is not None:
            host, port = self.client_port_address
            any_local = host in ("", "0.0.0.0", "::")
            if (not any_local and (host, port) != qs.client_addr) or (any_local and port != qs.client_addr[1]):
                raise ConfigException(
                    "client address for this server (id = %d) in static config file is %s:%d is different from "
                    "client address found in dynamic file: %s:%d"
                    % (self.server_id, host or "0.0.0.0", port, qs.client_addr[0], qs.client_addr[1]))
        if qs is not None and qs.client_addr is not None:
            host, port = qs.client_addr
            self.client_port_address = ("" if host == "0.0.0.0" else host, port)

    def setup_peer_type(self):
        by_list = (LearnerType.OBSERVER if self.server_id in self.quorum_verifier.get_observing_members()
                   else LearnerType.PARTICIPANT)
        if by_list is not self.peer_type:
            LOG.warning("Peer type from servers list (%s) doesn't match peerType (%s). Defaulting to servers list.",
                        by_list.name, self.peer_type.name)
            self.peer_type = by_list

    def check_validity(self):
        if self.is_distributed():
            if self.init_limit == 0:
                raise ConfigException("initLimit is not set")
            if self.sync_limit == 0:
                raise ConfigException("syncLimit is not set")
            if self.server_id == UNSET_SERVERID:
                raise ConfigException("myid file is missing (expected %s)" % os.path.join(self.data_dir, "myid"))
            if self.server_id not in self.quorum_verifier.get_all_members():
                raise ConfigException("myid %d is not in the server list (server.N lines)" % self.server_id)

    # -- dynamic config files -------------------------------------------------------------

    @staticmethod
    def write_dynamic_config(filename, qv, need_keep_version):
        props, _ = load_properties(str(qv))
        servers = sorted("%s=%s" % (k.strip(), v.strip()) for k, v in props.items()
                         if need_keep_version or not k.strip().startswith("version"))
        _atomic_write(filename, "\n".join(servers))

    @staticmethod
    def edit_static_config(config_file_str, dynamic_file_str, erase_client_port_address):
        if config_file_str is None:
            return
        props, _ = load_properties_file(config_file_str)
        out = []
        for key, value in props.items():
            key = key.strip()
            if key.startswith(("server.", "group", "weight", "dynamicConfigFile")) or (
                    erase_client_port_address and key.startswith(("clientPort", "clientPortAddress"))):
                continue
            out.append("%s=%s\n" % (key, value.strip()))
        out.append("dynamicConfigFile=%s\n" % os.path.realpath(dynamic_file_str))
        _atomic_write(config_file_str, "".join(out))

    @staticmethod
    def delete_file(filename):
        if filename and os.path.exists(filename):
            try:
                os.remove(filename)
            except OSError:
                LOG.warning("deleting %s failed", filename)

    # -- accessors -------------------------------------------------------------------------

    def get_client_port_address(self):
        return self.client_port_address

    def get_secure_client_port_address(self):
        return self.secure_client_port_address

    def get_data_dir(self):
        return self.data_dir

    def get_data_log_dir(self):
        return self.data_log_dir

    def get_tick_time(self):
        return self.tick_time

    def get_max_client_cnxns(self):
        return self.max_client_cnxns

    def get_client_port_listen_backlog(self):
        return self.client_port_listen_backlog

    def get_min_session_timeout(self):
        return self.min_session_timeout

    def get_max_session_timeout(self):
        return self.max_session_timeout

    def are_local_sessions_enabled(self):
        return self.local_sessions_enabled

    def is_local_sessions_upgrading_enabled(self):
        return self.local_sessions_upgrading_enabled

    def get_init_limit(self):
        return self.init_limit

    def get_sync_limit(self):
        return self.sync_limit

    def get_election_alg(self):
        return self.election_alg

    def get_election_port(self):
        return self.election_port

    def get_snap_retain_count(self):
        return self.snap_retain_count

    def get_purge_interval(self):
        return self.purge_interval

    def get_sync_enabled(self):
        return self.sync_enabled

    def get_quorum_verifier(self):
        return self.quorum_verifier

    def get_last_seen_quorum_verifier(self):
        return self.last_seen_quorum_verifier

    def get_servers(self):
        return dict(self.quorum_verifier.get_all_members())

    def get_server_id(self):
        return self.server_id

    def is_distributed(self):
        return self.quorum_verifier is not None and (
            not QuorumPeerConfig.standalone_enabled or len(self.quorum_verifier.get_voting_members()) > 1)

    def get_peer_type(self):
        return self.peer_type

    def get_config_filename(self):
        return self.config_file_str

    def get_initial_config(self):
        return self.initial_config

    def get_quorum_listen_on_all_ips(self):
        return self.quorum_listen_on_all_ips

    @staticmethod
    def is_standalone_enabled():
        return QuorumPeerConfig.standalone_enabled

    @staticmethod
    def set_standalone_enabled(enabled):
        QuorumPeerConfig.standalone_enabled = enabled

    @staticmethod
    def is_reconfig_enabled():
        return QuorumPeerConfig.reconfig_enabled

    @staticmethod
    def set_reconfig_enabled(enabled):
        QuorumPeerConfig.reconfig_enabled = enabled

    @staticmethod
    def configure_ssl_auth():
        """Register the provider of the TLS authentication scheme (ssl.authProvider, x509) unless
        zoo.cfg names one: authProvider.x509 defaults to X509AuthenticationProvider."""
        scheme = system_properties.get_property(ClientX509Util().get_ssl_auth_provider_property(), "x509")
        ssl_auth_prop = "zookeeper.authProvider." + scheme
        if system_properties.get_property(ssl_auth_prop) is None:
            if scheme == "x509":
                system_properties.set_property(ssl_auth_prop,
                                               "org.apache.zookeeper.server.auth.X509AuthenticationProvider")
            else:
                raise ConfigException("No auth provider configured for the SSL authentication scheme '%s'." % scheme)


def _atomic_write(path, text):
    with AtomicFileOutputStream(path) as out:
        out.write(text.encode("utf-8"))
