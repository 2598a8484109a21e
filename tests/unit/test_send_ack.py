"""SendAckRequestProcessor: a follower's acks to the leader, and what it logs when the
connection to the leader is gone."""

import logging
import socket

from zookeeper_py.server.quorum.learner import Learner
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
