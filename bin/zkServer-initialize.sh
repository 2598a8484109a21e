#!/usr/bin/env bash
# Prepare a server's data directories before its first start: the twin of Java
# ZooKeeper's bin/zkServer-initialize.sh (3.5.7).
#
#   zkServer-initialize.sh [--configfile=<zoo.cfg>] [--myid=<id>] [--force]
#
# Creates dataDir/version-2 (and dataLogDir/version-2 when set) from the config, and writes
# dataDir/myid when --myid is given. Refuses (exit 1) where data already exists, unless
# --force, which empties version-2 and removes myid first. Pairs with
# ZOO_DATADIR_AUTOCREATE_DISABLE=1 bin/zkServer.sh start, which then refuses to start
# without the directories this script makes.

ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"
ZOOKEEPER_PREFIX="$(cd "${ZOOBINDIR}/.." && pwd)"

# Where zkEnv.sh would look for the config. zkEnv.sh itself is not sourced: it finds a
# Python and sets up a virtual environment, and nothing here runs Python.
ZOOCFGDIR="${ZOOCFGDIR:-$ZOOKEEPER_PREFIX/conf}"
if [ -f "${ZOOCFGDIR}/zookeeper-env.sh" ]; then
    . "${ZOOCFGDIR}/zookeeper-env.sh"
fi
ZOOCFG="$ZOOCFGDIR/${ZOOCFG:-zoo.cfg}"

usage() {
  # the configfile will be properly formatted as long as the
  # configfile path is less then 40 chars, otw the line will look a
  # bit weird, but otherwise it's fine
  printf "usage: $0 <parameters>
  Optional parameters:
     -h                                                    Display this message
     --help                                                Display this message
     --configfile=%-40s ZooKeeper config file
     --myid=#                                              Set the myid to be used, if any (1-255)
     --force                                               Force creation of the data/txnlog dirs
" "$ZOOCFG"
  exit 1
}

if ! OPTS=$(getopt -n "$0" -o 'h' -l 'help' -l 'configfile:' -l 'myid:' -l 'force' -- "$@"); then
    usage
fi

# The value of a key in the config, without the spaces around it (zkServer.sh trims them too).
cfg_value() {
    grep "^[[:space:]]*$1[[:space:]]*=" "$ZOOCFG" | tail -n 1 | sed -e 's/^[^=]*=//' \
        -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

initialize() {
    if [ ! -e "$ZOOCFG" ]; then
        echo "Unable to find config file at $ZOOCFG"
        exit 1
    fi

    ZOO_DATADIR="$(cfg_value dataDir)"
    ZOO_DATALOGDIR="$(cfg_value dataLogDir)"

    if [ -z "$ZOO_DATADIR" ]; then
        echo "Unable to determine dataDir from $ZOOCFG"
        exit 1
    fi

    if [ -n "$FORCE" ]; then
        echo "Force enabled, data/txnlog directories will be re-initialized"
    else
        # Real data lives in version-2; the parent may exist, made by the installer with
        # the permissions it wants.
        if [ -d "$ZOO_DATADIR/version-2" ]; then
            echo "ZooKeeper data directory already exists at $ZOO_DATADIR (or use --force to force re-initialization)"
            exit 1
        fi

        if [ -n "$ZOO_DATALOGDIR" ] && [ -d "$ZOO_DATALOGDIR/version-2" ]; then
            echo "ZooKeeper txnlog directory already exists at $ZOO_DATALOGDIR (or use --force to force re-initialization)"
            exit 1
        fi
    fi

    # Only the children are replaced, never the parent, so its owner and mode stay.
    rm -rf "$ZOO_DATADIR/myid" "$ZOO_DATADIR/version-2"
    mkdir -p "$ZOO_DATADIR/version-2" || exit 1

    if [ -n "$ZOO_DATALOGDIR" ]; then
        rm -rf "$ZOO_DATALOGDIR/myid" "$ZOO_DATALOGDIR/version-2"
        mkdir -p "$ZOO_DATALOGDIR/version-2" || exit 1
    fi

    if [ -n "$MYID" ]; then
        echo "Using myid of $MYID"
        echo "$MYID" > "$ZOO_DATADIR/myid"
    else
        echo "No myid provided, be sure to specify it in $ZOO_DATADIR/myid if using non-standalone"
    fi
}

eval set -- "${OPTS}"
while true; do
  case "$1" in
    --configfile)
      ZOOCFG=$2; shift 2
      ;;
    --myid)
      MYID=$2; shift 2
      ;;
    --force)
      FORCE=1; shift 1
      ;;
    -h|--help)
      usage
      ;;
    --)
      initialize
      break
      ;;
    *)
      echo "Unknown option: $1"
      usage
      ;;
  esac
done
