#!/usr/bin/env bash
# Dumps a transaction log, or recovers one with CRC errors (-r): the twin of Java's bin/zkTxnLogToolkit.sh.
#
#   zkTxnLogToolkit.sh [-dhrvy] <txn_log_file_name>

# use POSIX interface, symlink is followed automatically
ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"

. "$ZOOBINDIR"/zkEnv.sh

"$PYTHON" -m zookeeper_py.server.persistence.txn_log_toolkit "$@"
