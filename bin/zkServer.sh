#!/usr/bin/env bash
# Start, stop and query a zookeeper_py server: the twin of Java ZooKeeper's bin/zkServer.sh.
#
#   zkServer.sh [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd} [cfgfile]
#
# The config is $ZOOCFGDIR/zoo.cfg (conf/zoo.cfg) unless named. Java system properties
# go in SERVER_JVMFLAGS or JVMFLAGS as -Dname=value (other JVM flags are ignored).
# ZOO_PYTHON picks the interpreter (e.g. ZOO_PYTHON=pypy3).

ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"

. "$ZOOBINDIR"/zkEnv.sh

ZOOMAIN="zookeeper_py.server.quorum.quorum_peer_main"

if [ "x$SERVER_JVMFLAGS" != "x" ]; then
    JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"
fi
# The flags reach the server as arguments; keep it from reading them a second time.
unset SERVER_JVMFLAGS

if [ "x$2" != "x" ]; then
    ZOOCFG="$ZOOCFGDIR/$2"
fi
# If a path was given for the config, use it as given.
if [ "x$(dirname "$ZOOCFG")" != "x$ZOOCFGDIR" ]; then
    ZOOCFG="$2"
fi

echo "Using config: $ZOOCFG" >&2

GREP=grep
ZOO_DATADIR="$(config_value "^[[:space:]]*dataDir[[:space:]]*=" "$ZOOCFG")"
ZOO_DATALOGDIR="$(config_value "^[[:space:]]*dataLogDir[[:space:]]*=" "$ZOOCFG")"

if [ -n "$ZOO_DATADIR_AUTOCREATE_DISABLE" ]; then
    if [ ! -d "$ZOO_DATADIR/version-2" ]; then
        echo "ZooKeeper data directory is missing at $ZOO_DATADIR fix the path or run initialize"
        exit 1
    fi
    if [ -n "$ZOO_DATALOGDIR" ] && [ ! -d "$ZOO_DATALOGDIR/version-2" ]; then
        echo "ZooKeeper txnlog directory is missing at $ZOO_DATALOGDIR fix the path or run initialize"
        exit 1
    fi
    ZOO_DATADIR_AUTOCREATE="-Dzookeeper.datadir.autocreate=false"
fi

if [ -z "$ZOOPIDFILE" ]; then
    if [ -n "$ZOO_DATADIR" ] && [ ! -d "$ZOO_DATADIR" ]; then
        mkdir -p "$ZOO_DATADIR"
    fi
    ZOOPIDFILE="$ZOO_DATADIR/zookeeper_server.pid"
else
    # ensure it exists, otw stop will fail
    mkdir -p "$(dirname "$ZOOPIDFILE")"
fi

if [ ! -w "$ZOO_LOG_DIR" ]; then
    mkdir -p "$ZOO_LOG_DIR"
fi

ZOO_LOG4J_PROP="${ZOO_LOG4J_PROP:-INFO,CONSOLE}"
ZOO_USER="${USER:-$(id -un 2>/dev/null)}"
ZOO_HOST="${HOSTNAME:-$(hostname 2>/dev/null)}"
ZOO_LOG_FILE=zookeeper-$ZOO_USER-server-$ZOO_HOST.log
_ZOO_DAEMON_OUT="$ZOO_LOG_DIR/zookeeper-$ZOO_USER-server-$ZOO_HOST.out"

# An array, so a log directory with a space in it stays one argument; ZOO_DATADIR_AUTOCREATE and
# JVMFLAGS are lists of flags, split on spaces as Java's script splits them.
# shellcheck disable=SC2206
SERVER_ARGS=($ZOO_DATADIR_AUTOCREATE "-Dzookeeper.log.dir=${ZOO_LOG_DIR}" "-Dzookeeper.log.file=${ZOO_LOG_FILE}"
    "-Dzookeeper.root.logger=${ZOO_LOG4J_PROP}" $JVMFLAGS)

# Every client connection is a file descriptor, and the usual soft limit of 1024 is too few
# for a busy server: raise it to the hard limit (or ZOO_MAX_OPEN_FILES) where allowed, as the
# service files of ZooKeeper's packages do. Nothing changes where it is not allowed.
raise_open_file_limit() {
    local want="${ZOO_MAX_OPEN_FILES:-$(ulimit -Hn)}"
    if [ "$want" = "unlimited" ]; then
        want=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
    fi
    if [ "$(ulimit -n)" != "$want" ]; then
        ulimit -n "$want" 2>/dev/null || echo "zkServer.sh: open-file limit stays at $(ulimit -n) (could not set $want)" >&2
    fi
}

case $1 in
start)
    raise_open_file_limit
    echo -n "Starting zookeeper ... "
    if [ -f "$ZOOPIDFILE" ]; then
        if kill -0 "$(cat "$ZOOPIDFILE")" > /dev/null 2>&1; then
            echo already running as process "$(cat "$ZOOPIDFILE")".
            exit 1
        fi
    fi
    nohup "$PYTHON" -m $ZOOMAIN "${SERVER_ARGS[@]}" "$ZOOCFG" > "$_ZOO_DAEMON_OUT" 2>&1 < /dev/null &
    if [ $? -eq 0 ]; then
        if /bin/echo -n $! > "$ZOOPIDFILE"; then
            sleep 1
            pid=$(cat "${ZOOPIDFILE}")
            if ps -p "${pid}" > /dev/null 2>&1; then
                echo STARTED
            else
                echo FAILED TO START
                exit 1
            fi
        else
            echo FAILED TO WRITE PID
            exit 1
        fi
    else
        echo SERVER DID NOT START
        exit 1
    fi
    ;;
start-foreground)
    raise_open_file_limit
    ZOO_CMD=(exec "$PYTHON")
    if [ "${ZOO_NOEXEC}" != "" ]; then
        ZOO_CMD=("$PYTHON")
    fi
    "${ZOO_CMD[@]}" -m $ZOOMAIN "${SERVER_ARGS[@]}" "$ZOOCFG"
    ;;
print-cmd)
    # An argument with a blank in it is quoted, so the line can be run as printed.
    printed=()
    for arg in "${SERVER_ARGS[@]}"; do
        if [[ "$arg" =~ [[:space:]] ]]; then printed+=("\"$arg\""); else printed+=("$arg"); fi
    done
    echo "PYPY_GC_NURSERY=$PYPY_GC_NURSERY \"$PYTHON\" -m $ZOOMAIN ${printed[*]} \"$ZOOCFG\" > \"$_ZOO_DAEMON_OUT\" 2>&1 < /dev/null"
    ;;
stop)
    echo -n "Stopping zookeeper ... "
    if [ ! -f "$ZOOPIDFILE" ]; then
        echo "no zookeeper to stop (could not find file $ZOOPIDFILE)"
    else
        pid=$(cat "$ZOOPIDFILE")
        kill "$pid"
        rm "$ZOOPIDFILE"
        # Java's script sleeps 1 s; wait for the process to be gone (at most 30 s) so a
        # restart finds the port free.
        for _ in $(seq 1 300); do
            kill -0 "$pid" > /dev/null 2>&1 || break
            sleep 0.1
        done
        echo STOPPED
    fi
    exit 0
    ;;
version)
    "$PYTHON" -c 'from zookeeper_py.version import Version; print("Apache ZooKeeper, version " + Version.get_full_version())'
    ;;
restart)
    shift
    "$0" stop "${@}"
    sleep 3
    "$0" start "${@}"
    ;;
status)
    # As 3.8's script: clientPort, else this member's client address in server.N (static, then
    # dynamic config), else secureClientPort, asked over TLS with the zookeeper.ssl.* keys of
    # CLIENT_JVMFLAGS.
    isSSL="false"
    clientPortAddress=$(config_value "^[[:space:]]*clientPortAddress[^[:alpha:]]" "$ZOOCFG")
    if ! [ "$clientPortAddress" ]; then
        clientPortAddress="localhost"
    fi
    clientPort=$(config_value "^[[:space:]]*clientPort[^[:alpha:]]" "$ZOOCFG")
    if ! [[ "$clientPort" =~ ^[0-9]+$ ]]; then
        clientPort=""
        dataDir=$(config_value "^[[:space:]]*dataDir[[:space:]]*=" "$ZOOCFG")
        myid=$(cat "$dataDir/myid" 2>/dev/null)
        if ! [[ "$myid" =~ ^[0-9]+$ ]]; then
            echo "myid could not be determined, will not able to locate clientPort in the server configs."
        else
            clientPortAndAddress=$(config_value "^[[:space:]]*server.$myid[[:space:]]*=.*;.*" "$ZOOCFG" \
                | sed -e 's/.*;//' -e 's/[[:space:]]//g')
            if [ ! "$clientPortAndAddress" ]; then
                echo "Client port not found in static config file. Looking in dynamic config file."
                dynamicConfigFile=$(config_value "^[[:space:]]*dynamicConfigFile[[:space:]]*=" "$ZOOCFG")
                clientPortAndAddress=$(config_value "^[[:space:]]*server.$myid[[:space:]]*=.*;.*" "$dynamicConfigFile" \
                    | sed -e 's/.*;//' -e 's/[[:space:]]//g')
            fi
            if [ ! "$clientPortAndAddress" ]; then
                echo "Client port not found in the server configs"
            else
                if [[ "$clientPortAndAddress" =~ ^\[.*\]:[0-9]+ ]]; then
                    clientPortAddress=$(echo "$clientPortAndAddress" | sed -e 's|^\[||' -e 's|\]:.*||')
                elif [[ "$clientPortAndAddress" =~ ^.*:[0-9]+ ]]; then
                    clientPortAddress=$(echo "$clientPortAndAddress" | sed -e 's/:.*//')
                fi
                clientPort=$(echo "$clientPortAndAddress" | sed -e 's/.*://')
            fi
        fi
    fi
    if [ ! "$clientPort" ]; then
        echo "Client port not found. Looking for secureClientPort in the static config."
        secureClientPort=$(config_value "^[[:space:]]*secureClientPort[^[:alpha:]]" "$ZOOCFG")
        if [ ! "$secureClientPort" ]; then
            echo "Unable to find either secure or unsecure client port in any configs. Terminating."
            exit 1
        fi
        isSSL="true"
        clientPort=$secureClientPort
        clientPortAddress=$(config_value "^[[:space:]]*secureClientPortAddress[^[:alpha:]]" "$ZOOCFG")
        if ! [ "$clientPortAddress" ]; then
            clientPortAddress="localhost"
        fi
    fi
    echo "Client port found: $clientPort. Client address: $clientPortAddress. Client SSL: $isSSL."
    # shellcheck disable=SC2086
    STAT=$("$PYTHON" -m zookeeper_py.client.four_letter_word_main $CLIENT_JVMFLAGS $JVMFLAGS \
        "$clientPortAddress" "$clientPort" srvr "$isSSL" 2> /dev/null | $GREP Mode)
    if [ "x$STAT" = "x" ]; then
        if [ "$isSSL" = "true" ]; then
            echo " "
            echo "Note: secureClientPort ($secureClientPort) was used and the connection failed. 'status' connects"
            echo "  as a client; give it the client's TLS settings in CLIENT_JVMFLAGS, e.g."
            echo "  CLIENT_JVMFLAGS=\"-Dzookeeper.client.secure=true -Dzookeeper.ssl.trustStore.location=/tmp/truststore.jks"
            echo "  -Dzookeeper.ssl.trustStore.password=password -Dzookeeper.ssl.keyStore.location=/tmp/client.jks"
            echo "  -Dzookeeper.ssl.keyStore.password=password\" $0 status"
            echo " "
        fi
        echo "Error contacting service. It is probably not running."
        exit 1
    else
        echo "$STAT"
        exit 0
    fi
    ;;
*)
    echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|version|restart|status|print-cmd}" >&2
esac
