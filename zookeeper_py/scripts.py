"""The console scripts of an installed zookeeper_py: the bin/*.sh tools without the shell.

zookeeper_py's own (Java has only the shell scripts): `pip install` makes

    zk-server            bin/zkServer.sh start-foreground   (QuorumPeerMain)
    zk-cli               bin/zkCli.sh                       (ZooKeeperMain)
    zk-cleanup           bin/zkCleanup.sh                   (PurgeTxnLog)
    zk-txn-log-toolkit   bin/zkTxnLogToolkit.sh             (TxnLogToolkit)
    zk-snapshot-toolkit  bin/zkSnapShotToolkit.sh           (SnapshotFormatter)

`--help` and `--version` as the first argument are answered here; anything else goes to the
tool's Java-style argument parsing unchanged. Where the tool needs a configuration and none is
given, it is found as the scripts do: $ZOOCFGDIR, else the conf/ of the checkout this package
runs from, else the defaults packaged with it (zookeeper_py/conf/: zoo.cfg with dataDir=./data,
relative to the working directory, and logging.yaml).
"""

import os
import sys

from zookeeper_py.common.java_properties import load_properties_file
from zookeeper_py.version import Version

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def conf_dir():
    """Where zoo.cfg and logging.yaml come from when none is named (see the module)."""
    env = os.environ.get("ZOOCFGDIR")
    if env:
        return env
    checkout = os.path.join(os.path.dirname(PACKAGE_DIR), "conf")
    if os.path.exists(os.path.join(checkout, "zoo.cfg")):
        return checkout
    return os.path.join(PACKAGE_DIR, "conf")


def default_zoo_cfg():
    return os.path.join(conf_dir(), os.environ.get("ZOOCFG") or "zoo.cfg")


def version_text(prog):
    return "%s (zookeeper_py %s)\nApache ZooKeeper, version %s\n" % (
        prog, Version.get_project_version(), Version.get_full_version())


def _help_or_version(argv, prog, usage, description):
    """True when argv asked for --help or --version (answered on stdout)."""
    if argv[:1] == ["--version"]:
        sys.stdout.write(version_text(prog))
        return True
    if argv[:1] == ["--help"]:
        sys.stdout.write("usage: %s\n\n%s\n\n  --help     this text\n  --version  zookeeper_py's version and the "
                         "ZooKeeper version it mirrors\n" % (usage, description))
        return True
    return False


def _argv(argv):
    return list(sys.argv[1:] if argv is None else argv)


def _use_logging_conf():
    """The server's logging.yaml from the same place as its zoo.cfg, unless ZOO_LOG_CONF names one."""
    path = os.path.join(conf_dir(), "logging.yaml")
    if not os.environ.get("ZOO_LOG_CONF") and os.path.exists(path):
        os.environ["ZOO_LOG_CONF"] = path


def server(argv=None):
    argv = _argv(argv)
    if _help_or_version(argv, "zk-server", "zk-server [-Dname=value ...] [zoo.cfg]",
                        "Runs a ZooKeeper server in the foreground (zkServer.sh start-foreground).\n"
                        "Without zoo.cfg: %s" % default_zoo_cfg()):
        return 0
    from zookeeper_py.server.quorum.quorum_peer_main import main  # lazy: each script loads only its own tool

    if not [a for a in argv if not a.startswith("-D")]:
        argv.append(default_zoo_cfg())
    _use_logging_conf()
    return main(argv)


def cli(argv=None):
    argv = _argv(argv)
    if _help_or_version(argv, "zk-cli", "zk-cli [-server host:port[/chroot]] [-timeout ms] [-r] "
                                        "[-waitforconnection] [-client-configuration file] [cmd args]",
                        "The ZooKeeper shell (zkCli.sh); `help` inside it lists the commands."):
        return 0
    from zookeeper_py.zookeeper_main import main  # lazy: each script loads only its own tool

    return main(argv)


def cleanup(argv=None):
    argv = _argv(argv)
    if _help_or_version(argv, "zk-cleanup", "zk-cleanup -n count | zk-cleanup dataLogDir [snapDir] -n count",
                        "Keeps the newest count snapshots and the logs they need (zkCleanup.sh, PurgeTxnLog).\n"
                        "With -n first: dataDir and dataLogDir of %s" % default_zoo_cfg()):
        return 0
    from zookeeper_py.server.purge_txn_log import main  # lazy: each script loads only its own tool

    if argv[:1] == ["-n"]:
        # zkCleanup.sh: the directories of zoo.cfg, then the arguments given.
        props, _ = load_properties_file(default_zoo_cfg())
        data_dir = props.get("dataDir", "").strip()
        data_log_dir = props.get("dataLogDir", "").strip()
        argv = ([data_log_dir, data_dir] if data_log_dir else [data_dir]) + argv
    return main(argv)


def txn_log_toolkit(argv=None):
    argv = _argv(argv)
    if _help_or_version(argv, "zk-txn-log-toolkit", "zk-txn-log-toolkit [-dhrvyc] txn_log_file_name [-z zxid]",
                        "Prints a transaction log; -r repairs bad checksums (zkTxnLogToolkit.sh, TxnLogToolkit).\n"
                        "-h prints TxnLogToolkit's own help."):
        return 0
    from zookeeper_py.server.persistence.txn_log_toolkit import main  # lazy: each script loads only its own tool

    return main(argv)


def snapshot_toolkit(argv=None):
    argv = _argv(argv)
    if _help_or_version(argv, "zk-snapshot-toolkit", "zk-snapshot-toolkit [-d|-json] snapshot_file",
                        "Prints a snapshot (zkSnapShotToolkit.sh, SnapshotFormatter)."):
        return 0
    from zookeeper_py.server.snapshot_formatter import main  # lazy: each script loads only its own tool

    return main(argv)
