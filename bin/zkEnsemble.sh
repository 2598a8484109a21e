#!/usr/bin/env bash
# A local replicated ensemble in one command, for learning and trying things out.
#
#   zkEnsemble.sh start [N] [--dir DIR] [--base-port P]    start N members (default 3)
#   zkEnsemble.sh status    [--dir DIR]                    each member's mode
#   zkEnsemble.sh stop      [--dir DIR]                    stop every member
#
# Everything lives under DIR (default ./ensemble): DIR/zk<i>/conf/zoo.cfg,
# DIR/zk<i>/data (myid, snapshots, logs, pid file) and DIR/zk<i>/logs (the .out file).
# Each member is a real bin/zkServer.sh-managed process with ZOOCFGDIR=DIR/zk<i>/conf,
# so `ZOOCFGDIR=DIR/zk2/conf bin/zkServer.sh stop` stops one member and `... start`
# brings it back. Member i listens on 127.0.0.1 only:
#
#   client P+i-1 (2181, 2182, ...), quorum P+706+i (2888, ...), election P+1706+i
#   (3888, ...), AdminServer P+5898+i (8080, ...)           with the default P=2181
#
# `start` on an existing DIR keeps its configs and data and starts the members not running.

ZOOBIN="${BASH_SOURCE-$0}"
ZOOBIN="$(dirname "${ZOOBIN}")"
ZOOBINDIR="$(cd "${ZOOBIN}"; pwd)"

usage() {
    echo "Usage: $0 {start [N]|status|stop} [--dir DIR] [--base-port P]" >&2
    exit 2
}

CMD="$1"
[ -n "$CMD" ] || usage
shift
COUNT=""
DIR="./ensemble"
BASE_PORT=2181
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) [ $# -ge 2 ] || usage; DIR="$2"; shift 2 ;;
        --dir=*) DIR="${1#--dir=}"; shift ;;
        --base-port) [ $# -ge 2 ] || usage; BASE_PORT="$2"; shift 2 ;;
        --base-port=*) BASE_PORT="${1#--base-port=}"; shift ;;
        [0-9]*) COUNT="$1"; shift ;;
        *) usage ;;
    esac
done
if ! [[ "$BASE_PORT" =~ ^[0-9]+$ ]]; then
    echo "$0: --base-port must be a number, not '$BASE_PORT'" >&2
    exit 2
fi
if [ -n "$COUNT" ] && ! [[ "$COUNT" =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: N must be a number of members (1 or more), not '$COUNT'" >&2
    exit 2
fi

# Find the Python once (zkEnv.sh may set up a virtual environment the first time), and
# hand it to every member's zkServer.sh. A function, so zkEnv.sh sees no arguments.
load_env() {
    . "$ZOOBINDIR"/zkEnv.sh
}

# The member directories already made, in id order.
members() {
    local d
    for d in "$DIR"/zk[0-9]*; do
        [ -f "$d/conf/zoo.cfg" ] && echo "$d"
    done | sort -V
}

# Run zkServer.sh for one member: its own conf dir and log dir, and none of the caller's
# ZOOCFG/ZOOPIDFILE, which would make every member use the same file.
member_zkserver() {
    local d="$1"
    shift
    env -u ZOOCFG -u ZOOPIDFILE ZOOCFGDIR="$d/conf" ZOO_LOG_DIR="$d/logs" PYTHON="$PYTHON" \
        bash "$ZOOBINDIR/zkServer.sh" "$@"
}

write_member() {
    # $1: id; $2: count
    local i="$1" n="$2" j d
    d="$DIR/zk$i"
    mkdir -p "$d/conf" "$d/data" "$d/logs"
    echo "$i" > "$d/data/myid"
    {
        echo "# Member $i of a local $n-member ensemble made by bin/zkEnsemble.sh."
        echo "tickTime=2000"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$d/data"
        echo "clientPort=$((BASE_PORT + i - 1))"
        echo "clientPortAddress=127.0.0.1"
        echo "admin.serverAddress=127.0.0.1"
        echo "admin.serverPort=$((BASE_PORT + 5898 + i))"
        echo "4lw.commands.whitelist=srvr,stat,ruok,conf,mntr,isro"
        for j in $(seq 1 "$n"); do
            echo "server.$j=127.0.0.1:$((BASE_PORT + 706 + j)):$((BASE_PORT + 1706 + j))"
        done
    } > "$d/conf/zoo.cfg"
}

case "$CMD" in
start)
    load_env
    if [ -z "$(members)" ]; then
        COUNT="${COUNT:-3}"
        mkdir -p "$DIR" || exit 1
        DIR="$(cd "$DIR" && pwd)"
        for i in $(seq 1 "$COUNT"); do
            write_member "$i" "$COUNT"
        done
        echo "Made a $COUNT-member ensemble in $DIR (client ports $BASE_PORT-$((BASE_PORT + COUNT - 1)))"
    else
        DIR="$(cd "$DIR" && pwd)"
        have=$(members | wc -l)
        if [ -n "$COUNT" ] && [ "$COUNT" != "$have" ]; then
            echo "$0: $DIR already holds a $have-member ensemble; stop it and remove the directory to make a $COUNT-member one" >&2
            exit 1
        fi
        echo "Using the $have-member ensemble in $DIR"
    fi
    rc=0
    for d in $(members); do
        printf '%s: ' "$(basename "$d")"
        out=$(member_zkserver "$d" start 2>/dev/null)
        echo "${out:-FAILED}"
        case "$out" in
            *STARTED*|*"already running"*) ;;
            *) rc=1 ;;
        esac
    done
    echo "Members elect a leader within seconds: $0 status --dir $DIR"
    exit $rc
    ;;
status)
    [ -n "$(members)" ] || { echo "No ensemble in $DIR"; exit 1; }
    load_env
    rc=0
    for d in $(members); do
        port=$(grep '^clientPort=' "$d/conf/zoo.cfg" | sed -e 's/.*=//')
        mode=$(member_zkserver "$d" status 2>/dev/null | grep '^Mode: ')
        if [ -z "$mode" ]; then
            mode="not serving"
            rc=1
        fi
        echo "$(basename "$d") 127.0.0.1:$port $mode"
    done
    exit $rc
    ;;
stop)
    [ -n "$(members)" ] || { echo "No ensemble in $DIR"; exit 0; }
    load_env
    for d in $(members); do
        printf '%s: ' "$(basename "$d")"
        member_zkserver "$d" stop 2>/dev/null
    done
    exit 0
    ;;
*)
    usage
    ;;
esac
