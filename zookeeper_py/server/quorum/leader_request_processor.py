"""Mirror of org.apache.zookeeper.server.quorum.LeaderRequestProcessor."""

import logging

from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.txn import ErrorTxn
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("LeaderRequestProcessor")


class LeaderRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.LeaderRequestProcessor.

    The leader's first stage (inline): an ephemeral create on a local session first
    queues the session's upgrade to a global one.
    """

    def __init__(self, zks, next_processor):
        self.lzks = zks
        self.next_processor = next_processor

    def process_request(self, request):
        upgrade_request = None
        try:
            upgrade_request = self.lzks.check_upgrade_session(request)
        except KeeperException as ke:
            if request.hdr is not None:
                LOG.debug("Updating header")
                request.hdr.type = OpCode.error
                request.txn = ErrorTxn(int(ke.code()))
            request.e = ke
            LOG.info("Error creating upgrade request %s", ke)
        except (IOError, ValueError) as ie:
            LOG.error("Unexpected error in upgrade", exc_info=ie)
        if upgrade_request is not None:
            self.next_processor.process_request(upgrade_request)
        self.next_processor.process_request(request)

    def shutdown(self):
        LOG.info("Shutting down")
        self.next_processor.shutdown()
