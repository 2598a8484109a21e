"""Mirror of org.apache.zookeeper.server.quorum.AckRequestProcessor."""

import logging

from zookeeper_py.server.request_processor import RequestProcessor

LOG = logging.getLogger("AckRequestProcessor")


class AckRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.AckRequestProcessor: the leader's own ACK once logged."""

    def __init__(self, leader):
        self.leader = leader

    def process_request(self, request):
        peer = self.leader.self
        if peer is not None:
            self.leader.process_ack(peer.get_id(), request.zxid, None)
        else:
            LOG.error("Null QuorumPeer")

    def shutdown(self):
        pass
