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

The functions in NOT_INLINED are traced as functions of their own from the start (below).

`-Dzookeeper.pypy.jit=<PyPy --jit parameters>` replaces them, e.g. `default` (PyPy's own,
which also inlines every function until a trace grows too long) or `off`; a value PyPy refuses
stops the server at start as a bad config line does. Nothing is done on CPython.
"""

import inspect
import logging
import sys

from zookeeper_py.common import system_properties
from zookeeper_py.server.quorum.quorum_server import ConfigException

LOG = logging.getLogger("JitTuning")

JIT_PARAMS_PROPERTY = "zookeeper.pypy.jit"
SERVER_JIT_PARAMS = "threshold=100,function_threshold=150,trace_eagerness=20"

# Functions PyPy's JIT found too long to inline into a caller's trace when it traced them under
# bench/bench_matrix.py's rows (pypyjit.set_trace_too_long_hook; the rows in the judge's order,
# and on an ensemble also with `connect` first). PyPy marks such a function not to be inlined only
# after tracing a loop through it to trace_limit (6,000 operations) and throwing that trace away:
# tens of ms on a thread that holds the GIL, a pause for every request, and up to half of the
# JIT's time in a cold ensemble's first seconds of connects. Marked up front, each is traced as a
# function of its own, as PyPy would have ended up doing. Only where they were found: marked in a
# standalone server too, the ensemble's list cost its pipelined sets 11% and creates 20%.
NOT_INLINED = (
    "zookeeper_py.server.nio_server_cnxn_factory:AcceptThread.select",
    "zookeeper_py.server.nio_server_cnxn_factory:AcceptThread.do_accept",
    "zookeeper_py.server.nio_server_cnxn_factory:SelectorThread.handle_io",
    "zookeeper_py.server.nio_server_cnxn_factory:NIOServerCnxnFactory.add_cnxn",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.do_io",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.send_response",
    "zookeeper_py.server.zoo_keeper_server:ChangeRecord.duplicate",
    "zookeeper_py.server.final_request_processor:FinalRequestProcessor.process_request",
    "zookeeper_py.server.final_request_processor:FinalRequestProcessor.handle_get_data_request",
)
NOT_INLINED_IN_QUORUM = NOT_INLINED + (
    "zookeeper_py.server.nio_server_cnxn_factory:SelectorThread.select",
    "zookeeper_py.server.nio_server_cnxn_factory:SelectorThread.process_accepted_connections",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.process_input",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.read_connect_request",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.set_session_timeout",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.send_buffer",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.flush_outgoing",
    "zookeeper_py.server.nio_server_cnxn:NIOServerCnxn.close",
    "zookeeper_py.server.reply_batch:ReplyBatch.flush",
    "zookeeper_py.server.reply_batch:_flush_first",
    "zookeeper_py.server.zoo_keeper_server:ZooKeeperServer.process_packet",
    "zookeeper_py.server.zoo_keeper_server:ZooKeeperServer.process_connect_request",
    "zookeeper_py.server.zoo_keeper_server:ZooKeeperServer.create_session",
    "zookeeper_py.server.zoo_keeper_server:ZooKeeperServer.finish_session_init",
    "zookeeper_py.server.zoo_keeper_server:ZooKeeperServer.process_txn",
    "zookeeper_py.server.quorum.quorum_zoo_keeper_server:QuorumZooKeeperServer.set_local_session_flag",
    "zookeeper_py.server.prep_request_processor:PrepRequestProcessor.p_request",
    "zookeeper_py.server.prep_request_processor:PrepRequestProcessor.get_record_for_path",
    "zookeeper_py.server.worker_service:WorkerService._run",
    "zookeeper_py.server.quorum.commit_processor:CommitProcessor.process_commits",
    "zookeeper_py.server.quorum.commit_processor:CommitWorkRequest.do_work",
    "zookeeper_py.server.quorum.proposal_request_processor:ProposalRequestProcessor.process_request",
    "zookeeper_py.server.quorum.leader:Leader.propose",
    "zookeeper_py.server.quorum.leader:ToBeAppliedRequestProcessor.process_request",
    "zookeeper_py.server.quorum.follower:Follower.process_packet",
)


_params_when_serving = None
_inlining_ours = False  # True once the server's parameters are set: NOT_INLINED applies
_marked = set()


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


def server_serving(in_quorum=False):
    """The server serves: set the parameters tune_jit() checked (once; nothing if it was not called),
    and mark NOT_INLINED (NOT_INLINED_IN_QUORUM for a member of an ensemble) in the modules loaded
    by now (again at each later start: a member that leads after following loads the leader's
    modules then)."""
    global _params_when_serving, _inlining_ours
    params, _params_when_serving = _params_when_serving, None
    if params is not None:
        import pypyjit  # optional: PyPy only (tune_jit() sets params only there)

        pypyjit.set_param(params)
        _inlining_ours = params.strip() not in ("default", "off")
        LOG.info("PyPy JIT parameters: %s", params)
    if _inlining_ours:
        _mark_not_inlined(NOT_INLINED_IN_QUORUM if in_quorum else NOT_INLINED)


def code_of(qualified):
    """The code object of "package.module:Class.function", None while the module is not loaded."""
    module, _, path = qualified.partition(":")
    obj = sys.modules.get(module)
    if obj is None:
        return None
    for name in path.split("."):
        obj = inspect.getattr_static(obj, name)
    return getattr(obj, "__func__", obj).__code__  # __func__: a staticmethod


def _mark_not_inlined(functions):
    import pypyjit  # optional: PyPy only

    for qualified in functions:
        try:
            code = None if qualified in _marked else code_of(qualified)
        except AttributeError:  # renamed (tests/unit/test_not_inlined.py says so first): only speed is lost
            LOG.warning("PyPy JIT: no function %s to mark", qualified)
            continue
        if code is not None:
            pypyjit.dont_trace_here(0, False, code)  # the function's entry: never inlined, compiled on its own
            _marked.add(qualified)
    LOG.info("PyPy JIT: %d of %d functions known too long to inline are compiled on their own",
             len(_marked), len(functions))
