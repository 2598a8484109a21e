"""Structured fuzzing of the client port of a live server (one standalone process for the module).

After a valid ConnectRequest, frames with a RequestHeader of every opcode (and unknown
ones) carry fuzzed bodies: valid records, records with damaged fields, cut bodies,
forged string and vector lengths, random bytes; frames are also sent with forged
lengths, over jute.maxbuffer, pipelined, and cut. ConnectRequests are fuzzed the same
way, and so are the four-letter words (every known word, partial words, garbage after
the word, `stmk` with a short mask).

Each example runs on its own connection. Whatever the server does with it (answer,
error, close), afterwards a new well-behaved client gets an answer within a deadline,
the module's kazoo session still answers, and the process is alive; a complete request
frame is answered or its connection closed, never left hanging. At the end the
server has every thread it started with (from its `kill -QUIT` thread dump), `mntr`
answers, and its log tells of no dead thread.
"""

import socket
import struct

import pytest
from hypothesis import given, strategies as st
from kazoo.client import KazooClient

from tests.fuzz.conftest import (
    ALL_OPCODES,
    HEALTH_DEADLINE,
    KAZOO_RANDOM,
    OTHER_BODIES,
    REQUEST_RECORDS,
    SENTINEL_BODY,
    SENTINEL_XID,
    SERVER_FLAGS,
    LogWatch,
    answered_or_closed,
    assert_serving,
    damaged,
    forged_lengths,
    fuzz_settings,
    int32s,
    lasting_threads,
    mutated,
    paths,
    requests,
    send_ignoring_reset,
    thread_names,
)
from tests.support.net import four_letter_word
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import PythonServer
from zookeeper_py.proto import (
    AddWatchRequest,
    AuthPacket,
    ConnectRequest,
    ConnectResponse,
    ExistsRequest,
    GetChildrenRequest,
    GetDataRequest,
    RequestHeader,
    SetDataRequest,
    SetWatches,
)
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands
from zookeeper_py.zoo_defs import OpCode

pytestmark = [pytest.mark.timeout(600), KAZOO_RANDOM]

MAX_BUFFER = 0xFFFFF
HEALTH_PATH = "/fuzz-health-\u4e2d\u6587"  # no fuzzed path can name it
_INT = struct.Struct(">i")

def test_every_opcode_is_fuzzed():
    missing = [op for op in ALL_OPCODES if op not in REQUEST_RECORDS and op not in OTHER_BODIES]
    assert not missing, "no body strategy for opcodes %s" % missing


# -- the server and its watchers -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = PythonServer(str(tmp_path_factory.mktemp("fuzz-client-port")), extra_cfg={"forceSync": "no"},
                     flags=SERVER_FLAGS)
    s.start()
    yield s
    s.stop(kill=True)


@pytest.fixture(scope="module")
def watch(server):
    """A kazoo session open for the whole module, the server's threads and its log before any fuzzing."""
    zk = KazooClient(hosts=server.address, timeout=30)
    zk.start(timeout=30)
    zk.create(HEALTH_PATH, b"0")
    state = {"kazoo": zk, "threads": thread_names(server), "log": LogWatch(server.out_path), "writes": 0}
    yield state
    zk.stop()
    zk.close()


def healthy(server, watch, write=False):
    """The process is alive, a new client is served, and the module's kazoo session answers."""
    assert_serving(server.client_port, "server after fuzzing", proc=server.proc)
    zk = watch["kazoo"]
    zk.exists_async("/").get(timeout=HEALTH_DEADLINE)
    if write:
        watch["writes"] += 1
        zk.set_async(HEALTH_PATH, str(watch["writes"]).encode()).get(timeout=HEALTH_DEADLINE)


def raw(server):
    return RawClient("127.0.0.1", server.client_port, timeout=HEALTH_DEADLINE)


# -- requests of every opcode ------------------------------------------------------------------------------

@fuzz_settings(1000, live=True)
@given(requests())
def _fuzz_requests(server, watch, request):
    xid, op, body = request
    with raw(server) as c:
        c.connect()
        if send_ignoring_reset(c, _INT.pack(8 + len(body)) + RequestHeader(xid, op).to_bytes() + body):
            outcome = answered_or_closed(c, xid)
            assert outcome is not None, "op %d xid %d body %s: neither answered nor closed in %ss" % (
                op, xid, body.hex(), HEALTH_DEADLINE)
    healthy(server, watch)


def test_fuzz_requests_of_every_opcode(server, watch):
    _fuzz_requests(server, watch)
    healthy(server, watch, write=True)


@fuzz_settings(150, live=True)
@given(st.lists(requests(), min_size=2, max_size=6))
def _fuzz_pipelined(server, watch, reqs):
    frames = b"".join(_INT.pack(8 + len(body)) + RequestHeader(xid, op).to_bytes() + body for xid, op, body in reqs)
    # Then a well-formed exists: once it is answered (or the connection closed) all before it has been handled.
    frames += _INT.pack(8 + len(SENTINEL_BODY)) + RequestHeader(SENTINEL_XID, OpCode.exists).to_bytes() + SENTINEL_BODY
    with raw(server) as c:
        c.connect()
        if send_ignoring_reset(c, frames):
            assert answered_or_closed(c, SENTINEL_XID, exact=True) is not None, (
                "pipelined %r: the exists after them was neither answered nor closed" % (reqs,))
    healthy(server, watch)


def test_fuzz_pipelined_requests(server, watch):
    """Several fuzzed requests in one write: the server splits them as it splits pipelined ones."""
    _fuzz_pipelined(server, watch)
    healthy(server, watch, write=True)


# -- framing --------------------------------------------------------------------------------------------------

@st.composite
def frames(draw):
    """A frame whose length prefix may lie: shorter, longer, negative, over jute.maxbuffer, 2 GiB."""
    xid, op, body = draw(requests())
    payload = RequestHeader(xid, op).to_bytes() + body
    length = draw(st.one_of(st.just(len(payload)), forged_lengths(len(payload)),
                            st.sampled_from([MAX_BUFFER, MAX_BUFFER + 1, MAX_BUFFER + 8, 0, 1, 7, 8])))
    cut = draw(st.one_of(st.none(), st.integers(0, len(payload))))
    return _INT.pack(length) + (payload if cut is None else payload[:cut])


@fuzz_settings(120, live=True)
@given(frames(), st.booleans(), st.booleans())
def _fuzz_frames(server, watch, data, connect_first, then_close):
    with raw(server) as c:
        if connect_first:
            c.connect()
        if send_ignoring_reset(c, data) and not then_close:
            c.closed_by_server(0.1)
    healthy(server, watch)


def test_fuzz_frame_lengths(server, watch):
    _fuzz_frames(server, watch)
    healthy(server, watch, write=True)


@pytest.mark.parametrize("connect_first", [False, True], ids=["before-connect", "after-connect"])
def test_frame_over_maxbuffer_with_its_bytes(server, watch, connect_first):
    """A whole frame one byte over jute.maxbuffer, body and all: the connection closes, nothing else."""
    payload = RequestHeader(1, OpCode.setData).to_bytes() + SetDataRequest(HEALTH_PATH, b"x", -1).to_bytes()
    payload += b"\0" * (MAX_BUFFER + 1 - len(payload))
    with raw(server) as c:
        if connect_first:
            c.connect()
        send_ignoring_reset(c, _INT.pack(len(payload)) + payload)
        assert c.closed_by_server(HEALTH_DEADLINE)
    healthy(server, watch, write=True)


# -- ConnectRequest ---------------------------------------------------------------------------------------------

connect_requests = st.builds(
    ConnectRequest,
    protocolVersion=st.one_of(st.just(0), int32s),
    lastZxidSeen=st.one_of(st.just(0), st.integers(-(1 << 63), (1 << 63) - 1)),
    timeOut=st.one_of(st.just(30000), int32s),
    sessionId=st.one_of(st.just(0), st.integers(-(1 << 63), (1 << 63) - 1)),
    passwd=st.one_of(st.just(bytes(16)), st.none(), st.binary(max_size=40)),
)
connect_payloads = st.tuples(connect_requests, st.sampled_from([b"", b"\0", b"\1", b"\xff", b"\0junk"])).map(
    lambda t: t[0].to_bytes() + t[1])


@fuzz_settings(300, live=True)
@given(damaged(connect_payloads), st.one_of(st.none(), forged_lengths(45)), st.booleans())
def _fuzz_connect(server, watch, payload, length, then_request):
    with raw(server) as c:
        sent = send_ignoring_reset(c, _INT.pack(len(payload) if length is None else length) + payload)
        if sent and (length is None or length == len(payload)):
            try:
                frame = c.read_frame(HEALTH_DEADLINE)
            except ConnectionClosed:
                frame = None
            except socket.timeout:
                pytest.fail("a ConnectRequest %s was neither answered nor closed" % payload.hex())
            if frame is not None and then_request:
                ConnectResponse.decode(frame)
                if send_ignoring_reset(c, _INT.pack(8) + RequestHeader(1, OpCode.getChildren).to_bytes()):
                    answered_or_closed(c, 1)
    healthy(server, watch)


def test_fuzz_connect_requests(server, watch):
    _fuzz_connect(server, watch)
    healthy(server, watch, write=True)


# -- sessions: reconnecting with fuzzed ConnectRequests ------------------------------------------------------

@st.composite
def reconnects(draw, session_id, passwd, last_zxid):
    """A ConnectRequest for a live session: its id, or one next to it; its password, or a damaged one."""
    req = ConnectRequest(
        protocolVersion=draw(st.just(0) | int32s),
        lastZxidSeen=draw(st.sampled_from([0, last_zxid, last_zxid + 1, -1]) | st.integers(-(1 << 63), (1 << 63) - 1)),
        timeOut=draw(st.just(30000) | int32s),
        sessionId=draw(st.sampled_from([session_id, session_id, session_id + 1, -session_id])),
        passwd=draw(st.just(passwd) | st.none() | st.binary(max_size=20) | mutated(passwd)),
    )
    payload = req.to_bytes() + draw(st.sampled_from([b"", b"\0", b"\1"]))
    return draw(st.just(payload) | mutated(payload))


@fuzz_settings(150, live=True)
@given(st.data())
def _fuzz_reconnects(server, watch, data):
    with raw(server) as first:
        rsp = first.connect()
        hdr, _ = first.request(OpCode.exists, ExistsRequest("/", False))
        payload = data.draw(reconnects(rsp.sessionId, rsp.passwd, hdr.zxid))
        with raw(server) as second:
            if send_ignoring_reset(second, _INT.pack(len(payload)) + payload):
                try:
                    frame = second.read_frame(HEALTH_DEADLINE)
                except ConnectionClosed:
                    frame = None
                except socket.timeout:
                    pytest.fail("a reconnect %s was neither answered nor closed" % payload.hex())
                if frame is not None and len(frame) >= 20 and ConnectResponse.decode(frame)[0].timeOut > 0:
                    # The session moved to the second socket: it answers there.
                    if send_ignoring_reset(second, _INT.pack(8 + len(SENTINEL_BODY))
                                           + RequestHeader(SENTINEL_XID, OpCode.exists).to_bytes() + SENTINEL_BODY):
                        assert answered_or_closed(second, SENTINEL_XID, exact=True) is not None
    healthy(server, watch)


def test_fuzz_session_reconnects(server, watch):
    """A live session's id with fuzzed password, timeout, zxid and trailing bytes, from a second socket while
    the first is open: the session moves, or the second is refused; the server carries on."""
    _fuzz_reconnects(server, watch)
    healthy(server, watch, write=True)


# -- four-letter words ---------------------------------------------------------------------------------------------

WORDS = sorted(w for w in FourLetterCommands.cmd2String.values() if len(w) == 4)
TELNET_CLOSE = _INT.pack(FourLetterCommands.telnetCloseCmd)


def _word_bytes(word):
    return word.encode("ascii")


def four_letter_exchange(server, data, shut_wr=True, timeout=HEALTH_DEADLINE):
    """Send bytes as a four-letter-word client does, read to EOF; returns what came back (b"" on reset)."""
    with socket.create_connection(("127.0.0.1", server.client_port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            return b""
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except ConnectionResetError:
            pass
        except socket.timeout:
            return None
        return b"".join(chunks)


def test_every_four_letter_word_answers(server, watch):
    for word in WORDS:
        data = _word_bytes(word) + (struct.pack(">q", 0) if word == "stmk" else b"")
        answer = four_letter_exchange(server, data)
        assert answer or word in ("crst", "srst"), "no answer to %s" % word
        healthy(server, watch)
    healthy(server, watch, write=True)


# Java 3.5.7's CommandExecutor has no command for telnetCloseCmd: checkFourLetterWord returns false and
# readLength throws "Len error" (the code is negative), so the connection closes at once.
def test_telnet_close_closes_the_connection(server, watch):
    assert four_letter_exchange(server, TELNET_CLOSE, timeout=5) == b""
    healthy(server, watch)


@fuzz_settings(120, live=True)
@given(st.sampled_from(WORDS + ["stmk", "telnet"]), st.binary(max_size=40), st.booleans())
def _fuzz_word_garbage(server, watch, word, garbage, shut_wr):
    data = (TELNET_CLOSE if word == "telnet" else _word_bytes(word)) + garbage
    # Without the shutdown a stmk may wait for the rest of its mask.
    four_letter_exchange(server, data, shut_wr=shut_wr, timeout=HEALTH_DEADLINE if shut_wr else 0.5)
    healthy(server, watch)


ODD_CONNECTIONS = ["partial-frame", "half-connect", "stmk-waiting", "partial-word", "connected", "watching",
                   "auth", "closed-session", "flood"]


def open_odd_connection(server, kind, path):
    """A client connection left in an odd state, for the four-letter words that list connections to walk."""
    if kind in ("stmk-waiting", "partial-word", "half-connect"):
        s = socket.create_connection(("127.0.0.1", server.client_port), timeout=HEALTH_DEADLINE)
        s.sendall({"stmk-waiting": b"stmk\0\0\0", "partial-word": b"wc",
                   "half-connect": _INT.pack(45) + ConnectRequest(0, 0, 30000, 0, bytes(16)).to_bytes()[:20]}[kind])
        return s
    c = raw(server)
    c.connect()
    if kind == "partial-frame":
        c.send_raw(_INT.pack(200) + RequestHeader(1, OpCode.getData).to_bytes())
    elif kind == "watching":
        c.request(OpCode.getData, GetDataRequest(path, True))
        c.request(OpCode.getChildren, GetChildrenRequest("/", True))
        c.request(OpCode.exists, ExistsRequest(path, True))
        c.request(OpCode.addWatch, AddWatchRequest(path, 1))
        c.request(OpCode.setWatches, SetWatches(0, [path, "/"], [path], [path]))
    elif kind == "auth":
        c.request(OpCode.auth, AuthPacket(0, "digest", b"fuzz:secret"))
    elif kind == "closed-session":
        c.send_request(OpCode.closeSession)
    elif kind == "flood":  # many requests, none of the replies read: the server stops reading this one
        one = _INT.pack(8 + len(SENTINEL_BODY)) + RequestHeader(1, OpCode.getChildren2).to_bytes() + SENTINEL_BODY
        c.sock.settimeout(0.5)
        try:
            c.send_raw(one * 3000)
        except OSError:
            pass
    return c


@fuzz_settings(30, live=True)
@given(st.lists(st.tuples(st.sampled_from(ODD_CONNECTIONS), paths), min_size=1, max_size=6))
def _fuzz_words_over_odd_connections(server, watch, odd):
    opened = []
    try:
        for kind, path in odd:
            opened.append(open_odd_connection(server, kind, path))
        for word in WORDS:
            mask = struct.pack(">q", 0) if word == "stmk" else b""
            answer = four_letter_exchange(server, _word_bytes(word) + mask)
            assert answer, "no answer to %s with %r open" % (word, odd)
    finally:
        for c in opened:
            c.close()
    healthy(server, watch)


def test_fuzz_four_letter_words_over_odd_connections(server, watch):
    """Every word while other connections are cut short, waiting, watching, authenticated, closing or
    flooding: cons, dump, stat, wchc, wchp, wchs, mntr walk them all and still answer."""
    _fuzz_words_over_odd_connections(server, watch)
    healthy(server, watch, write=True)


def test_fuzz_garbage_after_four_letter_words(server, watch):
    """A word, then anything: the word answers (stmk takes 8 bytes of mask), the rest is ignored."""
    _fuzz_word_garbage(server, watch)
    healthy(server, watch, write=True)


@fuzz_settings(80, live=True)
@given(st.sampled_from(WORDS + ["RUOK", "Srvr", "xxxx"]).flatmap(
    lambda w: st.integers(0, 4).map(lambda n: w.encode("ascii")[:n])), st.booleans())
def _fuzz_partial_words(server, watch, prefix, close_at_once):
    """A word cut short (or an unknown word, which is a frame length): then close, or wait and check others."""
    with socket.create_connection(("127.0.0.1", server.client_port), timeout=HEALTH_DEADLINE) as s:
        s.sendall(prefix)
        if not close_at_once:
            healthy(server, watch)  # while the partial word waits for its last bytes
    healthy(server, watch)


def test_fuzz_partial_and_unknown_words(server, watch):
    _fuzz_partial_words(server, watch)
    healthy(server, watch, write=True)


@pytest.mark.parametrize("n", range(8))
def test_stmk_with_a_short_mask_then_close(server, watch, n):
    """stmk and fewer than 8 bytes of its mask, then the client goes away: the server carries on."""
    with socket.create_connection(("127.0.0.1", server.client_port), timeout=HEALTH_DEADLINE) as s:
        s.sendall(b"stmk" + b"\0" * n)
    healthy(server, watch)


@pytest.mark.parametrize("n", [0, 3, 7])
def test_stmk_waiting_for_its_mask_stalls_nobody(server, watch, n):
    """stmk and part of its mask, and the client stays: other clients are still served meanwhile."""
    s = socket.create_connection(("127.0.0.1", server.client_port), timeout=HEALTH_DEADLINE)
    try:
        s.sendall(b"stmk" + b"\0" * n)
        # No wait needed: the selector finds the stmk readable before the next client's connect.
        assert_serving(server.client_port, "server while a stmk waits for its mask", deadline=5, proc=server.proc)
    finally:
        s.close()
    healthy(server, watch)


# -- at the end ----------------------------------------------------------------------------------------------------

def test_zz_server_is_whole_after_fuzzing(server, watch):
    """Run last (file order): every thread is still there, mntr answers, the log tells of no dead thread."""
    healthy(server, watch, write=True)
    before = lasting_threads(watch["threads"])
    after = lasting_threads(thread_names(server))
    assert before <= after, "threads gone after fuzzing: %s" % sorted(before - after)
    mntr = four_letter_word("127.0.0.1", server.client_port, "mntr")
    assert "zk_server_state\tstandalone" in mntr, mntr
    problems = watch["log"].problems()
    assert not problems, "the log tells of dead threads:\n" + "\n".join(problems[:20])
    assert watch["kazoo"].get(HEALTH_PATH)[0] == str(watch["writes"]).encode()
