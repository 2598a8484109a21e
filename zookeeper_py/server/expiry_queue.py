"""Mirror of org.apache.zookeeper.server.ExpiryQueue."""

import threading

from zookeeper_py.common.time import Time


class ExpiryQueue:
    """Mirror of org.apache.zookeeper.server.ExpiryQueue: elements grouped in expiration buckets.

    An element touched with a timeout expires at the end of the interval-sized bucket
    after now+timeout; poll() hands out one whole bucket once its time has come.
    """

    def __init__(self, expiration_interval):
        self.expiration_interval = expiration_interval
        self.lock = threading.Lock()
        self.elem_map = {}  # elem -> expiry time
        self.expiry_map = {}  # expiry time -> set of elems
        self.next_expiration_time = self._round_to_next_interval(Time.current_elapsed_time())

    def _round_to_next_interval(self, t):
        return (t // self.expiration_interval + 1) * self.expiration_interval

    def remove(self, elem):
        with self.lock:
            expiry = self.elem_map.pop(elem, None)
            if expiry is not None:
                bucket = self.expiry_map.get(expiry)
                if bucket is not None:
                    bucket.discard(elem)
            return expiry

    def update(self, elem, timeout):
        """Move elem to the bucket of now+timeout; returns the new expiry time or None if unchanged."""
        interval = self.expiration_interval  # _round_to_next_interval inline: every request asks
        new_expiry = ((Time.current_elapsed_time() + timeout) // interval + 1) * interval
        if self.elem_map.get(elem) == new_expiry:
            return None  # still in the right bucket: the common case needs no lock
        with self.lock:
            prev = self.elem_map.get(elem)
            if prev == new_expiry:
                return None
            bucket = self.expiry_map.get(new_expiry)
            if bucket is None:
                bucket = self.expiry_map[new_expiry] = set()
            bucket.add(elem)
            self.elem_map[elem] = new_expiry
            if prev is not None:
                old = self.expiry_map.get(prev)
                if old is not None:
                    old.discard(elem)
            return new_expiry

    def get_wait_time(self):
        now = Time.current_elapsed_time()
        t = self.next_expiration_time
        return t - now if now < t else 0

    def poll(self):
        """The bucket whose time has come (removing it), or an empty set."""
        now = Time.current_elapsed_time()
        with self.lock:
            t = self.next_expiration_time
            if now < t:
                return set()
            self.next_expiration_time = t + self.expiration_interval
            expired = self.expiry_map.pop(t, None) or set()
            for elem in expired:
                if self.elem_map.get(elem) == t:
                    del self.elem_map[elem]
            return expired

    def dump(self, pwriter):
        with self.lock:
            items = sorted((t, list(s)) for t, s in self.expiry_map.items())
            pwriter.write("Sets (%d)/(%d):\n" % (len(self.expiry_map), len(self.elem_map)))
        for t, elems in items:
            pwriter.write("%d expire at %s:\n" % (len(elems), Time.elapsed_time_to_date(t)))
            for e in elems:
                pwriter.write("\t%s\n" % e)

    def get_expiry_map(self):
        with self.lock:
            return {t: set(s) for t, s in self.expiry_map.items()}
