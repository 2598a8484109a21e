"""Mirror of org.apache.zookeeper.server.ZooKeeperServerMain: the standalone server's main."""

import logging
import os
import signal
import sys
import threading

from zookeeper_py.common import monotonic_waits, system_properties
from zookeeper_py.common.cpu_affinity import pin_to_one_cpu, set_sched_batch
from zookeeper_py.common.gc_tuning import tune_collector
from zookeeper_py.common.jit_tuning import tune_jit
from zookeeper_py.common.logging_setup import configure_logging, install_thread_dump_handler, thread_dump
from zookeeper_py.common.timer_slack import tighten_timer_slack
from zookeeper_py.common.x509_util import X509Exception
from zookeeper_py.server.admin.admin_server import AdminServerException
from zookeeper_py.server.admin.admin_server_factory import AdminServerFactory
from zookeeper_py.server.container_manager import ContainerManager
from zookeeper_py.server.exit_code import ExitCode
from zookeeper_py.server.persistence.file_txn_snap_log import DatadirException, FileTxnSnapLog
from zookeeper_py.server.quorum.quorum_server import ConfigException
from zookeeper_py.server.server_cnxn_factory import ServerCnxnFactory
from zookeeper_py.server.server_config import ServerConfig
from zookeeper_py.server.server_metrics import start_server_metrics
from zookeeper_py.server.sync_request_processor import fork_snapshot_min_nodes
from zookeeper_py.server.zoo_keeper_server import State, ZooKeeperServer
from zookeeper_py.server.zoo_keeper_server_listener import ZooKeeperServerShutdownHandler

LOG = logging.getLogger("ZooKeeperServerMain")


class ServerStoppedOnError(Exception):
    """The server stopped itself after a severe error (a critical thread died: a full or dead disk).
    Java 3.8 then exits 0 unless closing its log throws too; ours always exits 1, so that a
    supervisor's restart-on-failure sees a failure."""

USAGE = "Usage: ZooKeeperServerMain configfile | port datadir [ticktime] [maxcnxns]"


class ZooKeeperServerMain:
    """Mirror of org.apache.zookeeper.server.ZooKeeperServerMain."""

    def __init__(self):
        self.cnxn_factory = None
        self.secure_cnxn_factory = None
        self.container_manager = None
        self.admin_server = None
        self.zk_server = None
        self.shutdown_latch = threading.Event()

    def initialize_and_run(self, args):
        config = ServerConfig()
        if len(args) == 1:
            config.parse(args[0])
        else:
            config.parse_args(args)
        self.run_from_config(config)

    def run_from_config(self, config):
        LOG.info("Starting server")
        txn_log = None
        # 3.6+: the metrics provider starts first and stops last; a /metrics port in use ends
        # the process with exit 1, as Java's "Cannot boot MetricsProvider" IOException does.
        metrics_provider = start_server_metrics(config, lambda: self.zk_server)
        try:
            txn_log = FileTxnSnapLog(config.data_log_dir, config.data_dir)
            zk_server = ZooKeeperServer(txn_log, config.tick_time, config.min_session_timeout,
                                        config.max_session_timeout)
            zk_server.initial_config = config.get_initial_config()
            self.zk_server = zk_server
            txn_log.set_server_stats(zk_server.server_stats())
            zk_server.register_server_shutdown_handler(ZooKeeperServerShutdownHandler(self.shutdown_latch))
            # Start Admin server
            self.admin_server = AdminServerFactory.create_admin_server()
            self.admin_server.set_zoo_keeper_server(zk_server)
            self.admin_server.start()
            need_start_zk_server = True
            # The secure port is configured first: a TLS setting that cannot be honoured stops the
            # server before any port listens.
            if config.get_secure_client_port_address() is not None:
                self.secure_cnxn_factory = ServerCnxnFactory.create_factory()
                self.secure_cnxn_factory.configure(config.get_secure_client_port_address(),
                                                   config.get_max_client_cnxns(),
                                                   config.get_client_port_listen_backlog(), secure=True)
            if config.get_client_port_address() is not None:
                self.cnxn_factory = ServerCnxnFactory.create_factory()
                self.cnxn_factory.configure(config.get_client_port_address(), config.get_max_client_cnxns(),
                                            config.get_client_port_listen_backlog())
                self.cnxn_factory.startup(zk_server)
                need_start_zk_server = False
            if self.secure_cnxn_factory is not None:
                self.secure_cnxn_factory.startup(zk_server, need_start_zk_server)
                need_start_zk_server = False
            if need_start_zk_server:
                zk_server.startdata()
                zk_server.startup()
            self.container_manager = ContainerManager.from_system_properties(
                zk_server.get_zk_database(), zk_server.first_processor)
            self.container_manager.start()
            while not self.shutdown_latch.wait(1.0):
                pass
            stopped_on_error = zk_server.state is State.ERROR
            self.shutdown()
            if self.cnxn_factory is not None:
                self.cnxn_factory.join()
            if self.secure_cnxn_factory is not None:
                self.secure_cnxn_factory.join()
            if zk_server.can_shutdown():
                zk_server.shutdown(True)
        finally:
            if txn_log is not None:
                txn_log.close()
            metrics_provider.stop()
        if stopped_on_error:
            raise ServerStoppedOnError("the server stopped after a severe error (logged above)")

    def request_shutdown(self):
        """What Java's shutdown hook does on SIGTERM: let the main loop stop the server."""
        self.shutdown_latch.set()

    def shutdown(self):
        if self.container_manager is not None:
            self.container_manager.stop()
        if self.cnxn_factory is not None:
            self.cnxn_factory.shutdown()
        if self.secure_cnxn_factory is not None:
            self.secure_cnxn_factory.shutdown()
        try:
            if self.admin_server is not None:
                self.admin_server.shutdown()
        except AdminServerException:
            LOG.warning("Problem stopping AdminServer", exc_info=True)

    def get_cnxn_factory(self):
        return self.cnxn_factory


def main(argv=None):
    threading.current_thread().name = "main"
    args = system_properties.split_args(sys.argv[1:] if argv is None else argv)
    configure_logging()
    install_thread_dump_handler()
    tighten_timer_slack()
    monotonic_waits.install()
    tune_collector()
    server_main = ZooKeeperServerMain()
    exit_jvm(run_main(server_main.initialize_and_run, args, server_main.request_shutdown, USAGE))


def exit_jvm(code):
    """System.exit: flush the logs and end the process now, daemon threads and all."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


# How long a shutdown on SIGTERM or SIGINT may take (it takes well under 2 s) before the process
# ends anyway, as a JVM ends at once: under zkServer.sh stop's 30 s, so a restart finds the port free.
SHUTDOWN_DEADLINE_SECONDS = 20


def _shutdown_overran(signum):
    LOG.error("Shutdown after signal %d not finished in %d s; exiting now. The threads still running:\n%s",
              signum, SHUTDOWN_DEADLINE_SECONDS, thread_dump())
    exit_jvm(128 + signum)


def run_main(run, args, request_shutdown, usage):
    """The exit codes of Java's main(): 2 bad config, 3 data dir, 4 AdminServer, 1 anything else, 0 normal end.

    A signal shuts the server down in order, within SHUTDOWN_DEADLINE_SECONDS; a second signal
    ends the process at once."""
    signalled = []

    def on_term(signum, frame):
        if signalled:
            LOG.warning("Received signal %d again, exiting now", signum)
            exit_jvm(128 + signum)
        signalled.append(signum)
        LOG.info("Received signal %d, shutting down", signum)
        deadline = threading.Timer(SHUTDOWN_DEADLINE_SECONDS, _shutdown_overran, (signum,))
        deadline.name = "ShutdownDeadline"
        deadline.daemon = True
        deadline.start()
        request_shutdown()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, on_term)
        except ValueError:
            pass
    try:
        tune_jit()  # PyPy's JIT flags come as -D, like a JVM's; a bad one is a config error
        pin_to_one_cpu()  # before the server's threads start: they inherit the CPU and the policy
        set_sched_batch()
        fork_snapshot_min_nodes()  # a bad -D value fails the start, not the first snapshot
        run(args)
    except ValueError as e:
        LOG.error("Invalid arguments, exiting abnormally", exc_info=True)
        LOG.info(usage)
        sys.stderr.write("%s\n%s\n" % (e, usage))
        return ExitCode.INVALID_INVOCATION
    except (ConfigException, X509Exception) as e:
        LOG.error("Invalid config, exiting abnormally: %s", e)
        sys.stderr.write("Invalid config, exiting abnormally\n%s\n" % e)
        return ExitCode.INVALID_INVOCATION
    except DatadirException as e:
        LOG.error("Unable to access datadir, exiting abnormally: %s", e)
        sys.stderr.write("Unable to access datadir, exiting abnormally\n%s\n" % e)
        return ExitCode.UNABLE_TO_ACCESS_DATADIR
    except ServerStoppedOnError as e:
        LOG.error("Exiting abnormally: %s", e)
        return ExitCode.UNEXPECTED_ERROR
    except AdminServerException:
        LOG.error("Unable to start AdminServer, exiting abnormally", exc_info=True)
        sys.stderr.write("Unable to start AdminServer, exiting abnormally\n")
        return ExitCode.ERROR_STARTING_ADMIN_SERVER
    except Exception:
        LOG.error("Unexpected exception, exiting abnormally", exc_info=True)
        return ExitCode.UNEXPECTED_ERROR
    LOG.info("Exiting normally")
    return ExitCode.EXECUTION_FINISHED


if __name__ == "__main__":
    main()
