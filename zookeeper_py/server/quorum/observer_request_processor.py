"""Mirror of org.apache.zookeeper.server.quorum.ObserverRequestProcessor."""

import logging

from zookeeper_py.server.quorum.follower_request_processor import FollowerRequestProcessor

LOG = logging.getLogger("ObserverRequestProcessor")


class ObserverRequestProcessor(FollowerRequestProcessor):
    """Mirror of org.apache.zookeeper.server.quorum.ObserverRequestProcessor.

    The observer's first stage; Java's class is a copy of the follower's with the
    observer as the learner that forwards.
    """

    JAVA_NAME = "ObserverRequestProcessor"
    log = LOG

    def get_learner(self):
        return self.zks.get_observer()
