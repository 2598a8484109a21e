#!/usr/bin/env bash
# Cleans up old transaction logs and snapshots: the twin of Java ZooKeeper's bin/zkCleanup.sh.
#
#   zkCleanup.sh -n <count>      keep the <count> (>= 3) newest snapshots and the logs they need
#
# dataDir and dataLogDir are read from $ZOOCFG (conf/zoo.cfg by default), as Java's script does.

# use POSIX interface, symlink is followed automatically
ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"

. "$ZOOBINDIR"/zkEnv.sh

ZOODATADIR="$(config_value "^[[:space:]]*dataDir[[:space:]]*=" "$ZOOCFG")"
ZOODATALOGDIR="$(config_value "^[[:space:]]*dataLogDir[[:space:]]*=" "$ZOOCFG")"

if [ "x$ZOODATALOGDIR" = "x" ]
then
"$PYTHON" -m zookeeper_py.server.purge_txn_log "$ZOODATADIR" "$@"
else
"$PYTHON" -m zookeeper_py.server.purge_txn_log "$ZOODATALOGDIR" "$ZOODATADIR" "$@"
fi
