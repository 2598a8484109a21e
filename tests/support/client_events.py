"""A watcher for our client (zookeeper_py.zookeeper.ZooKeeper) that collects its WatchedEvents.

    events = Events()
    zk = ZooKeeper(address, 15000, events)
    events.wait_state(KeeperState.SaslAuthenticated)
"""

import threading


class Events:
    """Collects the WatchedEvents our client delivers; tests wait for a KeeperState among them."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def __call__(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def wait_state(self, state, timeout=15):
        """Wait until an event with `state` arrived (at once if one already has); AssertionError after timeout."""
        with self.cond:
            if not self.cond.wait_for(lambda: any(e.get_state() == state for e in self.events), timeout):
                raise AssertionError("no %s within %ss: %s" % (state, timeout, self.events))

    def states(self):
        """The KeeperStates of the events so far, in order."""
        with self.cond:
            return [e.get_state() for e in self.events]
