#!/usr/bin/env bash
# Entrypoint of the zookeeper_py Docker image, with the conventions of the official
# `zookeeper` image (its docker-entrypoint.sh):
#
#   - started as root with zkServer.sh as the command, it gives the volumes to the user
#     zookeeper and runs itself again as that user (gosu), so the server never runs as root;
#   - $ZOO_CONF_DIR/zoo.cfg is generated from the ZOO_* variables only when it does not
#     exist (mount your own /conf/zoo.cfg to take over);
#   - $ZOO_DATA_DIR/myid is written from ZOO_MY_ID (default 1) only when it does not exist;
#   - then it execs the command ("$@"): `zkServer.sh start-foreground` in the image, or
#     `true` to only write the config.
#
# The defaults below are the image's (the Dockerfile sets the same), so the script also
# runs outside a container: point ZOO_CONF_DIR, ZOO_DATA_DIR, ZOO_DATA_LOG_DIR and
# ZOO_LOG_DIR somewhere writable.

set -e
# The word lists below (ZOO_SERVERS, ZOO_CFG_EXTRA) are split on spaces, never globbed:
# "4lw.commands.whitelist=*" stays as written.
set -f

: "${ZOO_CONF_DIR:=/conf}"
: "${ZOO_DATA_DIR:=/data}"
: "${ZOO_DATA_LOG_DIR:=/datalog}"
: "${ZOO_LOG_DIR:=/logs}"
: "${ZOO_TICK_TIME:=2000}"
: "${ZOO_INIT_LIMIT:=5}"
: "${ZOO_SYNC_LIMIT:=2}"
: "${ZOO_AUTOPURGE_PURGEINTERVAL:=0}"
: "${ZOO_AUTOPURGE_SNAPRETAINCOUNT:=3}"
: "${ZOO_MAX_CLIENT_CNXNS:=60}"
: "${ZOO_STANDALONE_ENABLED:=true}"
: "${ZOO_ADMINSERVER_ENABLED:=true}"
export ZOO_CONF_DIR ZOO_DATA_DIR ZOO_DATA_LOG_DIR ZOO_LOG_DIR
# zkServer.sh reads its config from ZOOCFGDIR.
export ZOOCFGDIR="$ZOO_CONF_DIR"

# Allow the container to be started with `--user`; as root, drop to zookeeper (in the
# image; outside it, where there is no gosu, the script runs on as whoever started it).
if [[ "$1" = zkServer.sh || "$1" = */zkServer.sh ]] && [ "$(id -u)" = 0 ] \
        && id -u zookeeper > /dev/null 2>&1 && command -v gosu > /dev/null 2>&1; then
    mkdir -p "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"
    chown -R zookeeper:zookeeper "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"
    exec gosu zookeeper "$0" "$@"
fi

mkdir -p "$ZOO_CONF_DIR" "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR" "$ZOO_LOG_DIR"

# Generate the config only if it does not exist.
CONFIG="$ZOO_CONF_DIR/zoo.cfg"
if [[ ! -f "$CONFIG" ]]; then
    # Written aside and moved in place, so a failure never leaves a half config that the
    # next start would take as the user's own.
    {
        echo "dataDir=$ZOO_DATA_DIR"
        echo "dataLogDir=$ZOO_DATA_LOG_DIR"

        echo "tickTime=$ZOO_TICK_TIME"
        echo "initLimit=$ZOO_INIT_LIMIT"
        echo "syncLimit=$ZOO_SYNC_LIMIT"

        echo "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT"
        echo "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL"
        echo "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS"
        echo "standaloneEnabled=$ZOO_STANDALONE_ENABLED"
        echo "admin.enableServer=$ZOO_ADMINSERVER_ENABLED"

        # One entry per word: "server.1=zoo1:2888:3888;2181 server.2=zoo2:2888:3888;2181 ...".
        for server in ${ZOO_SERVERS:-server.1=localhost:2888:3888;2181}; do
            echo "$server"
        done

        if [[ -n $ZOO_4LW_COMMANDS_WHITELIST ]]; then
            echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST"
        fi

        # TLS on the client port, as the official 3.5 images offer it.
        if [[ -n $ZOO_SECURE_CLIENT_PORT ]]; then
            echo "secureClientPort=$ZOO_SECURE_CLIENT_PORT"
            if [[ -n $ZOO_SERVER_CNXN_FACTORY ]]; then
                echo "serverCnxnFactory=$ZOO_SERVER_CNXN_FACTORY"
            fi
            echo "ssl.keyStore.location=$ZOO_SSL_KEYSTORE_LOCATION"
            echo "ssl.keyStore.password=$ZOO_SSL_KEYSTORE_PASSWORD"
            echo "ssl.trustStore.location=$ZOO_SSL_TRUSTSTORE_LOCATION"
            echo "ssl.trustStore.password=$ZOO_SSL_TRUSTSTORE_PASSWORD"
        fi
        if [[ -n $ZOO_CLIENT_PORT_UNIFICATION ]]; then
            echo "client.portUnification=$ZOO_CLIENT_PORT_UNIFICATION"
        fi

        # Any other key: "key=value key2=value2 ...".
        for cfg_extra_entry in $ZOO_CFG_EXTRA; do
            echo "$cfg_extra_entry"
        done
    } > "$CONFIG.tmp.$$"
    mv "$CONFIG.tmp.$$" "$CONFIG"
fi

# Write myid only if it does not exist.
if [[ ! -f "$ZOO_DATA_DIR/myid" ]]; then
    echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"
fi

exec "$@"
