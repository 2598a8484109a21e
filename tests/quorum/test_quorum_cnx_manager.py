"""QuorumCnxManager's queues, in process: a send queue of capacity 1 per peer, a receive queue of 100."""

import queue
import socket
import struct
import threading
import time

from zookeeper_py.server.quorum.quorum_cnx_manager import Message, QuorumCnxManager, SendWorker


class _Peer:
    """The little of QuorumPeer a QuorumCnxManager reads before connecting anywhere."""

    tick_time = 500
    sync_limit = 5
    qv_lock = threading.RLock()

    def get_id(self):
        return 1

    def get_view(self):
        return {}

    def get_last_seen_quorum_verifier(self):
        return None


def _manager():
    return QuorumCnxManager(_Peer(), 1, {}, 2500, False)


def test_send_queue_keeps_only_the_newest_message():
    qcm = _manager()
    q = qcm.queue_send_map.setdefault(2, queue.Queue(QuorumCnxManager.SEND_CAPACITY))
    for i in range(5):
        qcm.add_to_send_queue(q, b"vote%d" % i)
    assert q.qsize() == 1 and q.get_nowait() == b"vote4"
    # Nothing delivered yet: have_delivered is False while every queue holds a message.
    qcm.add_to_send_queue(q, b"again")
    assert not qcm.have_delivered()
    q.get_nowait()
    assert qcm.have_delivered()


def test_receive_queue_drops_the_oldest_when_full():
    qcm = _manager()
    for i in range(QuorumCnxManager.RECV_CAPACITY + 10):
        qcm.add_to_recv_queue(Message(b"m%d" % i, 2))
    assert qcm.recv_queue.qsize() == QuorumCnxManager.RECV_CAPACITY
    first = qcm.poll_recv_queue(100)
    assert first.buffer == b"m10" and first.sid == 2
    # A message to myself loops back to the receive queue without a connection.
    while qcm.poll_recv_queue(1) is not None:
        pass
    qcm.to_send(1, b"to-myself")
    msg = qcm.poll_recv_queue(1000)
    assert (msg.buffer, msg.sid) == (b"to-myself", 1)
    assert qcm.poll_recv_queue(10) is None


def _read_frame(sock):
    sock.settimeout(5)
    head = sock.recv(4)
    n = struct.unpack(">i", head)[0]
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return body


def _wait_for_waiters(bq, n, timeout=5):
    """Until n threads wait in bq.get (the Condition's own list of waiters, in wake-up order)."""
    deadline = time.monotonic() + timeout
    while len(bq.not_empty._waiters) < n:
        assert time.monotonic() < deadline, "%d threads did not come to wait on the queue" % n
        time.sleep(0.001)


def test_a_replaced_send_worker_leaves_the_next_message_to_its_successor():
    """A new connection to a peer replaces the old one (finish()), but the old SendWorker may
    still wait on the peer's send queue: the next vote must go out on the new connection, not
    be taken by the old worker and lost on its closed socket (a rejoining member then waited
    out the election's notification back-off, 1.4 s, for the leader's vote)."""
    qcm = _manager()
    bq = qcm.queue_send_map.setdefault(2, queue.Queue(QuorumCnxManager.SEND_CAPACITY))
    old_ours, old_peer = socket.socketpair()
    new_ours, new_peer = socket.socketpair()
    try:
        old = SendWorker(qcm, old_ours, 2)
        qcm.sender_worker_map[2] = old
        old.start()
        _wait_for_waiters(bq, 1)  # the old worker waits on the queue first, so it is woken first
        old.finish()  # as _start_workers does for the connection it replaces
        new = SendWorker(qcm, new_ours, 2)
        qcm.sender_worker_map[2] = new
        new.start()
        _wait_for_waiters(bq, 2)
        qcm.add_to_send_queue(bq, b"vote")
        assert _read_frame(new_peer) == b"vote"
        old.join(5)
        assert not old.is_alive()
    finally:
        qcm.shutdown = True
        for s in (old_ours, old_peer, new_ours, new_peer):
            s.close()
