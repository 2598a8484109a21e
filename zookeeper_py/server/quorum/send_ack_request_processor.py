"""Mirror of org.apache.zookeeper.server.quorum.SendAckRequestProcessor."""

import logging

from zookeeper_py.server.quorum.quorum_packet import QuorumPacket
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("SendAckRequestProcessor")

ACK = 3  # Leader.ACK


class LeaderConnectionClosed(OSError):
    """Learner.write_packet after close_socket: the failure that closed the connection was
    logged already."""


class SendAckRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.SendAckRequestProcessor (Flushable).

    After the follower logged a txn: an ACK to the leader, buffered; flush() (called
    by SyncRequestProcessor once per batch) sends them all in one write.
    """

    def __init__(self, learner):
        self.learner = learner

    def process_request(self, si):
        if si.type != OpCode.sync:
            self._write(QuorumPacket(ACK, si.hdr.zxid, None, None), False)

    def flush(self):
        self._write(None, True)

    def _write(self, pp, flush):
        try:
            self.learner.write_packet(pp, flush)
        except LeaderConnectionClosed:
            # Every ack still queued when the connection went fails the same way: the failure
            # that closed it was logged once (ours logged a traceback per queued ack, 150 at a time).
            LOG.debug("Not sending %s: the connection to the leader is closed", "an ack" if pp else "a flush")
        except OSError as e:
            LOG.warning("Closing connection to leader, exception during packet send", exc_info=e)
            self._close()

    def _close(self):
        try:
            self.learner.close_socket()
        except OSError as e1:
            LOG.debug("Ignoring error closing the connection", exc_info=e1)

    def shutdown(self):
        pass
