"""Mirror of org.apache.zookeeper.server.quorum.ReadOnlyRequestProcessor."""

import logging

from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.keeper_exception import Code
from zookeeper_py.proto import ReplyHeader
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ReadOnlyRequestProcessor")

_REFUSED = frozenset((
    OpCode.sync, OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
    OpCode.deleteContainer, OpCode.setData, OpCode.reconfig, OpCode.setACL, OpCode.multi, OpCode.check,
))
_SESSION_OPS = frozenset((OpCode.createSession, OpCode.closeSession))


class ReadOnlyRequestProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.ReadOnlyRequestProcessor: writes get NOTREADONLY."""

    def __init__(self, zks, next_processor):
        super().__init__("ReadOnlyRequestProcessor:%d" % zks.get_server_id(), zks.get_zoo_keeper_server_listener())
        self.zks = zks
        self.next_processor = next_processor
        # Java: unbounded LinkedBlockingQueue. Bound: globalOutstandingLimit + connections (its clients are throttled).
        self.queued_requests = LinkedBlockingQueue()
        self.finished = False

    def run_thread(self):
        death = Request.requestOfDeath
        while not self.finished:
            request = self.queued_requests.get()
            if request is death:
                break
            # A global session's create or close would be a txn of this server's alone (3.6.2+).
            if request.type in _REFUSED or (request.type in _SESSION_OPS and not request.local_session):
                hdr = ReplyHeader(request.cxid, self.zks.get_zk_database().get_data_tree_last_processed_zxid(),
                                  int(Code.NOTREADONLY))
                try:
                    request.cnxn.send_response(hdr, None)
                except OSError as e:
                    LOG.error("IO exception while sending response", exc_info=e)
                continue
            if self.next_processor is not None:
                self.next_processor.process_request(request)
        LOG.info("ReadOnlyRequestProcessor exited loop!")

    def process_request(self, request):
        if not self.finished:
            self.queued_requests.put(request)

    def shutdown(self):
        self.finished = True
        self.queued_requests.put(Request.requestOfDeath)
        self.next_processor.shutdown()
