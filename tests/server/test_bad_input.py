"""Bad input on the client port: our server answers or closes exactly where Java 3.8 does, and survives.

Frames are written on raw sockets (tests/support/raw_zk.py). The table-driven cases run
against our server and Java ZooKeeper 3.8 with the same expectations. The fuzzer sends
10,000 random frames (random lengths, opcodes, bodies; before and after a valid
ConnectRequest) to our server while a kazoo client keeps writing; every reply must carry
a known error code on an xid that was sent, the kazoo session must survive, and after a
SIGKILL and restart every acknowledged write must be there.
"""

import os
import random
import selectors
import struct
import threading
import time

import pytest
from kazoo.client import KazooClient, KazooState
from kazoo.security import make_acl, make_digest_acl

from tests.support import java_zk
from tests.support.net import wait_until
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.data import ACL, Id
from zookeeper_py.keeper_exception import Code
from zookeeper_py.proto import (
    AddWatchRequest,
    CheckVersionRequest,
    CheckWatchesRequest,
    ConnectRequest,
    ConnectResponse,
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
    MultiHeader,
    ReconfigRequest,
    RemoveWatchesRequest,
    ReplyHeader,
    RequestHeader,
    SetACLRequest,
    SetDataRequest,
    SetDataResponse,
    SetWatches,
    SyncRequest,
)
from zookeeper_py.zoo_defs import OpCode

pytestmark = pytest.mark.timeout(300)

OPEN = [ACL(31, Id("world", "anyone"))]
MAX_BUFFER = 0xFFFFF
VALID_CODES = {int(c) for c in Code}
_INT = struct.Struct(">i")


def pstr(s):
    b = s.encode()
    return _INT.pack(len(b)) + b


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Our server and Java 3.8's, one each for the table-driven cases."""
    java_zk.require_java_zookeeper()
    started = {}
    try:
        for kind in (PythonServer, JavaServer):
            s = kind(str(tmp_path_factory.mktemp(kind.kind + "-bad")))
            started[kind.kind] = s
            s.start()
        yield started
    finally:
        for s in started.values():
            s.stop()


KINDS = ["python", "java"]


def raw(server):
    return RawClient("127.0.0.1", server.client_port)


def assert_still_serving(server):
    """Another client on the same server gets normal answers."""
    with raw(server) as c:
        c.connect()
        hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False))
        assert hdr.err == 0, "server stopped answering after bad input: %r" % (hdr,)


# -- framing ------------------------------------------------------------------------------

def _connected(c):
    c.connect()


FRAMING = [
    # (id, connect first?, raw bytes)
    ("garbage-before-connect", False, b"\x00\x00\x00\x10" + b"\xde\xad\xbe\xef" * 4),
    ("negative-length-before-connect", False, b"\xff\xff\xff\xfe"),
    ("2GB-length-before-connect", False, b"\x7f\xff\xff\xff"),
    ("over-maxbuffer-before-connect", False, _INT.pack(MAX_BUFFER + 1)),
    ("2GB-length-after-connect", True, b"\x7f\xff\xff\xff"),
    ("negative-length-after-connect", True, b"\x80\x00\x00\x00"),
    ("minus-one-length-after-connect", True, b"\xff\xff\xff\xff"),
    ("over-maxbuffer-after-connect", True, _INT.pack(MAX_BUFFER + 1) + b"x" * 100),
    ("2-byte-frame-after-connect", True, _INT.pack(2) + b"\0\1"),
    ("7-byte-frame-after-connect", True, _INT.pack(7) + b"\0\0\0\1\0\0\0"),
    ("empty-frame-after-connect", True, _INT.pack(0)),
    ("setData-1.1MB", True, _INT.pack(8 + 1100011) + RequestHeader(1, OpCode.setData).to_bytes()
     + SetDataRequest("/", b"x" * 1100000, -1).to_bytes()),
    ("connect-short", False, _INT.pack(2) + b"\0\0"),
    ("connect-empty", False, _INT.pack(0)),
    ("connect-bad-passwd-length", False, _INT.pack(29) + struct.pack(">iqiqi", 0, 0, 30000, 0, 1000) + b"x"),
    ("connect-future-zxid", False, _INT.pack(45) + ConnectRequest(0, 1 << 40, 30000, 0, bytes(16)).to_bytes() + b"\0"),
    ("request-before-connect", False, _INT.pack(8) + RequestHeader(1, OpCode.getData).to_bytes()),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case_id,connect_first,data", FRAMING, ids=[f[0] for f in FRAMING])
def test_bad_framing_closes_the_connection(servers, kind, case_id, connect_first, data):
    server = servers[kind]
    with raw(server) as c:
        if connect_first:
            c.connect()
        try:
            c.send_raw(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still writing: that is the answer
        assert c.closed_by_server(10), "%s server kept the connection open after %s" % (kind, case_id)
    assert_still_serving(server)


@pytest.mark.parametrize("kind", KINDS)
def test_frame_just_under_maxbuffer_is_served(servers, kind):
    server = servers[kind]
    with raw(server) as c:
        c.connect()
        hdr, _ = c.request(OpCode.create, CreateRequest("/big-%s" % kind, b"", OPEN, 0))
        assert hdr.err == 0
        data = b"y" * (MAX_BUFFER - 200)
        hdr, _ = c.request(OpCode.setData, SetDataRequest("/big-%s" % kind, data, -1))
        assert hdr.err == 0, hdr
        hdr, body = c.request(OpCode.getData, GetDataRequest("/big-%s" % kind, False))
        assert hdr.err == 0 and data in body


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_frame_then_close(servers, kind):
    """Half a frame, then the client goes away: nothing of it is applied, the server carries on."""
    server = servers[kind]
    body = RequestHeader(1, OpCode.create).to_bytes() + CreateRequest("/half-%s" % kind, b"", OPEN, 0).to_bytes()
    for cut in (2, 4, 10, len(body) - 1):
        with raw(server) as c:
            c.connect()
            c.send_raw(_INT.pack(len(body)) + body[:cut])
    with raw(server) as c:
        c.connect()
        hdr, _ = c.request(OpCode.exists, ExistsRequest("/half-%s" % kind, False))
        assert hdr.err == int(Code.NONODE), "a truncated create was applied: %r" % (hdr,)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_session_on_reconnect(servers, kind):
    """A ConnectRequest for a session that does not exist: timeout 0, session 0, then close."""
    with raw(servers[kind]) as c:
        c.send_frame(ConnectRequest(0, 0, 30000, 0x1234, bytes(16)).to_bytes() + b"\0")
        rsp, _ = ConnectResponse.decode(c.read_frame())
        assert (rsp.timeOut, rsp.sessionId, rsp.passwd) == (0, 0, bytes(16))
        assert c.closed_by_server(10)


# -- opcodes --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", [999, -50, 0, 10, 23, 108, 2 ** 31 - 1])
def test_unknown_opcode_unimplemented_then_closed(servers, kind, op):
    with raw(servers[kind]) as c:
        c.connect()
        xid = c.send_request(op, b"whatever")
        frames = c.replies_until_closed(10)
        assert len(frames) == 1, "%s op %d: %r" % (kind, op, frames)
        hdr, _ = ReplyHeader.decode(frames[0])
        assert (hdr.xid, hdr.err) == (xid, int(Code.UNIMPLEMENTED)), hdr
    assert_still_serving(servers[kind])


# -- paths ----------------------------------------------------------------------------------

def _create(p):
    return OpCode.create, CreateRequest(p, b"", OPEN, 0)


PATHS = [
    # create validates the path (BADARGUMENTS), or finds no parent
    (_create("a"), Code.BADARGUMENTS),
    (_create("//"), Code.BADARGUMENTS),
    (_create("/a\x00b"), Code.BADARGUMENTS),
    (_create(""), Code.BADARGUMENTS),
    (_create("/\x01"), Code.BADARGUMENTS),
    (_create("/zookeeper/quota/"), Code.BADARGUMENTS),
    (_create("/nope/"), Code.NONODE),
    (_create("/nope/./b"), Code.NONODE),
    # writes validate the path; reads just look it up
    ((OpCode.delete, DeleteRequest("a", -1)), Code.BADARGUMENTS),
    ((OpCode.delete, DeleteRequest("", -1)), Code.BADARGUMENTS),
    ((OpCode.delete, DeleteRequest("/a/", -1)), Code.NONODE),
    ((OpCode.setData, SetDataRequest("a", b"", -1)), Code.BADARGUMENTS),
    ((OpCode.setData, SetDataRequest("/a/", b"", -1)), Code.BADARGUMENTS),
    ((OpCode.setData, SetDataRequest("", b"", -1)), Code.BADARGUMENTS),
    ((OpCode.setACL, SetACLRequest("a", OPEN, -1)), Code.BADARGUMENTS),
    ((OpCode.check, CheckVersionRequest("a", -1)), Code.BADARGUMENTS),  # check outside a multi, too
    ((OpCode.getData, GetDataRequest("a", False)), Code.NONODE),
    ((OpCode.getData, GetDataRequest("/a/", False)), Code.NONODE),
    ((OpCode.exists, ExistsRequest("a", False)), Code.NONODE),
    ((OpCode.getChildren, GetChildrenRequest("a", False)), Code.NONODE),
    ((OpCode.getData, GetDataRequest("", False)), Code.OK),  # "" is the root's key in the tree
    # /zookeeper and its system children cannot be deleted; 3.8 (and 3.5.7) let you create under it
    ((OpCode.delete, DeleteRequest("/zookeeper", -1)), Code.BADARGUMENTS),
    ((OpCode.delete, DeleteRequest("/zookeeper/quota", -1)), Code.BADARGUMENTS),
    ((OpCode.delete, DeleteRequest("/zookeeper/config", -1)), Code.BADARGUMENTS),
    ((OpCode.delete, DeleteRequest("/", -1)), Code.BADARGUMENTS),
    ((OpCode.setData, SetDataRequest("/zookeeper/config", b"x", -1)), Code.NOAUTH),
    (_create("/zookeeper"), Code.NODEEXISTS),
    (_create("/zookeeper/x"), Code.OK),
    (_create("/zookeeper/quota/y"), Code.OK),
    ((OpCode.delete, DeleteRequest("/zookeeper/x", -1)), Code.OK),
]


@pytest.mark.parametrize("kind", KINDS)
def test_paths(servers, kind):
    wrong = []
    with raw(servers[kind]) as c:
        c.connect()
        for (op, record), expected in PATHS:
            hdr, _ = c.request(op, record)
            if hdr.err != int(expected):
                wrong.append("op %d %r: got %d, want %d (%s)" % (op, record.path, hdr.err, expected, expected.name))
    assert not wrong, "%s server:\n%s" % (kind, "\n".join(wrong))


# -- malformed bodies -------------------------------------------------------------------------

MALFORMED = [
    ("create-empty", OpCode.create, b"", Code.MARSHALLINGERROR),
    ("create-truncated", OpCode.create, CreateRequest("/t", b"abc", OPEN, 0).to_bytes()[:-3], Code.MARSHALLINGERROR),
    ("create-huge-string-length", OpCode.create, _INT.pack(0x7FFFFFF0) + b"/x", Code.MARSHALLINGERROR),
    ("create-negative-string-length", OpCode.create, _INT.pack(-5) + b"\0" * 20, Code.MARSHALLINGERROR),
    ("create-huge-acl-vector", OpCode.create, pstr("/hv") + _INT.pack(-1) + _INT.pack(0x7FFFFFFF),
     Code.MARSHALLINGERROR),
    ("create-empty-acl", OpCode.create, CreateRequest("/ea", b"", [], 0).to_bytes(), Code.INVALIDACL),
    ("create-unknown-scheme", OpCode.create, CreateRequest("/bs", b"", [ACL(31, Id("nope", "x"))], 0).to_bytes(),
     Code.INVALIDACL),
    ("create-bad-flags", OpCode.create, CreateRequest("/bf", b"", OPEN, 99).to_bytes(), Code.BADARGUMENTS),
    ("createTTL-disabled", OpCode.createTTL, CreateTTLRequest("/ttl", b"", OPEN, 5, 100).to_bytes(),
     Code.UNIMPLEMENTED),
    ("getData-empty", OpCode.getData, b"", Code.MARSHALLINGERROR),
    ("getData-no-watch-flag", OpCode.getData, pstr("/"), Code.MARSHALLINGERROR),
    ("getData-invalid-utf8", OpCode.getData, _INT.pack(2) + b"\xff\xfe" + b"\0", Code.NONODE),
    ("exists-empty", OpCode.exists, b"", Code.MARSHALLINGERROR),
    ("setData-empty", OpCode.setData, b"", Code.MARSHALLINGERROR),
    ("delete-empty", OpCode.delete, b"", Code.MARSHALLINGERROR),
    ("multi-empty", OpCode.multi, b"", Code.MARSHALLINGERROR),
    ("multi-garbage", OpCode.multi, b"\x00\x00\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff", Code.MARSHALLINGERROR),
    ("multi-unknown-op", OpCode.multi, MultiHeader(77, False, -1).to_bytes() + MultiHeader(-1, True, -1).to_bytes(),
     Code.MARSHALLINGERROR),
    ("setACL-empty", OpCode.setACL, b"", Code.MARSHALLINGERROR),
    ("sync-empty", OpCode.sync, b"", Code.MARSHALLINGERROR),
    ("getACL-empty", OpCode.getACL, b"", Code.MARSHALLINGERROR),
    ("setWatches-empty", OpCode.setWatches, b"", Code.MARSHALLINGERROR),
    ("checkWatches-empty", OpCode.checkWatches, b"", Code.MARSHALLINGERROR),
    ("removeWatches-empty", OpCode.removeWatches, b"", Code.MARSHALLINGERROR),
    ("addWatch-empty", OpCode.addWatch, b"", Code.MARSHALLINGERROR),
    ("addWatch-bad-mode", OpCode.addWatch, pstr("/") + _INT.pack(7), Code.MARSHALLINGERROR),
    ("createSession-in-session-no-body", OpCode.createSession, b"", Code.MARSHALLINGERROR),
    ("auth-digest-without-colon", OpCode.auth, _INT.pack(0) + pstr("digest") + _INT.pack(3) + b"abc", Code.OK),
    ("sasl", OpCode.sasl, _INT.pack(3) + b"abc", Code.OK),
    ("getChildren2-trailing-garbage", OpCode.getChildren2, GetChildren2Request("/", False).to_bytes() + b"junk",
     Code.OK),
]


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_bodies_get_an_error_and_the_connection_stays(servers, kind):
    wrong = []
    for case_id, op, body, expected in MALFORMED:
        with raw(servers[kind]) as c:
            c.connect()
            try:
                hdr, _ = c.request(op, body=body, timeout=10)
            except ConnectionClosed:
                wrong.append("%s: connection closed, want err %d" % (case_id, expected))
                continue
            if hdr.err != int(expected):
                wrong.append("%s: err %d, want %d (%s)" % (case_id, hdr.err, expected, expected.name))
                continue
            # the same connection still answers
            hdr, _ = c.request(OpCode.exists, ExistsRequest("/", False))
            if hdr.err != 0:
                wrong.append("%s: the next request got %d" % (case_id, hdr.err))
    assert not wrong, "%s server:\n%s" % (kind, "\n".join(wrong))


@pytest.mark.parametrize("flags", [0, 1, 4])
@pytest.mark.parametrize("ttl", [-1, -2 ** 63])
def test_create_ttl_without_a_ttl_mode_is_bad_arguments(servers, flags, ttl):
    """A createTTL whose mode is not a TTL one and whose ttl is negative: Java 3.8 takes it and
    then exits, its DataTree unable to make the node; ours took it too, and the reply was never
    sent (the client waited out its time-out). Now it is BADARGUMENTS, and nothing is created."""
    server = servers["python"]
    with raw(server) as c:
        c.connect()
        hdr, _ = c.request(OpCode.createTTL, CreateTTLRequest("/ttl-mode", b"", OPEN, flags, ttl), timeout=10)
        assert hdr.err == int(Code.BADARGUMENTS)
        hdr, _ = c.request(OpCode.exists, ExistsRequest("/ttl-mode", False))
        assert hdr.err == int(Code.NONODE)
    assert_still_serving(server)


@pytest.mark.parametrize("kind", KINDS)
def test_auth_failures_close(servers, kind):
    for body in (b"", _INT.pack(0) + pstr("nope") + _INT.pack(3) + b"abc"):
        with raw(servers[kind]) as c:
            c.connect()
            c.send_request(OpCode.auth, body, xid=-4)
            frames = c.replies_until_closed(10)
            for f in frames:
                hdr, _ = ReplyHeader.decode(f)
                assert (hdr.xid, hdr.err) == (-4, int(Code.AUTHFAILED)), hdr
    assert_still_serving(servers[kind])


def test_standalone_check_does_not_break_restart(tmp_path):
    """Not Java's behaviour: Java 3.5.7 and 3.8 log a top-level check (op 13) as a txn they
    cannot read back ('Unsupported Txn with type=%d13'), so they no longer start, and they
    never answer it. zookeeper_py answers it and reads it back."""
    server = PythonServer(str(tmp_path))
    server.start()
    try:
        with raw(server) as c:
            c.connect()
            hdr, body = c.request(OpCode.check, CheckVersionRequest("/", -1))
            assert hdr.err == 0
            assert SetDataResponse.decode(body)[0].stat.numChildren >= 1
            hdr, _ = c.request(OpCode.check, CheckVersionRequest("/", 7))
            assert hdr.err == int(Code.BADVERSION)
            hdr, _ = c.request(OpCode.create, CreateRequest("/after-check", b"", OPEN, 0))
            assert hdr.err == 0
        server.stop(kill=True)
        server.start(timeout=20)
        assert_still_serving(server)
        with raw(server) as c:
            c.connect()
            hdr, _ = c.request(OpCode.exists, ExistsRequest("/after-check", False))
            assert hdr.err == 0
    finally:
        server.stop()


# -- the fuzzer --------------------------------------------------------------------------------

FUZZ_FRAMES = int(os.environ.get("ZK_FUZZ_FRAMES", "10000"))
FUZZ_SEED = int(os.environ.get("ZK_FUZZ_SEED", "20260"))
_NAMES = "abcdefgh"


class Fuzzer:
    """Random request frames: mostly mutated valid requests, some pure noise."""

    def __init__(self, rng):
        self.rng = rng

    def path(self):
        r = self.rng
        depth = r.choice((1, 1, 2))
        return "/fz" + "".join("/" + "".join(r.choice(_NAMES) for _ in range(r.randint(1, 3))) for _ in range(depth))

    def acl(self):
        return [self.rng.choice([
            ACL(31, Id("world", "anyone")), ACL(1, Id("world", "anyone")), ACL(31, Id("auth", "")),
            ACL(31, Id("digest", "u:x")), ACL(31, Id("ip", "127.0.0.1")), ACL(31, Id("bogus", "b")),
            ACL(self.rng.randint(-5, 64), Id("world", "anyone")),
        ]) for _ in range(self.rng.randint(0, 2))]

    def data(self):
        return self.rng.randbytes(self.rng.randint(0, 40))

    def request(self):
        """(opcode, body) of a valid-looking request."""
        r = self.rng
        p = self.path
        makers = [
            lambda: (OpCode.create, CreateRequest(p(), self.data(), self.acl() or OPEN, r.randint(0, 3))),
            lambda: (OpCode.create2, CreateRequest(p(), self.data(), OPEN, r.randint(0, 7))),
            lambda: (OpCode.createContainer, CreateRequest(p(), self.data(), OPEN, 4)),
            lambda: (OpCode.createTTL, CreateTTLRequest(p(), self.data(), OPEN, r.choice((5, 6)), r.randint(-2, 99))),
            lambda: (OpCode.delete, DeleteRequest(p(), r.randint(-2, 2))),
            lambda: (OpCode.exists, ExistsRequest(p(), r.random() < 0.5)),
            lambda: (OpCode.getData, GetDataRequest(p(), r.random() < 0.5)),
            lambda: (OpCode.setData, SetDataRequest(p(), self.data(), r.randint(-2, 2))),
            lambda: (OpCode.getACL, GetACLRequest(p())),
            lambda: (OpCode.setACL, SetACLRequest(p(), self.acl(), r.randint(-2, 2))),
            lambda: (OpCode.getChildren, GetChildrenRequest(p(), r.random() < 0.5)),
            lambda: (OpCode.getChildren2, GetChildren2Request(p(), r.random() < 0.5)),
            lambda: (OpCode.sync, SyncRequest(p())),
            lambda: (OpCode.multi, self.multi()),
            lambda: (OpCode.multiRead, self.multi(read=True)),
            lambda: (OpCode.checkWatches, CheckWatchesRequest(p(), r.randint(0, 4))),
            lambda: (OpCode.removeWatches, RemoveWatchesRequest(p(), r.randint(0, 4))),
            lambda: (OpCode.setWatches, SetWatches(r.randint(0, 9), [p()], [p()], [p()])),
            lambda: (OpCode.getEphemerals, GetEphemeralsRequest(r.choice(("/", "/fz", p())))),
            lambda: (OpCode.getAllChildrenNumber, GetAllChildrenNumberRequest(p())),
            lambda: (OpCode.addWatch, AddWatchRequest(p(), r.randint(0, 2))),
            lambda: (OpCode.reconfig, ReconfigRequest("", "", "", -1)),
            lambda: (OpCode.whoAmI, None),
            lambda: (OpCode.ping, None),
            lambda: (OpCode.sasl, None),
            lambda: (OpCode.createSession, None),
        ]
        op, record = r.choice(makers)()
        if record is None:
            body = r.choice((b"", r.randbytes(4)))
        elif isinstance(record, bytes):
            body = record  # multi bodies are built as bytes
        else:
            body = record.to_bytes()
        return op, body

    def multi(self, read=False):
        r = self.rng
        out = bytearray()
        for _ in range(r.randint(0, 4)):
            if read:
                op, rec = r.choice(((OpCode.getData, GetDataRequest(self.path(), False)),
                                    (OpCode.getChildren, GetChildrenRequest(self.path(), False))))
            else:
                op, rec = r.choice(((OpCode.create, CreateRequest(self.path(), b"m", OPEN, 0)),
                                    (OpCode.delete, DeleteRequest(self.path(), -1)),
                                    (OpCode.setData, SetDataRequest(self.path(), b"s", -1)),
                                    (OpCode.check, CheckVersionRequest(self.path(), r.randint(-1, 1)))))
            out += MultiHeader(op, False, -1).to_bytes() + rec.to_bytes()
        out += MultiHeader(-1, True, -1).to_bytes()
        return bytes(out)

    def mutate(self, body):
        r = self.rng
        roll = r.random()
        if roll < 0.3 or not body:
            return body
        b = bytearray(body)
        if roll < 0.7:
            for _ in range(r.randint(1, 4)):
                b[r.randrange(len(b))] = r.randrange(256)
        elif roll < 0.8:
            del b[r.randrange(len(b)):]
        elif roll < 0.9:
            b += r.randbytes(r.randint(1, 30))
        else:
            b = bytearray(r.randbytes(r.randint(0, 64)))
        return bytes(b)

    def frame(self, xid):
        """(opcode, xid used, frame bytes, framing intact?)."""
        r = self.rng
        op, body = self.request()
        roll = r.random()
        if roll < 0.08:
            op = r.randint(-20, 120)
        elif roll < 0.10:
            op = r.randint(-2 ** 31, 2 ** 31 - 1)
        if r.random() < 0.08:
            xid = r.choice((-8, -4, -2, -1, 0, r.randint(-2 ** 31, 2 ** 31 - 1)))
        payload = RequestHeader(xid, op).to_bytes() + self.mutate(body)
        intact = True
        if r.random() < 0.015:
            payload = payload[:r.randint(0, 7)]  # not even a whole header
        length = len(payload)
        if r.random() < 0.02:
            length = r.choice((-1, -2 ** 31, 2 ** 31 - 1, MAX_BUFFER + 1, length + r.randint(1, 9),
                               max(0, length - r.randint(1, 9))))
            intact = length == len(payload)
        return op, xid, _INT.pack(length) + payload, intact

    def noise_connection(self):
        """(bytes, frame count) for a connection that never sent a valid ConnectRequest."""
        r = self.rng
        roll = r.random()
        if roll < 0.4:
            return r.randbytes(r.randint(0, 200)), 1
        if roll < 0.8:  # a mangled ConnectRequest, then frames
            req = ConnectRequest(r.randint(-1, 1), r.choice((0, 0, r.randint(0, 2 ** 40))), r.randint(-5, 10 ** 6),
                                 r.choice((0, 0, r.randint(0, 2 ** 62))),
                                 r.randbytes(r.choice((16, 16, 0, 3)))).to_bytes()
            req = self.mutate(req + b"\0")
            out = _INT.pack(len(req)) + req
            n = r.randint(0, 5)
            for i in range(n):
                out += self.frame(i + 1)[2]
            return out, n + 1
        n = r.randint(1, 10)
        return b"".join(self.frame(i + 1)[2] for i in range(n)), n


REPLY_CODES = {}  # error code -> replies seen (for the summary line)


def _check_replies(frames, sent_xids, sent_ops, in_sync=True):
    """Every frame is a reply on an xid we sent (or a watch event) with a known error code.

    Once a frame's length was wrong, the server reads the following bytes as other frames,
    so it may answer xids we never sent: then only the error codes are checked.
    """
    problems = []
    for f in frames:
        if len(f) in (36, 37) and OpCode.createSession in sent_ops and f[:4] == b"\0\0\0\0":
            continue  # a ConnectResponse: what Java also answers to a createSession packet with a body
        if len(f) < 16:
            problems.append("short reply frame %r" % f)
            continue
        hdr, _ = ReplyHeader.decode(f)
        REPLY_CODES[hdr.err] = REPLY_CODES.get(hdr.err, 0) + 1
        if hdr.xid == -1 and -1 not in sent_xids:
            if hdr.zxid != -1 or hdr.err != 0:
                problems.append("bad watch event header %r" % (hdr,))
            continue
        if hdr.xid == -2 and OpCode.ping in sent_ops:
            pass  # a ping is answered on xid -2 whatever xid it came with (Java too)
        elif hdr.xid not in sent_xids and in_sync:
            problems.append("reply on xid %d that was never sent (%r)" % (hdr.xid, hdr))
        if hdr.err not in VALID_CODES:
            problems.append("unknown error code %d on xid %d" % (hdr.err, hdr.xid))
    return problems


def _drain(conns, deadline):
    """Read every connection until the server closes it or the deadline passes. conns: list of dicts."""
    sel = selectors.DefaultSelector()
    for c in conns:
        if not c["closed"]:
            c["sock"].setblocking(False)
            sel.register(c["sock"], selectors.EVENT_READ, c)
    while sel.get_map() and time.time() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.time())):
            c = key.data
            try:
                data = c["sock"].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                c["buf"] += data
            else:
                c["closed"] = True
                sel.unregister(c["sock"])
    sel.close()


def _split_frames(buf):
    frames, pos = [], 0
    while len(buf) - pos >= 4:
        n, = _INT.unpack_from(buf, pos)
        if n < 0 or n > 4 * 1024 * 1024:
            return frames, "bad reply length %d" % n
        if len(buf) - pos - 4 < n:
            break
        frames.append(bytes(buf[pos + 4:pos + 4 + n]))
        pos += 4 + n
    return frames, None


class AckedWriter(threading.Thread):
    """A kazoo client that keeps creating /acked/n-... and remembers every acknowledged create."""

    def __init__(self, zk):
        super().__init__(name="acked-writer", daemon=True)
        self.zk = zk
        self.acked = {}
        self.errors = []
        self.stop_event = threading.Event()

    def run(self):
        i = 0
        acl = [make_acl("world", "anyone", read=True), make_digest_acl("tester", "pw", all=True)]
        while not self.stop_event.is_set():
            data = b"acked-%d" % i
            try:
                path = self.zk.create("/acked/n-", data, acl=acl, sequence=True)
                self.acked[path] = data
            except Exception as e:  # the write may or may not have happened: not counted as acked
                self.errors.append(repr(e))
            i += 1
            self.stop_event.wait(0.02)


def test_fuzz_frames_keep_the_server_serving_and_lose_nothing(tmp_path):
    server = PythonServer(str(tmp_path))
    server.start()
    rng = random.Random(FUZZ_SEED)
    fuzzer = Fuzzer(rng)
    zk = KazooClient(hosts=server.address, timeout=20,
                     auth_data=[("digest", "tester:pw")])
    states = []
    zk.add_listener(states.append)
    writer = None
    try:
        zk.start(timeout=15)
        # /acked: anyone may create in it, only tester may delete from it or change its ACL
        zk.create("/acked", b"", acl=[make_acl("world", "anyone", read=True, create=True),
                                       make_digest_acl("tester", "pw", all=True)])
        zk.create("/fz", b"")
        writer = AckedWriter(zk)
        writer.start()

        sent_frames = 0
        conns_total = closed_total = 0
        problems = []
        while sent_frames < FUZZ_FRAMES:
            batch = []
            for _ in range(16):
                c = {"sock": None, "buf": bytearray(), "closed": False, "xids": set(), "ops": set(), "mode": None,
                     "in_sync": True}
                try:
                    rc = RawClient("127.0.0.1", server.client_port, timeout=10)
                except OSError as e:
                    problems.append("cannot connect: %r" % e)
                    continue
                c["sock"] = rc.sock
                if rng.random() < 0.3:
                    c["mode"] = "before-connect"
                    data, n = fuzzer.noise_connection()
                    sent_frames += n
                else:
                    c["mode"] = "after-connect"
                    try:
                        rc.connect()
                    except (ConnectionClosed, OSError) as e:
                        problems.append("valid ConnectRequest from port %d refused: %r (server output in %s)"
                                        % (rc.sock.getsockname()[1], e, server.out_path))
                        rc.close()
                        continue
                    parts = []
                    for i in range(rng.randint(1, 40)):
                        op, xid, frame, intact = fuzzer.frame(i + 1)
                        c["in_sync"] = c["in_sync"] and intact
                        c["xids"].add(xid)
                        c["ops"].add(op)
                        parts.append(frame)
                    sent_frames += len(parts)
                    data = b"".join(parts)
                try:
                    rc.sock.settimeout(5)
                    rc.sock.sendall(data)
                except OSError:
                    c["closed"] = True  # the server closed it while we wrote: fine
                batch.append(c)
            _drain(batch, time.time() + 1.0)
            for c in batch:
                conns_total += 1
                closed_total += c["closed"]
                if c["mode"] == "after-connect":
                    frames, bad = _split_frames(c["buf"])
                    if bad:
                        problems.append(bad)
                    problems += _check_replies(frames, c["xids"], c["ops"], c["in_sync"])
                c["sock"].close()
            # the kazoo client is served all along
            assert zk.exists("/acked") is not None
            assert server.proc.poll() is None, "server died:\n" + server.output_tail()
            assert not problems, "after %d frames (seed %d):\n%s" % (sent_frames, FUZZ_SEED, "\n".join(problems[:20]))

        writer.stop_event.set()
        writer.join(30)
        assert len(writer.acked) > 20, \
            "the writer made little progress: %d (%s)" % (len(writer.acked), writer.errors[:5])
        assert not writer.errors, "kazoo writes failed during the fuzz: %s" % writer.errors[:5]
        assert KazooState.LOST not in states and KazooState.SUSPENDED not in states, states
        assert zk.client_id is not None
        acked = dict(writer.acked)
        # every acknowledged create is there now ...
        children = set(zk.get_children("/acked"))
        missing = [p for p in acked if p.rsplit("/", 1)[1] not in children]
        assert not missing, "acknowledged creates missing before restart: %s" % missing[:10]
    finally:
        if writer is not None:
            writer.stop_event.set()
            writer.join(30)
        try:
            zk.stop()
            zk.close()
        except Exception:
            pass
        alive = server.proc is not None and server.proc.poll() is None
        server.stop(kill=True)  # SIGKILL: what was acknowledged must already be on disk
    assert alive, "the server was not running at the end"

    # ... and after a SIGKILL and restart
    server.start()
    zk = KazooClient(hosts=server.address)
    try:
        zk.start(timeout=15)
        for path, data in acked.items():
            got = zk.exists(path)
            assert got is not None, "acknowledged %s lost across kill -9 + restart" % path
            assert zk.get(path)[0] == data, path
        print("fuzz: %d frames on %d connections (%d closed by the server), replies by error code %s, "
              "%d acked writes kept" % (sent_frames, conns_total, closed_total, dict(sorted(REPLY_CODES.items())),
                                       len(acked)))
    finally:
        zk.stop()
        zk.close()
        server.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_jute_maxbuffer_is_the_limit_of_requests_and_of_the_data_loaded(kind, tmp_path):
    """-Djute.maxbuffer moves jute's length limit (maxbuffer + extrasize, which defaults to
    maxbuffer) that every request, txn log and snapshot record is read under. Raised, a 3 MB znode
    is created, read and loaded again; lowered below what the log holds, the server refuses to
    start. Ours kept 2 x 0xfffff whatever the flag: the create failed with MARSHALLINGERROR, and
    the lowered limit loaded the log."""
    cls = {"python": PythonServer, "java": JavaServer}[kind]
    data = b"z" * 3000000
    server = cls(str(tmp_path / kind), flags=["-Djute.maxbuffer=4000000"])
    server.start()
    try:
        with raw(server) as c:
            c.connect()
            hdr, _ = c.request(OpCode.create, CreateRequest("/big", data, OPEN, 0), timeout=30)
            assert hdr.err == 0, hdr
        server.restart()
        with raw(server) as c:
            c.connect()
            hdr, body = c.request(OpCode.getData, GetDataRequest("/big", False), timeout=30)
            assert hdr.err == 0 and data in body, hdr
    finally:
        server.stop()
    server.flags = ["-Djute.maxbuffer=1000000"]  # a limit of 2,000,000
    code, output = server.run_to_exit()
    assert code == 1, output[-3000:]
    assert "Unreasonable length = 3000000" in output, output[-3000:]


def test_a_client_closing_its_socket_is_logged_at_info(servers):
    """Every client that goes away without closeSession ends its connection this way, so Java
    3.8.1+ logs it at INFO without a stack trace (ZOOKEEPER-4551; 3.5.7, ours before, and Debian's
    3.8.0 at WARN:
    log alerts fired on every client restart). Ours only: the Java here is 3.8.0."""
    server = servers["python"]
    with raw(server) as c:
        c.connect()
        session_id = c.session_id
    marker = "%x" % session_id

    def line():
        found = [ln for ln in server.all_output().splitlines() if marker in ln and "read additional data" in ln]
        return found[0] if found else None

    found = wait_until(line, timeout=10, message="the server's line about the closed socket")
    assert " INFO " in found and " WARN " not in found, found


def test_a_multi_read_that_holds_a_write_answers_as_javas(servers):
    """Java fails a multiRead at its first op that is not a read (MARSHALLINGERROR) and still sends
    the results so far after the header; ours sent the header alone. Compared byte for byte."""
    def multi(*ops):
        return b"".join(MultiHeader(op, False, -1).to_bytes() + rec.to_bytes() for op, rec in ops) + \
            MultiHeader(-1, True, -1).to_bytes()

    bodies = [
        multi((OpCode.setData, SetDataRequest("/", b"x", -1))),
        multi((OpCode.getData, GetDataRequest("/no-such-node", False)),
              (OpCode.setData, SetDataRequest("/", b"x", -1))),
        multi((OpCode.getData, GetDataRequest("/no-such-node", False)),
              (OpCode.getChildren, GetChildrenRequest("/no-such-node", False))),
    ]
    replies = {}
    for kind in KINDS:
        with raw(servers[kind]) as c:
            c.connect()
            replies[kind] = [(hdr.err, body) for hdr, body in (c.request(OpCode.multiRead, body=b) for b in bodies)]
    assert replies["python"] == replies["java"]
    assert replies["python"][0] == (int(Code.MARSHALLINGERROR), MultiHeader(-1, True, -1).to_bytes())
