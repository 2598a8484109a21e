"""Mirror of org.apache.zookeeper.server.ContainerManager."""

import logging
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.time import Time
from zookeeper_py.server.ephemeral_type import EphemeralType
from zookeeper_py.server.request import Request
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ContainerManager")


class ContainerManager:
    """Mirror of org.apache.zookeeper.server.ContainerManager.

    Every checkIntervalMs a daemon thread named "ContainerManagerTask" (Java's Timer)
    submits deleteContainer requests for empty containers that once had children (or, with
    maxNeverUsedIntervalMs, never had one for that long) and for TTL nodes without children
    whose mtime is older than their TTL, at most maxPerMinute of them a minute.
    """

    def __init__(self, zk_db, request_processor, check_interval_ms, max_per_minute, max_never_used_interval_ms=0):
        self.zk_db = zk_db
        self.request_processor = request_processor
        self.check_interval_ms = check_interval_ms
        self.max_per_minute = max_per_minute
        self.max_never_used_interval_ms = max_never_used_interval_ms
        self.stop_event = threading.Event()
        self.timer = None
        LOG.info("Using checkIntervalMs=%d maxPerMinute=%d maxNeverUsedIntervalMs=%d",
                 check_interval_ms, max_per_minute, max_never_used_interval_ms)

    @classmethod
    def from_system_properties(cls, zk_db, request_processor):
        """As ZooKeeperServerMain and LeaderZooKeeperServer make it: znode.container.checkIntervalMs,
        maxPerMinute and (3.6+) maxNeverUsedIntervalMs."""
        return cls(zk_db, request_processor,
                   system_properties.get_integer("znode.container.checkIntervalMs", 60000),
                   system_properties.get_integer("znode.container.maxPerMinute", 10000),
                   system_properties.get_long("znode.container.maxNeverUsedIntervalMs", 0))

    def start(self):
        if self.timer is None:
            self.timer = threading.Thread(target=self._run, name="ContainerManagerTask", daemon=True)
            self.timer.start()

    def _run(self):
        # scheduleAtFixedRate(task, interval, interval)
        next_run = Time.current_elapsed_time() + self.check_interval_ms
        while not self.stop_event.wait(max(0, next_run - Time.current_elapsed_time()) / 1000.0):
            next_run += self.check_interval_ms
            try:
                self.check_containers()
            except Exception:
                LOG.error("Error checking containers", exc_info=True)

    def stop(self):
        self.stop_event.set()

    def check_containers(self):
        min_interval_ms = self.get_min_interval_ms()
        for path in self.get_candidates():
            start = Time.current_elapsed_time()
            request = Request(None, 0, 0, OpCode.deleteContainer, path.encode("utf-8"))
            try:
                LOG.info("Attempting to delete candidate container: %s", path)
                self.request_processor.process_request(request)
            except Exception:
                LOG.error("Could not delete container: %s", path, exc_info=True)
            wait_ms = min_interval_ms - (Time.current_elapsed_time() - start)
            if wait_ms > 0 and self.stop_event.wait(wait_ms / 1000.0):
                return

    def get_min_interval_ms(self):
        return 60000 // self.max_per_minute

    def get_candidates(self):
        tree = self.zk_db.get_data_tree()
        candidates = set()
        for path in tree.get_containers():
            node = tree.get_node(path)
            if node is None or node.children:
                continue
            # cversion > 0: a container is not deleted before it had a child, unless (3.6+) it
            # has stayed so longer than maxNeverUsedIntervalMs.
            if node.cversion > 0 or (self.max_never_used_interval_ms != 0
                                     and self.get_elapsed(node) > self.max_never_used_interval_ms):
                candidates.add(path)
        for path in tree.get_ttls():
            node = tree.get_node(path)
            if node is not None and not node.children:
                owner = node.ephemeralOwner
                if EphemeralType.get(owner) is EphemeralType.TTL:
                    ttl = EphemeralType.TTL.get_value(owner)
                    if ttl != 0 and self.get_elapsed(node) > ttl:
                        candidates.add(path)
        return candidates

    def get_elapsed(self, node):
        return Time.current_wall_time() - node.mtime
