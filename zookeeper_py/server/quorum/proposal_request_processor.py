"""Mirror of org.apache.zookeeper.server.quorum.ProposalRequestProcessor."""

import logging

from zookeeper_py.server.quorum.ack_request_processor import AckRequestProcessor
from zookeeper_py.server.quorum.leader import XidRolloverException
from zookeeper_py.server.quorum.learner_sync_request import LearnerSyncRequest
from zookeeper_py.server.request_processor import RequestProcessor, RequestProcessorException
from zookeeper_py.server.sync_request_processor import SyncRequestProcessor
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ProposalRequestProcessor")


class ProposalRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.ProposalRequestProcessor.

    On the leader, inline on the ProcessThread: every request goes to the
    CommitProcessor; a txn is also proposed to the followers and logged here
    (SyncRequestProcessor, then the leader's own ACK). A sync from a learner goes to
    Leader.processSync instead.
    """

    def __init__(self, zks, next_processor):
        self.zks = zks
        self.next_processor = next_processor
        ack_processor = AckRequestProcessor(zks.get_leader())
        self.sync_processor = SyncRequestProcessor(zks, ack_processor)

    def initialize(self):
        self.sync_processor.start()

    def process_request(self, request):
        if isinstance(request, LearnerSyncRequest):
            self.zks.get_leader().process_sync(request)
        else:
            self.next_processor.process_request(request)
            if request.type == OpCode.sync:
                self.zks.get_leader().process_sync(request)  # a local sync: see LeaderZooKeeperServer
            elif request.hdr is not None:
                # We need to sync and get consensus on any transactions

                try:
                    self.zks.get_leader().propose(request)
                except XidRolloverException as e:
                    raise RequestProcessorException(str(e)) from e
                self.sync_processor.process_request(request)

    def shutdown(self):
        LOG.info("Shutting down")
        self.next_processor.shutdown()
        self.sync_processor.shutdown()
