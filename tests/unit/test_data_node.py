"""DataNode keeps its StatPersisted's fields as its own slots; `stat` reads and sets them as a record.
Its children are held where they cost CPython the fewest bytes."""

import sys

import pytest

from zookeeper_py.data import StatPersisted
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive
from zookeeper_py.server.data_node import DataNode
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.zoo_defs import Ids


def test_a_created_node_has_the_stat_of_its_create():
    node = DataNode.created(b"v", 3, 0x105, 1700000000000, 0x42)
    assert node.stat == StatPersisted(0x105, 0x105, 1700000000000, 1700000000000, 0, 0, 0, 0x42, 0x105)
    assert node.data == b"v" and node.acl == 3 and node.get_children() == frozenset()


def test_stat_is_read_as_a_copy_and_set_from_a_record():
    node = DataNode(b"", -1, StatPersisted(1, 2, 3, 4, 5, 6, 7, 0, 9))
    stat = node.stat
    stat.version = 99
    assert node.version == 5, "changing the copy must not change the node"
    node.stat = stat
    assert node.version == 99 and node.stat == StatPersisted(1, 2, 3, 4, 99, 6, 7, 0, 9)
    assert DataNode().stat == StatPersisted()


def test_the_tree_changes_the_nodes_fields_and_a_snapshot_keeps_them():
    dt = DataTree()
    acl = list(Ids.OPEN_ACL_UNSAFE)
    dt.create_node("/a", b"1", acl, 0, -1, 0x10, 1000)
    dt.create_node("/a/b", b"2", acl, 0, -1, 0x11, 1001)
    dt.set_data("/a/b", b"3", 1, 0x12, 1002)
    dt.set_acl("/a", acl, 4)
    dt.delete_node("/a/b", 0x13)
    a = dt.get_node("/a")
    assert (a.czxid, a.mzxid, a.pzxid, a.cversion, a.aversion) == (0x10, 0x10, 0x13, 1, 4)
    oa = BinaryOutputArchive()
    dt.serialize(oa, "tree")
    loaded = DataTree()
    loaded.deserialize(BinaryInputArchive(oa.to_bytes()), "tree")
    assert loaded.get_node("/a").stat == a.stat
    assert loaded.get_node("/a").copy_stat() == a.copy_stat()


def test_a_parent_holds_its_childrens_paths_the_very_strings_that_key_the_tree():
    """A child's name costs no string of its own: the parent's set holds the key's str object."""
    dt = DataTree()
    acl = list(Ids.OPEN_ACL_UNSAFE)
    for i in range(3):
        dt.create_node("/p%d" % i, b"", acl, 0, -1, 0x10 + i, 1000)
        dt.create_node("/p%d/c" % i, b"", acl, 0, -1, 0x20 + i, 1000)
    oa = BinaryOutputArchive()
    dt.serialize(oa, "tree")
    loaded = DataTree()
    loaded.deserialize(BinaryInputArchive(oa.to_bytes()), "tree")
    for tree in (dt, loaded):
        keys = {path: path for path in tree.nodes}
        for node in tree.nodes.values():
            for child in node.children or ():
                assert child is keys[child]
        assert sorted(tree.get_children("/", None, None)) == ["p0", "p1", "p2", "zookeeper"]
        assert tree.get_children("/p1", None, None) == ["c"]
        assert tree.get_node("/p1").get_children() == {"c"}
        assert tree.get_node("/zookeeper").get_children() == {"quota", "config"}
    dt.delete_node("/p1/c", 0x30)
    assert dt.get_children("/p1", None, None) == [] and dt.get_node("/p1").copy_stat().numChildren == 0


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="sys.getsizeof is CPython's")
def test_a_parents_children_cost_cpython_few_bytes_each():
    """CPython holds a node's children in a dict: 38 bytes a child for 5 children, where a set's
    table took 153; 21 for 10,000, where a set took 52."""
    dt = DataTree()
    acl = list(Ids.OPEN_ACL_UNSAFE)
    zxid = 0
    for fanout, most_bytes in ((5, 60), (10000, 30)):
        parent = "/fanout%d" % fanout
        zxid += 1
        dt.create_node(parent, b"", acl, 0, -1, zxid, 1000)
        for i in range(fanout):
            zxid += 1
            dt.create_node("%s/c%d" % (parent, i), b"", acl, 0, -1, zxid, 1000)
        children = dt.get_node(parent).children
        assert len(children) == fanout
        assert sys.getsizeof(children) / fanout < most_bytes, (fanout, sys.getsizeof(children))
        for i in range(0, fanout, 2):
            zxid += 1
            dt.delete_node("%s/c%d" % (parent, i), zxid)
        assert sorted(dt.get_children(parent, None, None)) == sorted("c%d" % i for i in range(1, fanout, 2))
