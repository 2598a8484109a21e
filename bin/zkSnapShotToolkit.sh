#!/usr/bin/env bash
# Prints a snapshot file: the twin of Java's bin/zkSnapShotToolkit.sh (SnapshotFormatter).
#
#   zkSnapShotToolkit.sh [-d|-json] snapshot_file

# use POSIX interface, symlink is followed automatically
ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"

. "$ZOOBINDIR"/zkEnv.sh

"$PYTHON" -m zookeeper_py.server.snapshot_formatter "$@"
