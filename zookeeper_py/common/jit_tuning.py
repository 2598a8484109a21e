"""PyPy's JIT, set to compile a server's code paths sooner (as JIT flags are given to a JVM).

PyPy compiles a loop after 1039 runs, a function after 1619 calls, and a bridge (the
code for a path a compiled trace did not take) after its guard failed 200 times. A
server has many such paths (a connect, a session's create and close, each request type
on a leader and on a follower) and each ran interpreted until it reached those counts:
a 3-member ensemble on PyPy took about 15 s of connect load before its connects got to
full speed. With the lower thresholds below the same rows ran 10-30% faster in
bench_matrix's 8-second rows (3-node set, set-w1, connect), and standalone rows
were as fast or faster.

They are set when the server first serves (ZooKeeperServer.startup), not at once: with
them, start-up itself (imports, config, binding) compiled code it runs only once, and a
start to `ruok` took 0.46 s instead of 0.37 s.

`-Dzookeeper.pypy.jit=<PyPy --jit parameters>` replaces them, e.g. `default` (PyPy's own)
or `off`; a value PyPy refuses stops the server at start as a bad config line does.
Nothing is done on CPython.
"""

import logging
import sys

from zookeeper_py.common import system_properties
from zookeeper_py.server.quorum.quorum_server import ConfigException

LOG = logging.getLogger("JitTuning")

JIT_PARAMS_PROPERTY = "zookeeper.pypy.jit"
SERVER_JIT_PARAMS = "threshold=100,function_threshold=150,trace_eagerness=20"


_params_when_serving = None


def tune_jit():
    """Check the server's JIT parameters (a bad value is a ConfigException); they are set by
    server_serving(). The parameters, or None on CPython."""
    global _params_when_serving
    if sys.implementation.name != "pypy":
        if system_properties.get_property(JIT_PARAMS_PROPERTY) is not None:
            LOG.warning("%s is ignored: this server runs on %s, not PyPy", JIT_PARAMS_PROPERTY, sys.implementation.name)
        return None
    import pypyjit  # optional: PyPy only

    params = system_properties.get_property(JIT_PARAMS_PROPERTY, SERVER_JIT_PARAMS).strip()
    try:
        pypyjit.set_param(params)  # PyPy checks a value only by setting it
    except (ValueError, SystemError):  # SystemError: a trace_limit over PyPy's maximum
        raise ConfigException("%s=%s: not PyPy JIT parameters (as pypy3 --jit takes them, e.g. %s, "
                              "or default, or off)" % (JIT_PARAMS_PROPERTY, params, SERVER_JIT_PARAMS)) from None
    pypyjit.set_param("default")
    _params_when_serving = params
    return params


def server_serving():
    """The server serves: set the parameters tune_jit() checked (once; nothing if it was not called)."""
    global _params_when_serving
    params, _params_when_serving = _params_when_serving, None
    if params is None:
        return
    import pypyjit  # optional: PyPy only (tune_jit() sets params only there)

    pypyjit.set_param(params)
    LOG.info("PyPy JIT parameters: %s", params)
