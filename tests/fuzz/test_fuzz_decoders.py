"""Structured fuzzing of every jute record decoder, in process.

Every record class of zookeeper_py.proto, .data, .txn, the quorum records
(LearnerInfo, QuorumPacket, QuorumAuthPacket), FileHeader, MultiTransactionRecord
and MultiResponse is decoded from valid encodings, damaged encodings (cut, forged
lengths and counts, overwritten, inserted and removed bytes) and random bytes, both
from one buffer (Record.decode, the client port's path) and from a stream
(BinaryInputArchive over a file object, the quorum port's and the data files' path).

A decoder either returns a record that encodes and decodes back to itself, or raises
JuteIOError (JuteEOFError is one): that is the contract the servers' read paths rely
on (NIOServerCnxn.do_io closes the connection on an IOError, LearnerHandler shuts the
learner's handler down). It never hangs, and a forged length never makes it allocate
or ask its stream for more than the jute length limit.

The election handshake (QuorumCnxManager.InitialMessage.parse) is fuzzed the same
way over a socket pair, and SerializeUtils.deserialize_txn_entry (txn log entries,
PROPOSAL bodies) over TxnHeader + the txn record of every type.
"""

import inspect
import socket
import struct
import threading
import time

import pytest
from hypothesis import given, strategies as st

import zookeeper_py.data
import zookeeper_py.proto
import zookeeper_py.txn
from tests.fuzz.conftest import (
    INT32_MAX,
    INT32_MIN,
    damaged,
    fuzz_settings,
    int32s,
    int64s,
    mutated,
    record_bytes,
    record_strategy,
)
from zookeeper_py.jute import BinaryInputArchive, JuteIOError, Record, Vector
from zookeeper_py.jute.record import max_length
from zookeeper_py.multi_response import MultiResponse
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.proto import (
    CheckVersionRequest,
    Create2Response,
    CreateRequest,
    CreateResponse,
    CreateTTLRequest,
    DeleteRequest,
    ErrorResponse,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    MultiHeader,
    SetDataRequest,
    SetDataResponse,
)
from zookeeper_py.server.persistence import file_header
from zookeeper_py.server.quorum import quorum_packet
from zookeeper_py.server.quorum.quorum_cnx_manager import InitialMessage, InitialMessageException, QuorumCnxManager
from zookeeper_py.server.util.serialize_utils import TXN_RECORD_CLASSES, SerializeUtils
from zookeeper_py.txn import CloseSessionTxn, TxnDigest, TxnHeader
from zookeeper_py.zoo_defs import OpCode

try:
    import tracemalloc
except ImportError:  # PyPy has no tracemalloc: the stream checks still bound the reads there
    tracemalloc = None

pytestmark = pytest.mark.timeout(300)

RECORD_MODULES = (zookeeper_py.proto, zookeeper_py.data, zookeeper_py.txn, quorum_packet, file_header)


def _declared_records():
    found = {}
    for module in RECORD_MODULES:
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Record) and obj.__module__ == module.__name__ and obj.FIELDS:
                found[name] = obj
    return [found[n] for n in sorted(found)]


FIELD_RECORDS = _declared_records()
RECORD_IDS = [cls.__name__ for cls in FIELD_RECORDS]

HANG_LIMIT = 2.0  # seconds one decode of a few hundred bytes may take, at most
READ_SLACK = 2 * 65536  # BinaryInputArchive reads in chunks of at least 64 KiB


def memory_budget(n):
    """What decoding n bytes may allocate at its peak: Python objects for every byte, never a forged length."""
    return (1 << 20) + 512 * n


# -- decoding and checking one input -------------------------------------------------------------

class ChunkedStream:
    """A binary stream over `data` that hands out at most `chunk` bytes per read and notes the largest request."""

    def __init__(self, data, chunk):
        self.data = memoryview(data)
        self.pos = 0
        self.chunk = chunk
        self.max_request = 0

    def read(self, n=-1):
        self.max_request = max(self.max_request, n)
        if n < 0:
            n = len(self.data) - self.pos
        n = min(n, self.chunk)
        b = bytes(self.data[self.pos:self.pos + n])
        self.pos += len(b)
        return b


class _Peak:
    def __init__(self):
        self.value = 0

    """The peak of the memory allocated inside the block (traced only there: tracing slows everything)."""

    def __enter__(self):
        if tracemalloc is not None:
            tracemalloc.start()
        return self

    def __exit__(self, *exc):
        if tracemalloc is not None:
            self.value = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return False


def decode_buffer(cls, data):
    """cls.decode(data) -> (record or None, peak bytes allocated); only JuteIOError may escape."""
    start = time.monotonic()
    with _Peak() as peak:
        try:
            rec, pos = cls.decode(data, 0)
        except JuteIOError:
            rec, pos = None, None
    elapsed = time.monotonic() - start
    assert elapsed < HANG_LIMIT, "%s.decode took %.1fs on %d bytes" % (cls.__name__, elapsed, len(data))
    assert peak.value <= memory_budget(len(data)), (
        "%s.decode of %d bytes allocated %d bytes: %s" % (cls.__name__, len(data), peak.value, data.hex()))
    if rec is not None:
        assert pos <= len(data)
    return rec, pos


def decode_stream(cls, data, chunk):
    """BinaryInputArchive over a stream of `data` -> (record or None, largest read asked of the stream)."""
    stream = ChunkedStream(data, chunk)
    ia = BinaryInputArchive(stream=stream)
    start = time.monotonic()
    try:
        rec = ia.read_record(cls)
    except JuteIOError:
        rec = None
    elapsed = time.monotonic() - start
    assert elapsed < HANG_LIMIT, "stream read of %s took %.1fs" % (cls.__name__, elapsed)
    return rec, stream.max_request


def check_decoder(cls, data, chunk=7):
    rec, pos = decode_buffer(cls, data)
    if rec is not None:
        # What was decoded writes back to bytes that decode to the same record.
        again, end = cls.decode(rec.to_bytes(), 0)
        assert again == rec, "%r re-encoded decodes as %r" % (rec, again)
    srec, _ = decode_stream(cls, data, chunk)
    assert srec == rec, "stream decode %r, buffer decode %r of %s" % (srec, rec, data.hex())


# -- every record class with FIELDS ----------------------------------------------------------------

def test_every_record_module_is_covered():
    names = set(RECORD_IDS)
    for expected in ("ConnectRequest", "RequestHeader", "CreateRequest", "SetWatches2", "Stat", "ACL", "TxnHeader",
                     "MultiTxn", "CloseSessionTxn", "LearnerInfo", "QuorumPacket", "QuorumAuthPacket", "FileHeader"):
        assert expected in names
    assert len(FIELD_RECORDS) >= 65


@pytest.mark.parametrize("cls", FIELD_RECORDS, ids=RECORD_IDS)
def test_valid_records_round_trip(cls):
    @fuzz_settings(10)
    @given(record_strategy(cls), st.integers(1, 64))
    def run(rec, chunk):
        data = rec.to_bytes()
        got, pos = decode_buffer(cls, data)
        assert got == rec and pos == len(data)
        srec, _ = decode_stream(cls, data, chunk)
        assert srec == rec

    run()


@pytest.mark.parametrize("cls", FIELD_RECORDS, ids=RECORD_IDS)
def test_damaged_records(cls):
    @fuzz_settings(30)
    @given(damaged(record_bytes(cls)), st.integers(1, 64))
    def run(data, chunk):
        check_decoder(cls, data, chunk)

    run()


# -- forged lengths at every length and count field ---------------------------------------------

_FIXED = {"byte": 1, "boolean": 1, "int": 4, "long": 8, "float": 4, "double": 8}


def sample(cls):
    """An instance whose every vector has one element, every string and buffer a few bytes."""
    values = {}
    for name, ftype in cls.FIELDS:
        values[name] = _sample_value(ftype)
    return cls(**values)


def _sample_value(ftype):
    if isinstance(ftype, Vector):
        return [_sample_value(ftype.element)]
    if isinstance(ftype, type):
        return sample(ftype)
    return {"ustring": "/x", "buffer": b"ab", "boolean": True}.get(ftype, 1)


def length_fields(rec, pos=0, prefix=""):
    """[(offset, kind, field path)] of every length or count in rec's encoding; and the end offset."""
    out = []
    for name, ftype in rec.FIELDS:
        pos = _walk(getattr(rec, name), ftype, pos, prefix + name, out)
    return out, pos


def _walk(value, ftype, pos, path, out):
    if isinstance(ftype, Vector):
        out.append((pos, "vector", path))
        pos += 4
        for i, element in enumerate(value or ()):
            pos = _walk(element, ftype.element, pos, "%s[%d]" % (path, i), out)
        return pos
    if isinstance(ftype, type):
        inner, pos = length_fields(value, pos, path + ".")
        out.extend(inner)
        return pos
    if ftype in ("ustring", "buffer"):
        out.append((pos, ftype, path))
        return pos + 4 + (0 if value is None else len(value.encode("utf-8") if ftype == "ustring" else value))
    return pos + _FIXED[ftype]


def _forged_cases(kinds):
    cases = []
    for cls in FIELD_RECORDS:
        rec = sample(cls)
        data = rec.to_bytes()
        fields, end = length_fields(rec)
        assert end == len(data), "layout of %s" % cls.__name__
        for offset, kind, path in fields:
            if kind in kinds:
                cases.append(pytest.param(cls, data, offset, id="%s.%s" % (cls.__name__, path)))
    return cases


FORGED = [-2, -100, INT32_MIN, INT32_MAX, INT32_MAX - 3, 1 << 30, 1 << 24, 0x100000, 0xFFFFF]


def _check_forged(cls, data, offset):
    for value in FORGED + [max_length(), max_length() + 1, len(data) - offset, len(data) - offset + 1]:
        for tail in (b"", b"\0" * 40):
            forged = data[:offset] + struct.pack(">i", value) + data[offset + 4:] + tail
            check_decoder(cls, forged)
            _, max_request = decode_stream(cls, forged, 1 << 16)
            assert max_request <= max_length() + READ_SLACK, (
                "%s with length %d forged at byte %d: the archive asked its stream for %d bytes at once (%s)"
                % (cls.__name__, value, offset, max_request, forged.hex()))


# A vector count n that the bytes at hand cannot hold makes the compiled decoder raise
# JuteEOFError(needed=pos + n); BinaryInputArchive._fill must not ask its stream for all of it at once:
# BufferedReader.read1(n) (LearnerHandler's and Learner's socket files) allocates n bytes before reading.
@pytest.mark.parametrize("cls,data,offset", _forged_cases(("ustring", "buffer")))
def test_forged_string_and_buffer_lengths(cls, data, offset):
    _check_forged(cls, data, offset)


@pytest.mark.parametrize("cls,data,offset", _forged_cases(("vector",)))
def test_forged_vector_counts(cls, data, offset):
    _check_forged(cls, data, offset)


def test_forged_vector_count_on_a_socket_allocates_no_gigantic_buffer():
    """A learner's QuorumPacket whose authinfo count says 2^31-1, read as LearnerHandler reads it.

    BufferedReader.read1(n) allocates n bytes before it reads: the count must not become n.
    """
    if tracemalloc is None:
        pytest.skip("tracemalloc is needed to see the allocation (CPython)")
    a, b = socket.socketpair()
    try:
        a.sendall(struct.pack(">iqi", 11, 0, -1) + struct.pack(">i", INT32_MAX) + b"\0" * 16)
        timer = threading.Timer(0.5, a.close)
        timer.start()
        ia = BinaryInputArchive.get_archive(b.makefile("rb"))
        with _Peak() as peak:
            with pytest.raises(JuteIOError):
                ia.read_record(quorum_packet.QuorumPacket)
        timer.join()
    finally:
        a.close()
        b.close()
    assert peak.value < 64 << 20, "reading a forged vector count allocated %d MB" % (peak.value >> 20)


# -- MultiTransactionRecord and MultiResponse ----------------------------------------------------

_MULTI_OPS = {
    OpCode.create: CreateRequest, OpCode.create2: CreateRequest, OpCode.createContainer: CreateRequest,
    OpCode.createTTL: CreateTTLRequest, OpCode.delete: DeleteRequest, OpCode.setData: SetDataRequest,
    OpCode.check: CheckVersionRequest, OpCode.getChildren: GetChildrenRequest, OpCode.getData: GetDataRequest,
}
_MULTI_RESULTS = {
    OpCode.create: CreateResponse, OpCode.create2: Create2Response, OpCode.setData: SetDataResponse,
    OpCode.getChildren: GetChildrenResponse, OpCode.getData: GetDataResponse, OpCode.error: ErrorResponse,
    OpCode.delete: None, OpCode.check: None,
}
_DONE = MultiHeader(-1, True, -1).to_bytes()


def _multi_part(table, err):
    def part(op):
        cls = table[op]
        body = st.just(b"") if cls is None else record_bytes(cls)
        return body.map(lambda b: MultiHeader(op, False, err).to_bytes() + b)

    ops = st.one_of(st.sampled_from(sorted(table)), int32s)
    return ops.flatmap(lambda op: part(op) if op in table else st.binary(max_size=24).map(
        lambda b: MultiHeader(op, False, err).to_bytes() + b))


def multi_bytes(table, err):
    return st.lists(_multi_part(table, err), max_size=5).map(lambda parts: b"".join(parts) + _DONE)


@pytest.mark.parametrize("cls,table,err",
                         [(MultiTransactionRecord, _MULTI_OPS, -1), (MultiResponse, _MULTI_RESULTS, 0)],
                         ids=["MultiTransactionRecord", "MultiResponse"])
def test_damaged_multi_records(cls, table, err):
    @fuzz_settings(300)
    @given(damaged(multi_bytes(table, err)), st.integers(1, 64))
    def run(data, chunk):
        check_decoder(cls, data, chunk)

    run()


# -- txn entries (txn log, PROPOSAL bodies) -------------------------------------------------------

def _txn_entry(op):
    hdr = st.tuples(int64s, int32s, int64s, int64s).map(lambda t: TxnHeader(t[0], t[1], t[2], t[3], op).to_bytes())
    if op == OpCode.closeSession:
        body = st.one_of(st.just(b""), record_bytes(CloseSessionTxn))
    elif op in TXN_RECORD_CLASSES:
        body = record_bytes(TXN_RECORD_CLASSES[op])
    else:
        body = st.binary(max_size=32)
    digest = st.one_of(st.just(b""), st.tuples(int32s, int64s).map(lambda t: TxnDigest(*t).to_bytes()))
    return st.tuples(hdr, body, digest).map(lambda t: b"".join(t))


txn_entries = st.one_of(st.sampled_from(sorted(TXN_RECORD_CLASSES) + [OpCode.closeSession]), int32s).flatmap(_txn_entry)


@fuzz_settings(600)
@given(damaged(txn_entries), st.booleans())
def test_damaged_txn_entries(data, close_session_txn):
    start = time.monotonic()
    with _Peak() as peak:
        try:
            hdr, txn, digest = SerializeUtils.deserialize_txn_entry(data, close_session_txn)
        except JuteIOError:
            hdr = None
    assert time.monotonic() - start < HANG_LIMIT
    assert peak.value <= memory_budget(len(data)), "%d bytes allocated for %s" % (peak.value, data.hex())
    if hdr is not None:
        assert isinstance(hdr, TxnHeader)
        assert txn is None or isinstance(txn, Record)
        assert digest is None or isinstance(digest, TxnDigest)


# -- the election handshake ------------------------------------------------------------------------

def _initial_message(version, sid, addr_bytes, length=None):
    if length is None:
        length = len(addr_bytes)
    return struct.pack(">qi", sid, length) + addr_bytes


addresses = st.one_of(
    st.sampled_from(["127.0.0.1:3888", "[::1]:3888", "0.0.0.0:1", "127.0.0.1:99999", "127.0.0.1:-1", "a..b:1",
                     "x" * 80 + ":1", "127.0.0.1", ":", "[::1", "a:b:c", "127.0.0.1:1|[::1]:2", "|", "", "é:1"]),
    st.text(max_size=40),
    st.tuples(st.text(st.sampled_from(list("0123456789.:[]|abx-")), max_size=20), st.integers(-1, 1 << 17)).map(
        lambda t: "%s:%d" % t),
)


@st.composite
def initial_messages(draw):
    version = draw(st.sampled_from([QuorumCnxManager.PROTOCOL_VERSION, QuorumCnxManager.PROTOCOL_VERSION_V2]))
    sid = draw(int64s)
    addr = draw(addresses).encode("utf-8", "surrogatepass")
    length = draw(st.one_of(st.just(None), st.sampled_from([0, -1, INT32_MIN, INT32_MAX, 2048, 2049]),
                            st.integers(0, len(addr) + 4)))
    msg = _initial_message(version, sid, addr, length)
    if draw(st.booleans()):
        msg = draw(mutated(msg))
    return version, msg


# The listener's QuorumConnectionThread dials the address a smaller sid gives (connect_one_addr): a host
# the idna codec refuses ("a..b", a label over 63 characters) made socket.create_connection raise
# UnicodeError, no OSError; parse refuses such hosts and ports out of range.
@fuzz_settings(300)
@given(initial_messages())
def test_initial_message_parse(case):
    """Only InitialMessageException, EOFError or OSError may escape; an address it returns can be dialled."""
    version, msg = case
    a, b = socket.socketpair()
    try:
        a.sendall(msg)
        a.shutdown(socket.SHUT_WR)
        b.settimeout(HANG_LIMIT)
        try:
            init = InitialMessage.parse(version, b)
        except (InitialMessageException, EOFError, OSError):
            return
    finally:
        a.close()
        b.close()
    addr = init.election_addr
    if addr is not None:
        host, port = addr
        assert 0 <= port <= 65535, "parse returned port %d from %r" % (port, msg)
        # The listener dials this address (connectOne): nothing but OSError may come of resolving it.
        try:
            socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        except OSError:
            pass
        except Exception as e:  # noqa: BLE001
            pytest.fail("address %r from %r makes %s: %s" % (addr, msg, type(e).__name__, e))
