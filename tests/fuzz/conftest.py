"""What the fuzz tests share: hypothesis settings, strategies for jute records and their
mutations, and the checks that a live server is still whole after a malformed input.

Every fuzz test runs a bounded, derandomized number of examples with no example
database, so a run is reproducible and CI sees the same inputs each time. Set
ZK_FUZZ_SCALE (a float, default 1) to run that many times more examples, e.g.
`ZK_FUZZ_SCALE=20 bin/run-tests.sh tests/fuzz` for a long local session.
"""

import os
import re
import socket
import struct
import time

import pytest
from hypothesis import HealthCheck, Phase, settings, strategies as st

from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.thread_dump import read_text as _read, thread_names  # noqa: F401  (fuzz tests import thread_names from here)
from zookeeper_py.jute import Record, Vector
from zookeeper_py.jute.record import max_length
from zookeeper_py.proto import (
    AddWatchRequest,
    AuthPacket,
    CheckVersionRequest,
    CheckWatchesRequest,
    CreateRequest,
    CreateTTLRequest,
    DeleteRequest,
    ExistsRequest,
    GetACLRequest,
    GetAllChildrenNumberRequest,
    GetChildren2Request,
    GetChildrenRequest,
    GetDataRequest,
    GetEphemeralsRequest,
    GetSASLRequest,
    MultiHeader,
    ReconfigRequest,
    RemoveWatchesRequest,
    ReplyHeader,
    SetACLRequest,
    SetDataRequest,
    SetWatches,
    SetWatches2,
    SyncRequest,
)
from zookeeper_py.zoo_defs import OpCode

SCALE = float(os.environ.get("ZK_FUZZ_SCALE", "1"))
HEALTH_DEADLINE = 10.0  # seconds a well-behaved client may wait for an answer


def examples(n):
    """The example budget of one test: n scaled by ZK_FUZZ_SCALE."""
    return max(1, int(n * SCALE))


def fuzz_settings(n, live=False, **kwargs):
    """Hypothesis settings for a fuzz test: n examples, reproducible, no deadline per example.

    `live`: the examples go to a server process that outlives them. Then there is no shrinking:
    an example that kills a thread breaks every later one, so hypothesis would shrink to any
    input at all (for minutes); the first failing example, as generated, is the one to report."""
    if live:
        kwargs.setdefault("phases", (Phase.explicit, Phase.reuse, Phase.generate))
    return settings(
        max_examples=examples(n),
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        **kwargs,
    )


# kazoo's threads draw from the `random` module (jitter, host order) while hypothesis generates.
KAZOO_RANDOM = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


# -- strategies ------------------------------------------------------------------------------

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

EDGE_INT32 = [0, 1, -1, -2, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x10000, 0xFFFFF, 0x100000,
              INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1]
EDGE_INT64 = EDGE_INT32 + [INT64_MAX, INT64_MIN, 1 << 32, (1 << 32) - 1, -(1 << 32), 0x100000000]

int32s = st.one_of(st.sampled_from(EDGE_INT32), st.integers(INT32_MIN, INT32_MAX))
int64s = st.one_of(st.sampled_from(EDGE_INT64), st.integers(INT64_MIN, INT64_MAX))
bytes8 = st.integers(-128, 127)

# Paths mostly shaped like paths, sometimes anything at all.
PATH_CHARS = st.sampled_from(list("/abz09._-") + ["\x00", "\u00e9", "\U0001F600", "\u2028"])
paths = st.one_of(
    st.sampled_from(["/", "", "/zookeeper", "/zookeeper/config", "/zookeeper/quota", "/fuzz", "/fuzz/a",
                     "//", "/fuzz/", "/./a", "/fuzz/../x", "a"]),
    st.lists(st.text(PATH_CHARS, min_size=1, max_size=6), min_size=1, max_size=3).map(lambda p: "/" + "/".join(p)),
    st.text(max_size=20),
)
texts = st.one_of(st.none(), paths, st.text(max_size=30))
buffers = st.one_of(st.none(), st.binary(max_size=64))


def value_strategy(ftype, depth=0):
    """A strategy for one jute field value of a FIELDS declaration type."""
    if isinstance(ftype, Vector):
        if depth > 2:
            return st.one_of(st.none(), st.just([]))
        return st.one_of(st.none(), st.lists(value_strategy(ftype.element, depth + 1), max_size=4))
    if isinstance(ftype, type) and issubclass(ftype, Record):
        return record_strategy(ftype, depth + 1)
    return {
        "byte": bytes8,
        "boolean": st.booleans(),
        "int": int32s,
        "long": int64s,
        "float": st.floats(allow_nan=False, width=32),
        "double": st.floats(allow_nan=False),
        "ustring": texts,
        "buffer": buffers,
    }[ftype]


def record_strategy(cls, depth=0):
    """Valid instances of a jute record class with FIELDS (every field drawn independently)."""
    fields = {name: value_strategy(ftype, depth) for name, ftype in cls.FIELDS}
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


def record_bytes(cls):
    return record_strategy(cls).map(lambda r: r.to_bytes())


def forged_lengths(size_hint=64):
    """Lengths a hostile peer writes in a length or count field."""
    limit = max_length()
    return st.one_of(
        st.sampled_from([-1, -2, -1000, INT32_MIN, INT32_MAX, limit, limit + 1, limit - 1, 0xFFFFF, 0x100000,
                         0, 1, size_hint, size_hint + 1, 1 << 24, 1 << 30]),
        st.integers(INT32_MIN, INT32_MAX),
        st.integers(0, 2 * size_hint),
    )


@st.composite
def mutated(draw, base):
    """`base` (bytes) damaged one to three times: cut, overwritten, forged lengths, inserted, removed."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "forge", "flip", "insert", "delete", "append", "random"]))
        pos = draw(st.integers(0, len(data))) if data else 0
        if kind == "truncate":
            del data[pos:]
        elif kind == "forge":
            data[pos:pos + 4] = struct.pack(">i", draw(forged_lengths(len(data))))
        elif kind == "flip" and data:
            pos = min(pos, len(data) - 1)
            data[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 8))]
        elif kind == "append":
            data += draw(st.binary(min_size=1, max_size=32))
        elif kind == "random":
            data = bytearray(draw(st.binary(max_size=96)))
    return bytes(data)


def damaged(valid_bytes):
    """Valid bytes, or valid bytes mutated, or random bytes."""
    return st.one_of(
        valid_bytes,
        valid_bytes.flatmap(mutated),
        valid_bytes.flatmap(mutated),
        st.binary(max_size=96),
    )


# -- request bodies of every opcode ------------------------------------------------------------------

_INT = struct.Struct(">i")
ALL_OPCODES = sorted(v for k, v in vars(OpCode).items() if not k.startswith("_") and isinstance(v, int))

# The request record of each opcode; OTHER_BODIES has the bodies of the rest.
REQUEST_RECORDS = {
    OpCode.create: CreateRequest, OpCode.create2: CreateRequest, OpCode.createContainer: CreateRequest,
    OpCode.createTTL: CreateTTLRequest, OpCode.delete: DeleteRequest, OpCode.exists: ExistsRequest,
    OpCode.getData: GetDataRequest, OpCode.setData: SetDataRequest, OpCode.getACL: GetACLRequest,
    OpCode.setACL: SetACLRequest, OpCode.getChildren: GetChildrenRequest, OpCode.getChildren2: GetChildren2Request,
    OpCode.sync: SyncRequest, OpCode.check: CheckVersionRequest, OpCode.reconfig: ReconfigRequest,
    OpCode.checkWatches: CheckWatchesRequest, OpCode.removeWatches: RemoveWatchesRequest, OpCode.auth: AuthPacket,
    OpCode.setWatches: SetWatches, OpCode.setWatches2: SetWatches2, OpCode.sasl: GetSASLRequest,
    OpCode.getEphemerals: GetEphemeralsRequest, OpCode.getAllChildrenNumber: GetAllChildrenNumberRequest,
    OpCode.addWatch: AddWatchRequest,
}
MULTI_WRITE_OPS = [OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete,
                   OpCode.setData, OpCode.check]
MULTI_READ_OPS = [OpCode.getChildren, OpCode.getData]


def _multi_body(ops):
    def part(op):
        return record_bytes(REQUEST_RECORDS[op]).map(lambda b: MultiHeader(op, False, -1).to_bytes() + b)

    parts = st.lists(st.sampled_from(ops).flatmap(part), max_size=4)
    return parts.map(lambda ps: b"".join(ps) + MultiHeader(-1, True, -1).to_bytes())


OTHER_BODIES = {
    OpCode.multi: _multi_body(MULTI_WRITE_OPS),
    OpCode.multiRead: _multi_body(MULTI_READ_OPS),
    OpCode.deleteContainer: paths.map(lambda p: p.encode("utf-8")),  # the raw path, as the ContainerManager's
    OpCode.createSession: int32s.map(_INT.pack),
    OpCode.closeSession: st.just(b""),
    OpCode.ping: st.just(b""),
    OpCode.whoAmI: st.just(b""),
    OpCode.notification: st.binary(max_size=16),
    OpCode.error: st.binary(max_size=16),
}


def valid_body(op):
    if op in REQUEST_RECORDS:
        return record_bytes(REQUEST_RECORDS[op])
    if op in OTHER_BODIES:
        return OTHER_BODIES[op]
    return st.binary(max_size=32)


opcodes = st.one_of(st.sampled_from(ALL_OPCODES), st.sampled_from(ALL_OPCODES), int32s)
xids = st.one_of(st.integers(1, 10000), st.sampled_from([0, -1, -2, -4, -8, INT32_MAX, INT32_MIN]))


@st.composite
def requests(draw):
    """(xid, op, body): a RequestHeader of some opcode and a fuzzed body for it."""
    op = draw(opcodes)
    return draw(xids), op, draw(damaged(valid_body(op)))


# -- client connections ----------------------------------------------------------------------------

def send_ignoring_reset(c, data):
    try:
        c.send_raw(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False  # the server closed first: that is an answer too


SENTINEL_XID = 0x5E17
SENTINEL_BODY = ExistsRequest("/", False).to_bytes()


def answered_or_closed(c, xid, timeout=HEALTH_DEADLINE, exact=False):
    """Wait for the answer to `xid` or the end of the connection; 'answered', 'closed', or None (neither).

    The answer is any frame but a watch event (with `exact`, only a reply with that xid): a ping is
    answered on xid -2 whatever its xid, and a createSession inside a session with a ConnectResponse,
    as Java does."""
    deadline = time.time() + timeout
    try:
        while True:
            frame = c.read_frame(max(0.01, deadline - time.time()))
            rxid = ReplyHeader.decode(frame)[0].xid if len(frame) >= 16 else None
            if rxid == xid or (not exact and (rxid != -1 or xid == -1)):
                return "answered"
    except ConnectionClosed:
        return "closed"
    except socket.timeout:
        return None


# Flags of the fuzzed servers: TTL nodes can be created, and the ContainerManager runs every half second,
# so the containers and TTL nodes that fuzzed requests create are deleted by the server while it is fuzzed.
SERVER_FLAGS = ("-Dzookeeper.extendedTypesEnabled=true", "-Dznode.container.checkIntervalMs=500")


# -- server health -----------------------------------------------------------------------------

def assert_serving(port, what="server", deadline=HEALTH_DEADLINE, proc=None):
    """A new, well-behaved client connects and gets an exists("/") answer within the deadline."""
    if proc is not None:
        assert proc.poll() is None, "%s exited with %s" % (what, proc.returncode)
    start = time.monotonic()
    try:
        with RawClient("127.0.0.1", port, timeout=deadline) as c:
            c.connect()
            hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False), timeout=deadline)
    except (OSError, ConnectionClosed) as e:
        raise AssertionError("%s: a well-behaved client got no answer within %ss: %r" % (what, deadline, e)) from None
    assert hdr.err == 0, "%s answered exists('/') with %r" % (what, hdr)
    return time.monotonic() - start


# Per-connection threads: they come and go with their peers.
TRANSIENT_THREADS = re.compile(r"^(LearnerHandler-|Sender-|SendWorker:|RecvWorker:|Snapshot Thread|Thread-\d+|"
                               r"NIOWorkerThread-|CommitProcWorkThread-|ProcessThread\(.*\):$)")


def lasting_threads(names):
    return {n for n in names if not TRANSIENT_THREADS.match(n)}


# Lines that say a thread the server needs has died, or a role was shut down.
_PROBLEMS = [
    re.compile(r"Severe unrecoverable error"),
    re.compile(r"Exception occurred from thread (?!LearnerHandler-|RecvWorker:|SendWorker:|Sender-)"),
    re.compile(r"exited loop!|SyncRequestProcessor exited!|WorkerReceiver is down|WorkerSender is down"),
    re.compile(r"Leaving listener|QuorumPeer main thread exited|exiting abnormally"),
    re.compile(r"Shutdown called\. shutdown Leader!"),
    re.compile(r" ERROR \[(?!LearnerHandler-|Sender-)[^\]]*\] - Unexpected exception"),
    re.compile(r"Error in running command|Destruction averted"),  # a four-letter word or a reply failed
]


def log_problems(text):
    """The log lines (tracebacks and thread dumps left out) that tell of a dead thread or a lost role."""
    found = []
    for line in text.splitlines():
        if line.startswith(("\tat ", " ", "Traceback")):
            continue
        if any(p.search(line) for p in _PROBLEMS):
            found.append(line)
    return found


class LogWatch:
    """The part of a server's output written since the watch was made (or reset)."""

    def __init__(self, path):
        self.path = path
        self.reset()

    def reset(self):
        self.offset = len(_read(self.path))

    def text(self):
        return _read(self.path)[self.offset:]

    def problems(self):
        return log_problems(self.text())


def close_with_reset(sock):
    """Close so that the peer sees a TCP reset (SO_LINGER 0), not a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()
