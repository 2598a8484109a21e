"""Mirror of org.apache.zookeeper.server.quorum.ObserverRequestProcessor."""

import logging
import queue

from zookeeper_py.server.quorum.follower_request_processor import forward_learner_request, queue_with_upgrade
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperCriticalThread

LOG = logging.getLogger("ObserverRequestProcessor")


class ObserverRequestProcessor(ZooKeeperCriticalThread, RequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.ObserverRequestProcessor: as the follower's, for observers."""

    def __init__(self, zks, next_processor):
        super().__init__("ObserverRequestProcessor:%d" % zks.get_server_id(), zks.get_zoo_keeper_server_listener())
        self.zks = zks
        self.next_processor = next_processor
        self.queued_requests = queue.SimpleQueue()  # Java: unbounded LinkedBlockingQueue
        self.finished = False

    def run_thread(self):
        death = Request.requestOfDeath
        take = self.queued_requests.get
        zks = self.zks
        while not self.finished:
            request = take()
            if request is death:
                break
            self.next_processor.process_request(request)
            forward_learner_request(zks, zks.get_observer(), request)
        LOG.info("ObserverRequestProcessor exited loop!")

    def process_request(self, request):
        if not self.finished:
            queue_with_upgrade(self.zks, self.queued_requests, request, LOG)

    def shutdown(self):
        LOG.info("Shutting down")
        self.finished = True
        self.queued_requests.put(Request.requestOfDeath)
        self.next_processor.shutdown()
