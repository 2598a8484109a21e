"""NIOServerCnxn's frame decoder and four-letter-word detection.

read_frame and four_letter_word_code are functions of the bytes alone, tested first as
such. Then the loop around them, process_input(), on a real NIOServerCnxn (on one end of a
loopback socket pair, its factory and selector thread made but never started): bytes put
in inbuf, process_input() called, and the frames it hands to the server recorded."""

import socket
import struct

import pytest

from zookeeper_py.common import system_properties
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands
from zookeeper_py.server.expiry_queue import ExpiryQueue
from zookeeper_py.server.nio_server_cnxn import (
    FRAMES_PER_ROUND,
    NIOServerCnxn,
    four_letter_word_code,
    outgoing_water_marks,
    read_frame,
)
from zookeeper_py.server.nio_server_cnxn_factory import NIOServerCnxnFactory, SelectorThread
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.server.zoo_keeper_server import State, ZooKeeperServer


class Server(ZooKeeperServer):
    """The next stage: records the frames the connection hands over."""

    def __init__(self):
        super().__init__()
        self.connects = []
        self.packets = []
        self.count_in_flight = False  # each packet a request awaiting its reply, as the real server counts

    def process_packet(self, cnxn, frame, batch=None):
        self.packets.append(frame)
        if self.count_in_flight:
            cnxn.incr_outstanding_requests(1)

    def process_connect_request(self, cnxn, frame, batch=None):
        self.connects.append(frame)



@pytest.fixture
def conn():
    server_sock = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server_sock.getsockname())
    sock, _ = server_sock.accept()
    factory = NIOServerCnxnFactory()
    factory.outgoing_high_water_mark, factory.outgoing_low_water_mark = outgoing_water_marks()
    factory.max_buffer = 1000
    zks = Server()
    zks.set_zk_database(ZKDatabase(None))
    zks.set_state(State.RUNNING)
    FourLetterCommands.reset_white_list()
    selector_thread = SelectorThread(factory, 0)
    cnxn = NIOServerCnxn(zks, sock, factory, selector_thread)
    factory.cnxn_expiry_queue = ExpiryQueue(factory.sessionless_cnxn_timeout)  # as configure() makes it
    factory.add_cnxn(cnxn)
    cnxn.client = client
    yield cnxn
    FourLetterCommands.reset_white_list()
    selector_thread.selector.close()
    selector_thread.waker.close()
    for s in (sock, client, server_sock):
        s.close()


def frame(body):
    return struct.pack(">i", len(body)) + body


def test_read_frame_by_itself():
    stream = bytearray(frame(b"abc") + frame(b"") + frame(b"defgh"))
    assert read_frame(stream, 0, 100) == (b"abc", 7)
    assert read_frame(stream, 7, 100) == (b"", 11)
    assert read_frame(stream, 11, 100) == (b"defgh", len(stream))
    assert read_frame(stream, len(stream), 100) == (None, len(stream))
    for cut in range(len(frame(b"defgh"))):  # not all in yet, wherever the bytes stop
        assert read_frame(stream[:11 + cut], 11, 100) == (None, 11)


def test_read_frame_length_limits():
    assert read_frame(frame(b"x" * 100), 0, 100) == (b"x" * 100, 104)  # jute.maxbuffer itself is allowed
    for length in (-1, 101):
        with pytest.raises(IOError, match="Len error %d" % length):
            read_frame(struct.pack(">i", length), 0, 100)  # as soon as the length is in


def test_four_letter_word_code():
    assert four_letter_word_code(b"ruok") == struct.unpack(">i", b"ruok")[0]
    assert four_letter_word_code(b"srvr\n") == struct.unpack(">i", b"srvr")[0]
    assert four_letter_word_code(b"abcd") is None  # not a word: a frame length
    assert four_letter_word_code(b"ruo") is None  # not all in
    assert four_letter_word_code(frame(b"connect")) is None


def feed(cnxn, data):
    cnxn.inbuf += data
    cnxn.process_input()


def test_frames_split_anywhere(conn):
    stream = frame(b"connect") + frame(b"one") + frame(b"") + frame(b"three")
    for i in range(len(stream)):  # one byte at a time: a frame is handed over only when complete
        feed(conn, stream[i:i + 1])
    assert conn.zk_server.connects == [b"connect"]  # the first frame is the ConnectRequest
    assert conn.zk_server.packets == [b"one", b"", b"three"]
    assert conn.inbuf == bytearray()


def test_partial_frame_stays_buffered(conn):
    feed(conn, frame(b"connect") + frame(b"abcdef")[:7])
    assert conn.zk_server.packets == [] and bytes(conn.inbuf) == frame(b"abcdef")[:7]
    assert not conn.has_pending_frame()
    feed(conn, b"def")
    assert conn.zk_server.packets == [b"abcdef"]


def test_at_most_frames_per_round(conn):
    conn.reply_size = 100  # small replies: the requests in flight are not what limits the round
    feed(conn, frame(b"connect"))
    feed(conn, b"".join(frame(b"%d" % i) for i in range(FRAMES_PER_ROUND + 5)))
    assert len(conn.zk_server.packets) == FRAMES_PER_ROUND
    assert conn.has_pending_frame()  # the selector gives the rest their own turn
    conn.process_input()
    assert conn.zk_server.packets[-1] == b"%d" % (FRAMES_PER_ROUND + 4)


def test_requests_in_flight_are_capped_by_the_size_of_recent_replies(conn):
    conn.zk_server.count_in_flight = True
    feed(conn, frame(b"connect"))
    feed(conn, b"".join(frame(b"%d" % i) for i in range(20)))
    assert len(conn.zk_server.packets) == 8  # a new connection: an eighth of the high-water mark a reply
    assert conn.in_flight_full and not conn.get_read_interest()
    conn.process_input()
    assert len(conn.zk_server.packets) == 8  # nothing more until replies come
    replies = 0
    while conn.in_flight_full:  # small replies: the guess shrinks by an eighth each
        conn._enqueue((b"r" * 100,), 100, True, None)
        replies += 1
    # After 3, the cap is 11 and 5 are in flight: half the cap, so reading resumes.
    assert replies == 3 and conn.in_flight_cap() == 11 and conn.get_read_interest()
    conn.process_input()
    assert len(conn.zk_server.packets) == 14 and conn.in_flight_full  # 6 more: 11 in flight
    big = conn.high_water_mark // 2
    conn._enqueue((b"r" * big,), big, True, None)  # a large reply: 2 fit the mark, 10 are in flight
    assert conn.in_flight_cap() == 2 and conn.in_flight_full
    conn.process_input()
    assert len(conn.zk_server.packets) == 14


@pytest.mark.parametrize("length", [-1, 1001, 0x7FFFFFFF])
def test_bad_length_is_an_error(conn, length):
    feed(conn, frame(b"connect"))
    with pytest.raises(IOError, match="Len error %d" % length):
        feed(conn, struct.pack(">i", length))


def test_server_not_running(conn):
    conn.zk_server.set_state(State.SHUTDOWN)
    with pytest.raises(IOError, match="ZooKeeperServer not running"):
        feed(conn, frame(b"connect"))


def _reply(cnxn):
    """What the client reads until the connection closes it (a 4lw answers, then closes)."""
    cnxn.client.settimeout(5)
    data = b""
    while True:
        chunk = cnxn.client.recv(4096)
        if not chunk:
            assert cnxn.closed
            return data
        data += chunk


def test_four_letter_word_instead_of_connect(conn):
    feed(conn, b"srvr")  # the one word 3.5.7 enables by default
    assert conn.four_letter_word and not conn.get_read_interest()  # read nothing more
    assert _reply(conn).startswith(b"Zookeeper version: ")
    assert conn.zk_server.connects == []


def test_four_letter_word_not_whitelisted(conn):
    feed(conn, b"stat")
    assert _reply(conn) == b"stat is not executed because it is not in the whitelist.\n"


def test_whitelisted_word_runs(conn):
    system_properties.set_property("zookeeper.4lw.commands.whitelist", "stat, ruok")
    try:
        feed(conn, b"ruok")
        assert _reply(conn) == b"imok"
    finally:
        system_properties.clear_property("zookeeper.4lw.commands.whitelist")


def test_stmk_waits_for_its_mask(conn):
    system_properties.set_property("zookeeper.4lw.commands.whitelist", "stmk")
    try:
        feed(conn, b"stmk\0\0\0\0\0\0")
        assert not conn.four_letter_word and conn.zk_server.connects == []  # 8 mask bytes not there yet
        feed(conn, b"\0\x02")
        assert conn.four_letter_word
        assert _reply(conn) == b"2"  # the new trace mask
    finally:
        system_properties.clear_property("zookeeper.4lw.commands.whitelist")


def test_four_letters_after_connect_are_a_length(conn):
    feed(conn, frame(b"connect"))
    with pytest.raises(IOError, match="Len error %d" % struct.unpack(">i", b"ruok")[0]):
        feed(conn, b"ruok")


def test_unknown_word_is_a_length():
    assert FourLetterCommands.is_known(struct.unpack(">i", b"ruok")[0])
    assert not FourLetterCommands.is_known(struct.unpack(">i", b"abcd")[0])
    assert FourLetterCommands.get_command_string(struct.unpack(">i", b"mntr")[0]) == "mntr"
