#!/usr/bin/env bash
# Environment of the zookeeper_py scripts, the twin of Java ZooKeeper's bin/zkEnv.sh.
# Sourced by zkServer.sh, zkCli.sh, zkCleanup.sh and the toolkits.
#
# Where Java's script finds a JVM, this one finds a Python: $ZOO_PYTHON if set (for
# example ZOO_PYTHON=pypy3), else python3. The first run makes a virtual environment
# next to the checkout (.venv, or .venv-<interpreter> for another one) holding the
# package's dependencies, and later runs reuse it.

ZOOBINDIR="${ZOOBINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
ZOOKEEPER_PREFIX="$(cd "${ZOOBINDIR}/.." && pwd)"

if [ $# -gt 1 ] && [ "--config" = "$1" ]; then
    shift
    ZOOCFGDIR=$1
    shift
fi

if [ -z "$ZOOCFGDIR" ]; then
    ZOOCFGDIR="$ZOOKEEPER_PREFIX/conf"
fi

if [ -f "${ZOOCFGDIR}/zookeeper-env.sh" ]; then
    . "${ZOOCFGDIR}/zookeeper-env.sh"
fi

if [ -z "$ZOOCFG" ]; then
    ZOOCFG="zoo.cfg"
fi
ZOOCFG="$ZOOCFGDIR/$ZOOCFG"

if [ -f "$ZOOCFGDIR/python.env" ]; then
    . "$ZOOCFGDIR/python.env"
fi

if [ -z "${ZOO_LOG_DIR}" ]; then
    ZOO_LOG_DIR="$ZOOKEEPER_PREFIX/logs"
fi

# The log configuration (the log4j.properties of this project).
if [ -z "${ZOO_LOG_CONF}" ]; then
    ZOO_LOG_CONF="$ZOOCFGDIR/logging.yaml"
fi

zk_find_python() {
    local want="${ZOO_PYTHON:-python3}"
    if ! command -v "$want" >/dev/null 2>&1; then
        echo "Error: $want not found; set ZOO_PYTHON to a Python 3.9+ interpreter." 1>&2
        exit 1
    fi
    local venv="$ZOOKEEPER_PREFIX/.venv"
    if [ -n "$ZOO_PYTHON" ] && [ "$ZOO_PYTHON" != "python3" ]; then
        venv="$ZOOKEEPER_PREFIX/.venv-$(basename "$want")"
    fi
    ZOO_VENV="${ZOO_VENV:-$venv}"
    local deps="click>=7 prompt_toolkit>=3 pyyaml>=5"
    local stamp="$ZOO_VENV/.zookeeper_py-deps"
    if [ ! -x "$ZOO_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$deps" ]; then
        echo "Setting up $ZOO_VENV for $want (first run only) ..." 1>&2
        "$want" -m venv "$ZOO_VENV" 1>&2 || {
            echo "Error: could not create a virtual environment with $want -m venv" 1>&2; exit 1; }
        # shellcheck disable=SC2086
        "$ZOO_VENV/bin/python" -m pip install -q $deps 1>&2 || {
            echo "Error: could not install $deps into $ZOO_VENV" 1>&2; exit 1; }
        echo "$deps" > "$stamp"
    fi
    PYTHON="$ZOO_VENV/bin/python"
}

if [ -z "$PYTHON" ]; then
    zk_find_python
fi

export PYTHONPATH="$ZOOKEEPER_PREFIX${PYTHONPATH:+:$PYTHONPATH}"
export ZOOCFGDIR ZOO_LOG_DIR ZOO_LOG_CONF
