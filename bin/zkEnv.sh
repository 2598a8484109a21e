#!/usr/bin/env bash
# Environment of the zookeeper_py scripts, the twin of Java ZooKeeper's bin/zkEnv.sh.
# Sourced by zkServer.sh, zkCli.sh, zkCleanup.sh and the toolkits.
#
# Where Java's script finds a JVM, this one finds a Python: $ZOO_PYTHON if set, else
# pypy3 if installed (the fastest), else python3. The first run makes a virtual
# environment next to the checkout (.venv for python3, .venv-<name> for another
# interpreter) holding the package (an editable install of this checkout) and its
# dependencies; later runs reuse it.

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

# PyPy's young generation, as a JVM gets -Xmn: PyPy's default nursery is half the L2 cache
# (1 MB on a 1 MB-L2 machine), and under load it collected so often that the p99 of pipelined
# requests doubled (bench/bench_matrix.py). Only PyPy reads it; set your own to replace it.
export PYPY_GC_NURSERY="${PYPY_GC_NURSERY:-32MB}"

# Debian's package keeps its scripts' settings in $ZOOCFGDIR/environment (its zkEnv.sh is a
# link to that file). Where a conf dir has one and no zookeeper-env.sh, its log settings and
# the -D flags its scripts pass (JVMFLAGS, SERVER_JVMFLAGS, CLIENT_JVMFLAGS: security keys go
# there) are taken unless already set; the rest of it (JAVA, CLASSPATH, ZOOMAIN) is about a JVM.
if [ -f "$ZOOCFGDIR/environment" ] && [ ! -f "$ZOOCFGDIR/zookeeper-env.sh" ]; then
    for zk_var in ZOO_LOG_DIR ZOO_LOG4J_PROP JVMFLAGS SERVER_JVMFLAGS CLIENT_JVMFLAGS; do
        if [ -z "${!zk_var}" ]; then
            zk_value="$(. "$ZOOCFGDIR/environment" >/dev/null 2>&1; printf '%s' "${!zk_var}")"
            if [ -n "$zk_value" ]; then
                printf -v "$zk_var" '%s' "$zk_value"
            fi
        fi
    done
    unset zk_var zk_value
fi

if [ -z "${ZOO_LOG_DIR}" ]; then
    ZOO_LOG_DIR="$ZOOKEEPER_PREFIX/logs"
fi

# The log configuration (the log4j.properties of this project): the conf dir's, else the
# packaged one (a conf dir brought from Java has a log4j.properties instead; the server says so).
if [ -z "${ZOO_LOG_CONF}" ]; then
    ZOO_LOG_CONF="$ZOOCFGDIR/logging.yaml"
    if [ ! -f "$ZOO_LOG_CONF" ]; then
        ZOO_LOG_CONF="$ZOOKEEPER_PREFIX/conf/logging.yaml"
    fi
fi

zk_setup_venv() {
    # $1: interpreter; sets PYTHON on success.
    local want="$1"
    command -v "$want" >/dev/null 2>&1 || return 1
    local venv="$ZOOKEEPER_PREFIX/.venv"
    if [ "$want" != "python3" ]; then
        venv="$ZOOKEEPER_PREFIX/.venv-$(basename "$want")"
    fi
    # The package itself, installed editable from this checkout: pip takes its dependencies
    # from setup.cfg (no second list here), and the venv gets the zk-* console scripts too.
    # The stamp is the checksum of setup.cfg's install_requires, so a changed list reinstalls.
    local deps
    deps="$(awk '/^install_requires/ {on = 1; print; next} on && /^[^ \t#]/ {on = 0} on' \
        "$ZOOKEEPER_PREFIX/setup.cfg" | cksum)"
    local stamp="$venv/.zookeeper_py-deps"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$deps" ]; then
        echo "Setting up $venv for $want (first run only) ..." 1>&2
        # --prefer-binary: the newest cryptography may have no wheel for this interpreter
        # (PyPy 3.9); pip would then build it from source, which needs Rust and fails.
        "$want" -m venv "$venv" 1>&2 \
            && "$venv/bin/python" -m pip install -q --prefer-binary -e "$ZOOKEEPER_PREFIX" 1>&2 || {
            echo "Could not set up $venv with $want" 1>&2
            return 1
        }
        echo "$deps" > "$stamp"
    fi
    # Optional: gssapi (Kerberos, a Krb5LoginModule JAAS section). It has no wheels and builds
    # against MIT Kerberos, so it is tried once where krb5-config (libkrb5-dev) is installed;
    # without it the server refuses a Kerberos section at startup, saying what to install.
    local optional="gssapi>=1.8"
    local optional_stamp="$venv/.zookeeper_py-optional"
    if command -v krb5-config >/dev/null 2>&1 && [ "$(cat "$optional_stamp" 2>/dev/null)" != "$optional" ]; then
        "$venv/bin/python" -m pip install -q --prefer-binary "$optional" >/dev/null 2>&1 \
            || echo "Note: could not build $optional in $venv (Kerberos SASL needs it)" 1>&2
        echo "$optional" > "$optional_stamp"
    fi
    ZOO_VENV="$venv"
    PYTHON="$venv/bin/python"
}

zk_find_python() {
    # ZOO_PYTHON wins; else PyPy when installed (it runs the server several times faster),
    # else python3.
    if [ -n "$ZOO_PYTHON" ]; then
        zk_setup_venv "$ZOO_PYTHON" || {
            echo "Error: could not use ZOO_PYTHON=$ZOO_PYTHON (a Python 3.9+ with venv and pip)." 1>&2
            exit 1
        }
        return
    fi
    zk_setup_venv pypy3 || zk_setup_venv python3 || {
        echo "Error: no usable python3 found; install Python 3.9+ with venv, or set ZOO_PYTHON." 1>&2
        exit 1
    }
}

if [ -z "$PYTHON" ]; then
    zk_find_python
fi

export PYTHONPATH="$ZOOKEEPER_PREFIX${PYTHONPATH:+:$PYTHONPATH}"
export ZOOCFGDIR ZOO_LOG_DIR ZOO_LOG_CONF

# The value of a config line as the server reads it: what follows the "=", without the blanks
# around it or a CR (a file written on Windows). $1: a grep pattern for the line, $2: the file.
config_value() {
    grep "$1" "$2" 2>/dev/null | sed -e 's/.*=//' -e 's/\r$//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}
