"""Mirror of org.apache.zookeeper.server.ReferenceCountedACLCache."""

import logging
import threading

from zookeeper_py.data import ACL
from zookeeper_py.zoo_defs import Ids

LOG = logging.getLogger("ReferenceCountedACLCache")

OPEN_UNSAFE_ACL_ID = -1


class ReferenceCountedACLCache:
    """Mirror of org.apache.zookeeper.server.ReferenceCountedACLCache.

    Interns ACL lists: each distinct list gets a long index that nodes store, and the
    index is dropped when no node uses it any more. -1 stands for OPEN_ACL_UNSAFE.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.long_key_map = {}  # index -> list of ACL
        self.acl_key_map = {}  # tuple of ACL -> index
        self.reference_counter = {}  # index -> count
        self.acl_index = 0

    def convert_acls(self, acls):
        if acls is None:
            return OPEN_UNSAFE_ACL_ID
        key = tuple(acls)
        with self.lock:
            index = self.acl_key_map.get(key)
            if index is None:
                self.acl_index += 1
                index = self.acl_index
                self.long_key_map[index] = list(acls)
                self.acl_key_map[key] = index
            self.add_usage(index)
            return index

    def convert_long(self, index):
        if index is None:
            return None
        if index == OPEN_UNSAFE_ACL_ID:
            return list(Ids.OPEN_ACL_UNSAFE)
        with self.lock:
            acls = self.long_key_map.get(index)
        if acls is None:
            LOG.error("ERROR: ACL not available for long %d", index)
            raise RuntimeError("Failed to fetch acls for %d" % index)
        return acls

    def deserialize(self, ia):
        """Read the cache: int count, then count x {long index, vector<ACL>}."""
        with self.lock:
            self._clear()
            i = ia.read_int("map")
            while i > 0:
                index = ia.read_long("long")
                if self.acl_index < index:
                    self.acl_index = index
                j = ia.start_vector("acls")
                if j is None:
                    raise RuntimeError("Incorrent format of InputArchive when deserialize DataTree - missing acls")
                acls = []
                while not j.done():
                    acls.append(ia.read_record(ACL, "acl"))
                    j.incr()
                self.long_key_map[index] = acls
                self.acl_key_map[tuple(acls)] = index
                self.reference_counter[index] = 0
                i -= 1

    def serialize(self, oa):
        with self.lock:
            oa.write_int(len(self.long_key_map), "map")
            for index, acls in list(self.long_key_map.items()):
                oa.write_long(index, "long")
                oa.start_vector(acls, "acls")
                for acl in acls:
                    oa.write_record(acl, "acl")
                oa.end_vector(acls, "acls")

    def size(self):
        return len(self.acl_key_map)

    def _clear(self):
        self.acl_key_map.clear()
        self.long_key_map.clear()
        self.reference_counter.clear()

    def add_usage(self, index):
        if index == OPEN_UNSAFE_ACL_ID:
            return
        with self.lock:
            if index not in self.long_key_map:
                LOG.info("Ignoring acl %d as it does not exist in the cache", index)
                return
            self.reference_counter[index] = self.reference_counter.get(index, 0) + 1

    def remove_usage(self, index):
        if index == OPEN_UNSAFE_ACL_ID:
            return
        with self.lock:
            if index not in self.long_key_map:
                LOG.info("Ignoring acl %d as it does not exist in the cache", index)
                return
            count = self.reference_counter.get(index, 0) - 1
            if count <= 0:
                self.reference_counter.pop(index, None)
                self.acl_key_map.pop(tuple(self.long_key_map[index]), None)
                del self.long_key_map[index]
            else:
                self.reference_counter[index] = count

    def purge_unused(self):
        with self.lock:
            for index, count in list(self.reference_counter.items()):
                if count <= 0:
                    self.acl_key_map.pop(tuple(self.long_key_map[index]), None)
                    del self.long_key_map[index]
                    del self.reference_counter[index]
