"""Java system properties for a Python process: System.getProperty and friends.

Java ZooKeeper reads much of its configuration from system properties
(`-Dzookeeper.snapCount=...`, and zoo.cfg keys it does not know become
`zookeeper.<key>`). This module is that table for zookeeper_py. It is filled from
`-Dname=value` arguments, from the SERVER_JVMFLAGS / CLIENT_JVMFLAGS / JVMFLAGS
environment variables (so tools that launch Java ZooKeeper can launch this one), and
by QuorumPeerConfig. Other JVM flags (-Xmx..., -XX:...) are accepted and ignored.
"""

import os
import shlex
import threading

from zookeeper_py.jute.record import DEFAULT_MAX_BUFFER, set_max_buffer

_lock = threading.Lock()
_properties = {}


def get_property(name, default=None):
    """System.getProperty(name, default)."""
    return _properties.get(name, default)


# The length limit of jute's strings, buffers and vectors. Java's BinaryInputArchive reads
# these once, when it loads; here they take effect when set (the -D flags come before any record).
_JUTE_LIMIT_KEYS = ("jute.maxbuffer", "zookeeper.jute.maxbuffer.extrasize")


def set_property(name, value):
    """System.setProperty(name, value)."""
    with _lock:
        _properties[name] = str(value)
    if name in _JUTE_LIMIT_KEYS:
        _apply_jute_limit()


def _apply_jute_limit():
    max_buffer = get_integer("jute.maxbuffer", DEFAULT_MAX_BUFFER)
    set_max_buffer(max_buffer, get_integer("zookeeper.jute.maxbuffer.extrasize", max_buffer))


def clear_property(name):
    with _lock:
        _properties.pop(name, None)
    if name in _JUTE_LIMIT_KEYS:
        _apply_jute_limit()


def get_integer(name, default=None):
    """Integer.getInteger: the property as an int, or default if unset or not a number."""
    value = _properties.get(name)
    if value is None:
        return default
    try:
        return int(value.strip(), 0) if value.strip().lower().startswith(("0x", "-0x")) else int(value.strip())
    except ValueError:
        return default


get_long = get_integer


def get_boolean(name, default=False):
    """Boolean.getBoolean (true only for "true", any case); `default` when unset."""
    value = _properties.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"


def parse_true_or_false(value):
    """True or False for "true" or "false" (any case, blanks around ignored), None for any
    other value. Java's Boolean.parseBoolean reads a typo as false; the switches where that
    would quietly weaken the server use this instead and report None in their own words."""
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def get_true_or_false(name, default):
    """One of our own boolean properties: `default` ("true" or "false") when unset. Unlike
    get_boolean (Java's Boolean.getBoolean), a value other than true or false is an error,
    ValueError naming the property."""
    raw = _properties.get(name, default)
    value = parse_true_or_false(raw)
    if value is None:
        raise ValueError("%s=%s: not true or false" % (name, raw))
    return value


def get_count(name, default):
    """One of our own counts: a whole number >= 0, `default` when unset. Unlike get_integer
    (Java's Integer.getInteger), another value is an error, ValueError naming the property,
    since it would quietly mean the default."""
    raw = _properties.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError("%s=%s: not a whole number (0 or more)" % (name, raw))
    return value


def snapshot():
    with _lock:
        return dict(_properties)


def parse_jvm_flags(flags):
    """Apply every -Dname=value in an argument list; return the other arguments."""
    rest = []
    for arg in flags:
        if arg.startswith("-D") and len(arg) > 2:
            name, _, value = arg[2:].partition("=")
            set_property(name, value)
        elif arg.startswith(("-X", "-server", "-client", "-ea", "-da", "-verbose", "-javaagent")):
            continue  # JVM tuning has no meaning here
        else:
            rest.append(arg)
    return rest


def load_from_environment(variables=("JVMFLAGS", "SERVER_JVMFLAGS")):
    """Apply -D flags from the environment variables Java's scripts pass to the JVM."""
    for var in variables:
        value = os.environ.get(var)
        if value:
            parse_jvm_flags(shlex.split(value))


def split_args(argv, env_variables=("JVMFLAGS", "SERVER_JVMFLAGS")):
    """Load -D flags from the environment, then from argv; return the remaining arguments."""
    load_from_environment(env_variables)
    return parse_jvm_flags(list(argv))
