"""Mirror of org.apache.zookeeper.server.ZooKeeperServerListener and its Impl."""

import logging

LOG = logging.getLogger("ZooKeeperServerListenerImpl")


class ZooKeeperServerListener:
    """Mirror of org.apache.zookeeper.server.ZooKeeperServerListener."""

    def notify_stopping(self, thread_name, exit_code):
        raise NotImplementedError


class ZooKeeperServerListenerImpl(ZooKeeperServerListener):
    """Mirror of org.apache.zookeeper.server.ZooKeeperServerListenerImpl: a dead critical thread -> ERROR."""

    def __init__(self, zk_server):
        self.zk_server = zk_server

    def notify_stopping(self, thread_name, exit_code):
        LOG.info("Thread %s exits, error code %d", thread_name, exit_code)
        # cycle: zoo_keeper_server_listener -> zoo_keeper_server -> zoo_keeper_server_listener
        from zookeeper_py.server.zoo_keeper_server import State

        self.zk_server.set_state(State.ERROR)


class ZooKeeperServerShutdownHandler:
    """Mirror of org.apache.zookeeper.server.ZooKeeperServerShutdownHandler: ERROR/SHUTDOWN releases main."""

    def __init__(self, shutdown_latch):
        self.shutdown_latch = shutdown_latch  # a threading.Event

    def handle(self, state):
        # cycle: zoo_keeper_server_listener -> zoo_keeper_server -> zoo_keeper_server_listener
        from zookeeper_py.server.zoo_keeper_server import State

        if state in (State.ERROR, State.SHUTDOWN):
            self.shutdown_latch.set()
