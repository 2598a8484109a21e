"""Every jute record round-trips; a few encode byte for byte as Java's do."""

import inspect
import io
import os
import random
import struct
import subprocess

import pytest

import zookeeper_py.data as data
import zookeeper_py.proto as proto
import zookeeper_py.server.persistence.file_header as file_header
import zookeeper_py.server.quorum.quorum_packet as quorum_packet
import zookeeper_py.txn as txn
from tests.support import java_zk
from zookeeper_py.data import ACL, Id, Stat
from zookeeper_py.jute import (
    BinaryInputArchive,
    BinaryOutputArchive,
    JuteEOFError,
    JuteIOError,
    Record,
    Vector,
)
from zookeeper_py.proto import CreateRequest, ReplyHeader, SetWatches

MODULES = [data, proto, txn, quorum_packet, file_header]
ALL_RECORDS = sorted(
    {cls for m in MODULES for _, cls in inspect.getmembers(m, inspect.isclass)
     if issubclass(cls, Record) and cls is not Record},
    key=lambda c: c.__name__,
)
RANGES = {"byte": 7, "int": 31, "long": 63}


def random_value(ftype, rnd):
    if isinstance(ftype, Vector):
        if rnd.random() < 0.1:
            return None
        return [random_value(ftype.element, rnd) for _ in range(rnd.randint(0, 4))]
    if ftype == "boolean":
        return rnd.random() < 0.5
    if ftype in RANGES:
        bits = RANGES[ftype]
        return rnd.choice([0, -1, 1, -(1 << bits), (1 << bits) - 1, rnd.randint(-(1 << bits), (1 << bits) - 1)])
    if ftype in ("float", "double"):
        return 0.5
    if ftype == "ustring":
        return rnd.choice([None, "", "/a", "/a/\u00e9\u4e2d", "/\U0001F600x", "x" * rnd.randint(0, 300)])
    if ftype == "buffer":
        return rnd.choice([None, b"", bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 50)))])
    return random_instance(ftype, rnd)


def random_instance(cls, rnd):
    return cls(**{name: random_value(ftype, rnd) for name, ftype in cls.FIELDS})


def test_the_record_set_is_complete():
    names = {c.__name__ for c in ALL_RECORDS}
    # 3.5.7's zookeeper.jute plus the 3.6-3.9 records that 3.8 clients and files use.
    expected = {
        "Id", "ACL", "Stat", "StatPersisted", "ClientInfo",
        "ConnectRequest", "ConnectResponse", "SetWatches", "SetWatches2", "RequestHeader", "MultiHeader",
        "AuthPacket", "ReplyHeader", "GetDataRequest", "SetDataRequest", "ReconfigRequest", "SetDataResponse",
        "GetSASLRequest", "SetSASLRequest", "SetSASLResponse", "CreateRequest", "CreateTTLRequest",
        "DeleteRequest", "GetChildrenRequest", "GetAllChildrenNumberRequest", "GetChildren2Request",
        "CheckVersionRequest", "GetMaxChildrenRequest", "GetMaxChildrenResponse", "SetMaxChildrenRequest",
        "SyncRequest", "SyncResponse", "GetACLRequest", "SetACLRequest", "SetACLResponse", "AddWatchRequest",
        "WatcherEvent", "ErrorResponse", "CreateResponse", "Create2Response", "ExistsRequest", "ExistsResponse",
        "GetDataResponse", "GetChildrenResponse", "GetAllChildrenNumberResponse", "GetChildren2Response",
        "GetACLResponse", "CheckWatchesRequest", "RemoveWatchesRequest", "GetEphemeralsRequest",
        "GetEphemeralsResponse", "WhoAmIResponse",
        "LearnerInfo", "QuorumPacket", "QuorumAuthPacket", "FileHeader",
        "TxnDigest", "TxnHeader", "CreateTxnV0", "CreateTxn", "CreateTTLTxn", "CreateContainerTxn", "DeleteTxn",
        "SetDataTxn", "CheckVersionTxn", "SetACLTxn", "SetMaxChildrenTxn", "CreateSessionTxn", "CloseSessionTxn",
        "ErrorTxn", "Txn", "MultiTxn",
    }
    assert expected <= names, expected - names


@pytest.mark.parametrize("cls", ALL_RECORDS, ids=lambda c: c.__name__)
def test_round_trip(cls):
    rnd = random.Random(cls.__name__)
    for _ in range(50):
        rec = random_instance(cls, rnd)
        encoded = rec.to_bytes()
        decoded, end = cls.decode(b"junk" + encoded, 4)
        assert end == 4 + len(encoded)
        assert decoded == rec
        assert hash(decoded) == hash(rec)
        # The Java-shaped archive API gives the same bytes and the same record.
        oa = BinaryOutputArchive()
        rec.serialize(oa, "r")
        assert oa.to_bytes() == encoded
        fresh = cls()
        fresh.deserialize(BinaryInputArchive(encoded), "r")
        assert fresh == rec
        # Cut anywhere before the end, it is an EOF, never a wrong record.
        if encoded:
            cut = rnd.randrange(len(encoded))
            with pytest.raises(JuteEOFError):
                cls.decode(encoded[:cut])


class Trickle(io.RawIOBase):
    """Hands out at most `step` bytes per read, like a slow socket."""

    def __init__(self, payload, step=3):
        self.payload = payload
        self.pos = 0
        self.step = step

    def readable(self):
        return True

    def readinto(self, b):
        n = min(self.step, len(b), len(self.payload) - self.pos)
        b[:n] = self.payload[self.pos:self.pos + n]
        self.pos += n
        return n


def test_stream_archive_reads_records_split_across_reads():
    recs = [CreateRequest("/x%d" % i, b"d" * i * 100, [ACL(31, Id("world", "anyone"))], i) for i in range(30)]
    payload = b"".join(r.to_bytes() for r in recs) + struct.pack(">q", 77)
    ia = BinaryInputArchive.get_archive(Trickle(payload))
    for r in recs:
        assert ia.read_record(CreateRequest) == r
    assert ia.read_long() == 77
    with pytest.raises(JuteEOFError):
        ia.read_int()


@pytest.mark.parametrize("step", [3, 1000, 1 << 20])
def test_tee_hands_over_exactly_the_bytes_read(step):
    """What a learner copies of a SNAP stream (tee_to ... end_tee) is the bytes the archive consumed
    in between, across refills, whatever was read ahead."""
    recs = [CreateRequest("/t%d" % i, b"v" * (i * 37 % 5000), [], i) for i in range(300)]
    body = b"".join(r.to_bytes() for r in recs)
    ia = BinaryInputArchive.get_archive(Trickle(struct.pack(">q", 5) + body + struct.pack(">i", 9), step))
    assert ia.read_long() == 5
    copied = []
    ia.tee_to(lambda b: copied.append(bytes(b)))
    assert [ia.read_record(CreateRequest) for _ in recs] == recs
    ia.end_tee()
    assert ia.read_int() == 9
    assert b"".join(copied) == body


def test_lengths_are_checked():
    bad = struct.pack(">i", -2) + b"x"
    with pytest.raises(JuteIOError, match="Unreasonable length = -2"):
        CreateRequest.decode(bad)
    huge = struct.pack(">i", 0x7FFFFFFF)
    with pytest.raises(JuteIOError, match="Unreasonable length"):
        CreateRequest.decode(huge + b"\0" * 64)
    # A vector that claims more elements than bytes left is refused before allocating anything.
    lying = SetWatches(1, [], [], []).to_bytes()[:8] + struct.pack(">i", 1 << 30)
    with pytest.raises(JuteEOFError):
        SetWatches.decode(lying)


def test_null_and_empty_are_distinct():
    rec = CreateRequest(None, None, None, 0)
    assert rec.to_bytes() == struct.pack(">iiii", -1, -1, -1, 0)
    assert CreateRequest.decode(rec.to_bytes())[0] == rec
    empty = CreateRequest("", b"", [], 0)
    assert CreateRequest.decode(empty.to_bytes())[0] == empty


def test_strings_outside_the_bmp_are_written_as_java_does():
    # Java writes each UTF-16 unit separately: U+1F600 is two 3-byte surrogate sequences.
    rec = proto.SyncRequest("/\U0001F600")
    assert rec.to_bytes() == struct.pack(">i", 7) + b"/" + bytes.fromhex("eda0bdedb880")
    assert proto.SyncRequest.decode(rec.to_bytes())[0] == rec
    # Plain UTF-8 (as kazoo sends it) reads back too.
    utf8 = "/\U0001F600".encode("utf-8")
    assert proto.SyncRequest.decode(struct.pack(">i", len(utf8)) + utf8)[0] == rec


def test_to_string_is_javas_csv_form():
    assert str(Id("world", "anyone")) == "'world,'anyone\n"
    acl = ACL(31, Id("digest", "u:a,b"))
    assert str(acl) == "31,s{'digest,'u:a%2Cb}\n"
    assert str(ReplyHeader(1, 2, 3)) == "1,2,3\n"


@pytest.fixture(scope="module")
def java_encodings():
    java_zk.require_java_zookeeper()
    src = os.path.join(os.path.dirname(__file__), "RecordHex.java")
    proc = subprocess.run(
        [java_zk.java_executable(), "-cp", java_zk.classpath(), src], capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0 and "compiler" in proc.stderr.lower():
        pytest.skip("this JVM cannot run a source file (no jdk.compiler): " + proc.stderr[:200])
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        name, _, value = line.partition(" ")
        out[name] = value
    return out


def _stat():
    return Stat(0x100000001, 0x100000002, 1577836800000, 1577836800123, 3, 4, 5, -0x8000000000000000, 6, 7, 0x100000003)


JAVA_CASES = {
    "Stat": lambda: _stat(),
    "CreateRequest": lambda: CreateRequest(
        "/a/\u00e9\u4e2d\U0001F600", b"\x01\x02\xff",
        [ACL(31, Id("world", "anyone")), ACL(1, Id("digest", "u:x,y%}"))], 3
    ),
    "CreateRequestNulls": lambda: CreateRequest(None, None, None, 0),
    "ReplyHeader": lambda: ReplyHeader(-1, -1, -101),
    "GetDataResponse": lambda: proto.GetDataResponse(b"", _stat()),
    "SetWatches": lambda: SetWatches(42, ["/a", "/b"], [], ["/c"]),
    "TxnHeader": lambda: txn.TxnHeader(0x123456789ABCDEF, 7, 0x200000001, 1577836800000, 1),
    "CreateTTLTxn": lambda: txn.CreateTTLTxn("/ttl", b"\x09", [ACL(31, Id("world", "anyone"))], 2, 1000),
    "MultiHeader": lambda: proto.MultiHeader(-1, True, -1),
    "ConnectRequest": lambda: proto.ConnectRequest(0, 5, 30000, 0, bytes(16)),
    "WatcherEvent": lambda: proto.WatcherEvent(3, 3, "/w"),
}


@pytest.mark.java
@pytest.mark.parametrize("name", sorted(JAVA_CASES))
def test_bytes_and_text_equal_javas(java_encodings, name):
    rec = JAVA_CASES[name]()
    assert rec.to_bytes().hex() == java_encodings[name]
    assert type(rec).decode(bytes.fromhex(java_encodings[name]))[0] == rec
    assert str(rec).replace("\n", "\\n") == java_encodings[name + ".toString"]


def test_codecs_compile_on_first_use_of_any_generated_method():
    class Inner(Record):
        FIELDS = (("n", "int"), ("s", "ustring"))

    class Outer(Record):
        FIELDS = (("inner", Inner), ("more", Vector(Inner)), ("flag", "boolean"))

    assert "_compiled" not in Inner.__dict__ and "_compiled" not in Outer.__dict__
    # Outer's codec calls Inner's by name: the first call compiles Inner too.
    encoded = Outer(Inner(1, "a"), [Inner(2, None)], True).to_bytes()
    assert Outer.__dict__["_compiled"] and Inner.__dict__["_compiled"]
    back = Outer.from_bytes(encoded)
    assert back == Outer(Inner(1, "a"), [Inner(2, None)], True)
    assert hash(back) == hash(back.copy())

    class Alone(Record):
        FIELDS = (("x", "long"),)

    decoded, pos = Alone.decode(struct.pack(">q", 7))  # decoding first compiles it as well
    assert (decoded.x, pos, Alone()) == (7, 8, Alone(0))
    with pytest.raises(TypeError):
        class Bad(Record):
            FIELDS = (("x", "uint"),)  # the field types are still checked when the class is made


class _ResetAfter(io.RawIOBase):
    """A socket's stream: `data`, then the peer resets the connection."""

    def __init__(self, data):
        self.data = data

    def readable(self):
        return True

    def readinto(self, b):
        if not self.data:
            raise ConnectionResetError(104, "Connection reset by peer")
        n = min(len(b), len(self.data))
        b[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


@pytest.mark.parametrize("cut", [3, 20])  # in the fixed-size head (struct.error), in a string (JuteEOFError)
def test_a_peer_gone_mid_record_raises_its_error_alone(cut):
    """A reset while a record is read is the reset, not a second error "during handling" of the
    decode's, which made every lost peer log two tracebacks."""
    encoded = proto.ReplyHeader(1, 2, 0).to_bytes() + proto.CreateRequest("/a-long-path", b"x" * 40, [], 0).to_bytes()
    archive = BinaryInputArchive.get_archive(io.BufferedReader(_ResetAfter(encoded[:cut])))
    with pytest.raises(ConnectionResetError) as raised:
        archive.read_record(proto.ReplyHeader)
        archive.read_record(proto.CreateRequest)
    assert raised.value.__context__ is None
