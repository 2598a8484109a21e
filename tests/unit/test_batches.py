"""The explicit batching seams of the hot path: ReplyBatch and SubmitBatch.

A reply sent through a ReplyBatch is queued on its connection and reaches the client
only when the batch is flushed; a reply sent without one goes out at once. Requests
submitted into a SubmitBatch reach the first processor only on flush(), in order.
Real NIOServerCnxn on a loopback TCP socket (factory and selector thread made, not
started), a real FinalRequestProcessor and ZooKeeperServer with an in-memory database."""

import select
import socket
import struct

import pytest

from tests.support.net import wait_until
from zookeeper_py.proto import ReplyHeader
from zookeeper_py.server.expiry_queue import ExpiryQueue
from zookeeper_py.server.final_request_processor import PING_XID, FinalRequestProcessor
from zookeeper_py.server.nio_server_cnxn import NIOServerCnxn, outgoing_water_marks
from zookeeper_py.server.nio_server_cnxn_factory import NIOServerCnxnFactory, SelectorThread
from zookeeper_py.server.reply_batch import ReplyBatch
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zk_database import ZKDatabase
from zookeeper_py.server.zoo_keeper_server import State, SubmitBatch, ZooKeeperServer
from zookeeper_py.zoo_defs import OpCode

_REPLY = struct.Struct(">iiqi")  # frame length, ReplyHeader(xid, zxid, err)
QUIET = 0.3  # how long the client listens to show that nothing was sent


@pytest.fixture
def conn():
    server_sock = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server_sock.getsockname())
    sock, _ = server_sock.accept()
    sock.setblocking(False)
    factory = NIOServerCnxnFactory()
    factory.outgoing_high_water_mark, factory.outgoing_low_water_mark = outgoing_water_marks()
    zks = ZooKeeperServer()
    zks.set_zk_database(ZKDatabase(None))
    zks.set_state(State.RUNNING)
    selector_thread = SelectorThread(factory, 0)
    cnxn = NIOServerCnxn(zks, sock, factory, selector_thread)
    factory.cnxn_expiry_queue = ExpiryQueue(factory.sessionless_cnxn_timeout)
    factory.add_cnxn(cnxn)
    cnxn.initialized = True
    cnxn.client = client
    yield cnxn
    selector_thread.selector.close()
    selector_thread.waker.close()
    for s in (sock, client, server_sock):
        s.close()


def nothing_sent(client):
    readable, _, _ = select.select([client], [], [], QUIET)
    return not readable


def read_replies(client, n):
    """n framed replies as (xid, zxid, err), waiting for them with a deadline."""
    data = bytearray()
    client.settimeout(0.1)

    def have_all():
        try:
            data.extend(client.recv(65536))
        except socket.timeout:
            pass
        return len(data) >= n * _REPLY.size

    wait_until(have_all, timeout=10, message="%d replies on the wire" % n)
    assert len(data) == n * _REPLY.size
    return [_REPLY.unpack_from(data, i * _REPLY.size)[1:] for i in range(n)]


def test_reply_through_a_batch_waits_for_flush(conn):
    batch = ReplyBatch()
    conn.send_response(ReplyHeader(1, 7, 0), None, "response", batch)
    conn.send_response(ReplyHeader(2, 8, 0), None, "response", batch)
    assert nothing_sent(conn.client)
    assert list(batch.cnxns) == [conn]  # added once: the second reply found the queue not empty
    batch.flush()
    assert read_replies(conn.client, 2) == [(1, 7, 0), (2, 8, 0)]
    assert not batch.cnxns and not conn.outgoing


def test_reply_without_a_batch_goes_at_once(conn):
    conn.send_response(ReplyHeader(3, 9, 0), None)
    assert read_replies(conn.client, 1) == [(3, 9, 0)]


def test_watch_event_behind_a_batched_reply_keeps_its_place(conn):
    """A write without a batch (a watch event) behind a queued reply does not overtake it."""
    batch = ReplyBatch()
    conn.send_response(ReplyHeader(4, 10, 0), None, "response", batch)
    conn.send_response(ReplyHeader(-1, -1, 0), None)
    assert nothing_sent(conn.client)
    batch.flush()
    assert read_replies(conn.client, 2) == [(4, 10, 0), (-1, -1, 0)]


def test_final_request_processor_replies_on_flush(conn):
    final = FinalRequestProcessor(conn.zk_server)
    final.process_request(Request(conn, 0x1234, PING_XID, OpCode.ping))
    assert nothing_sent(conn.client)
    final.flush()
    assert read_replies(conn.client, 1) == [(PING_XID, 0, 0)]


def test_final_request_processor_uses_the_requests_batch(conn):
    """A request that names its thread's batch (CommitProcessor's workers) is written by that batch."""
    final = FinalRequestProcessor(conn.zk_server)
    worker_batch = ReplyBatch()
    request = Request(conn, 0x1234, PING_XID, OpCode.ping)
    request.reply_batch = worker_batch
    final.process_request(request)
    final.flush()  # FinalRequestProcessor's own batch: not this reply's
    assert nothing_sent(conn.client)
    worker_batch.flush()
    assert read_replies(conn.client, 1) == [(PING_XID, 0, 0)]


class Recorder(RequestProcessor):
    def __init__(self):
        self.handed = []

    def process_request(self, request):
        self.handed.append(request)


def test_submit_batch_hands_on_in_order_on_flush():
    zks = ZooKeeperServer()
    zks.set_zk_database(ZKDatabase(None))
    zks.first_processor = recorder = Recorder()
    zks.set_state(State.RUNNING)
    batch = SubmitBatch()
    requests = [Request(None, 0, xid, OpCode.getData) for xid in (1, 2, 3)]
    for r in requests:
        zks.submit_request(r, batch)
    assert recorder.handed == []
    batch.flush()
    assert recorder.handed == requests
    now = Request(None, 0, 4, OpCode.getData)
    zks.submit_request(now)  # no batch: at once
    assert recorder.handed[-1] is now
