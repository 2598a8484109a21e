#!/usr/bin/env bash
# zkCli: the ZooKeeper shell of zookeeper_py, the twin of Java ZooKeeper's bin/zkCli.sh.
#
#   zkCli.sh [-server host:port[,host:port...][/chroot]] [-timeout ms] [-r]
#            [-waitforconnection] [-client-configuration file] [cmd args...]
#
# -Dname=value flags in CLIENT_JVMFLAGS or JVMFLAGS (or on the command line) set system
# properties, e.g. CLIENT_JVMFLAGS=-Dzookeeper.request.timeout=5000. The command history
# is kept in ~/.zookeeper_py_history (ZOOKEEPER_PY_HISTORY=/path overrides it).

. "$(dirname "$0")/zkEnv.sh"

exec "$PYTHON" -m zookeeper_py.zookeeper_main "$@"
