"""SendAckRequestProcessor and FollowerRequestProcessor: a follower's acks and forwarded requests
to the leader, and what they log when the connection to the leader is gone."""

import logging
import socket

from tests.support.net import wait_until
from tests.unit.test_prep_request_processor import Recorder
from zookeeper_py.server.quorum.follower_request_processor import FollowerRequestProcessor
from zookeeper_py.server.quorum.learner import Learner
from zookeeper_py.server.quorum.packet_types import REQUEST
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.quorum.send_ack_request_processor import ACK, SendAckRequestProcessor
from zookeeper_py.server.request import Request
from zookeeper_py.txn import TxnHeader
from zookeeper_py.zoo_defs import OpCode


def _logged(zxid):
    hdr = TxnHeader(0x99, 1, zxid, 0, OpCode.create)
    return Request.from_txn(hdr.clientId, hdr.cxid, hdr.type, hdr, None, zxid)


def test_acks_after_the_leader_connection_closed_are_not_each_a_warning(caplog):
    """The acks still queued when the connection to the leader closed all fail: the failure that
    closed it is what tells the operator. Ours logged a WARN with a traceback for each (a follower
    of a restarted leader logged 154 in bursts; Java a handful)."""
    learner = Learner()
    learner.sock, leader_end = socket.socketpair()
    learner.buffered_output = learner.sock.makefile("wb")
    processor = SendAckRequestProcessor(learner)
    try:
        processor.process_request(_logged(1))
        processor.flush()
        leader_end.settimeout(5)
        expected = QuorumPacket(ACK, 1, None, None).to_bytes()
        received = b""
        while len(received) < len(expected):
            received += leader_end.recv(len(expected) - len(received))
        assert received == expected
        learner.close_socket()
        with caplog.at_level(logging.DEBUG, logger="SendAckRequestProcessor"):
            for zxid in range(2, 52):
                processor.process_request(_logged(zxid))
            processor.flush()
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert len([r for r in caplog.records if "connection to the leader is closed" in r.getMessage()]) == 51
    finally:
        leader_end.close()


class _FollowerServer:
    """What FollowerRequestProcessor asks of its FollowerZooKeeperServer, and the listener that
    hears a critical thread die."""

    def __init__(self, learner):
        self.learner = learner
        self.pending_syncs = []
        self.stopping = []

    def get_server_id(self):
        return 1

    def get_zoo_keeper_server_listener(self):
        return self

    def notify_stopping(self, thread_name, exit_code):
        self.stopping.append(thread_name)

    def get_follower(self):
        return self.learner

    def check_upgrade_session(self, request):
        return None


def test_writes_forwarded_after_the_leader_connection_closed_are_not_a_severe_error(caplog):
    """A client write a follower forwards as its leader dies met the closed connection: ours logged
    "Severe unrecoverable error" with a traceback and the thread died (3 of 5 leader kills under
    writes; found by the election re-tester). The learner is shutting down then; the failure that
    closed the connection was logged already."""
    learner = Learner()
    learner.sock, leader_end = socket.socketpair()
    learner.buffered_output = learner.sock.makefile("wb")
    server = _FollowerServer(learner)
    commit = Recorder()  # the CommitProcessor
    processor = FollowerRequestProcessor(server, commit)
    processor.start()
    try:
        processor.process_request(Request(None, 0x42, 1, OpCode.setData, b"body"))
        leader_end.settimeout(5)
        packet = leader_end.recv(4096)
        assert packet[:4] == REQUEST.to_bytes(4, "big")  # QuorumPacket: its type first
        learner.close_socket()
        with caplog.at_level(logging.DEBUG, logger="FollowerRequestProcessor"):
            for cxid in range(2, 22):
                processor.process_request(Request(None, 0x42, cxid, OpCode.setData, b"body"))
            wait_until(lambda: len(commit.requests) == 21, message="the requests reached the CommitProcessor")
            wait_until(lambda: len([r for r in caplog.records if "connection to the leader is closed"
                                    in r.getMessage()]) == 20, message="20 requests not forwarded")
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert processor.is_alive() and server.stopping == []
    finally:
        processor.shutdown()
        processor.join(5)
        leader_end.close()
    assert not processor.is_alive()
