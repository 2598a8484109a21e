"""DataTree's snapshot walk (serialize): every node once, parents before children, fuzzy
under concurrent writes as Java's is, and never a node without its parent."""

import threading

from zookeeper_py.server.data_tree import _SNAPSHOT_LOCK_BATCH, DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.txn import CreateTxn, DeleteTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

OPEN = list(Ids.OPEN_ACL_UNSAFE)


class Tree:
    def __init__(self):
        self.dt = DataTree()
        self.zxid = 0

    def create(self, path):
        self.zxid += 1
        self.dt.process_txn(TxnHeader(1, self.zxid, self.zxid, 0, OpCode.create), CreateTxn(path, b"d", OPEN, False, 1))

    def delete(self, path):
        self.zxid += 1
        self.dt.process_txn(TxnHeader(1, self.zxid, self.zxid, 0, OpCode.delete), DeleteTxn(path))


def walked(batches):
    return [path for batch in batches for path, _, _ in batch]


def assert_parents_first(paths):
    seen = set()
    for path in paths:
        assert path not in seen, "written twice: " + path
        if path:
            assert path[:path.rfind("/")] in seen, "parent after child: " + path
        seen.add(path)


def test_every_node_once_parents_first():
    t = Tree()
    for i in range(30):
        t.create("/a%d" % i)
        for j in range(40):
            t.create("/a%d/b%d" % (i, j))
    t.delete("/a3/b7")
    t.delete("/a5/b0")
    t.create("/a5/b0")  # made again: now after its siblings in insertion order
    t.create("/a5/b0/c")
    paths = walked(t.dt._walk_copies())
    assert_parents_first(paths)
    assert paths[0] == ""  # the root, once, as Java writes it
    assert "/" not in paths
    expected = {p for p in t.dt.nodes if p != "/"}
    assert set(paths) == expected
    assert "/a3/b7" not in paths and "/a5/b0/c" in paths


def test_parent_made_again_during_the_walk_does_not_orphan_its_child(tmp_path):
    t = Tree()
    for i in range(_SNAPSHOT_LOCK_BATCH):
        t.create("/f%d" % i)
    t.create("/p")  # in the second batch
    for i in range(_SNAPSHOT_LOCK_BATCH):
        t.create("/g%d" % i)
    t.create("/p/c")  # in the third
    walk = t.dt._walk_copies()
    paths = walked([next(walk)])
    t.delete("/p/c")
    t.delete("/p")
    paths += walked([next(walk)])  # /p is missing at its turn
    t.create("/p")
    t.create("/p/c")
    paths += walked(walk)
    assert "/p" not in paths and "/p/c" not in paths  # the txn log replays both
    assert_parents_first(paths)


def test_snapshot_taken_during_writes_loads(tmp_path):
    t = Tree()
    for i in range(3 * _SNAPSHOT_LOCK_BATCH):
        t.create("/n%d" % i)
    for i in range(0, 3 * _SNAPSHOT_LOCK_BATCH, 7):
        t.create("/n%d/child" % i)
    path = str(tmp_path / Util.make_snapshot_name(t.zxid))
    walk = t.dt._walk_copies

    def walk_with_writes(*args):
        for k, batch in enumerate(walk(*args)):
            yield batch
            # between batches, as a writer would: delete and make again parents and children
            for i in range(k * 7, 3 * _SNAPSHOT_LOCK_BATCH, 49):
                if "/n%d/child" % i in t.dt.nodes:
                    t.delete("/n%d/child" % i)
                    t.delete("/n%d" % i)
                    t.create("/n%d" % i)
                    t.create("/n%d/child" % i)

    t.dt._walk_copies = walk_with_writes
    FileSnap(str(tmp_path)).serialize(t.dt, {}, path)
    loaded = DataTree()
    FileSnap(str(tmp_path)).deserialize(loaded, {})  # raises on a node without its parent
    assert "/n1" in loaded.nodes


def test_each_batch_is_copied_while_the_tree_is_locked():
    """Writers change a node's stat fields in place: a batch's copy must not interleave with them."""
    t = Tree()
    for i in range(2 * _SNAPSHOT_LOCK_BATCH + 5):
        t.create("/n%d" % i)
    free = []

    def try_lock():
        got = t.dt.lock.acquire(blocking=False)
        free.append(got)
        if got:
            t.dt.lock.release()

    def copy(paths, nodes):
        other = threading.Thread(target=try_lock)
        other.start()
        other.join()
        return paths

    walked_paths = [path for batch in t.dt._walk_copies(copy) for path in batch]
    assert len(walked_paths) == len(t.dt.nodes) - 1  # every node once; "/" is the root's second key
    assert free == [False, False, False]
