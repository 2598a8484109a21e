"""The collector settings the server mains apply (CPython): a high young-generation threshold,
and the tree a snapshot load made frozen out of full collections. Each case runs in a fresh
interpreter, since both settings belong to the whole process."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LOAD_A_SNAPSHOT = r"""
import gc, json, sys
from zookeeper_py.common import gc_tuning
from zookeeper_py.server.data_tree import DataTree
from zookeeper_py.server.persistence.file_snap import FileSnap
from zookeeper_py.txn import CreateTxn, TxnHeader
from zookeeper_py.zoo_defs import Ids, OpCode

if sys.argv[2] == "tuned":
    gc_tuning.tune_collector()
dt = DataTree()
for zxid in range(1, 2001):
    hdr = TxnHeader(1, zxid, zxid, 0, OpCode.create)
    dt.process_txn(hdr, CreateTxn("/n%d" % zxid, b"x" * 10, list(Ids.OPEN_ACL_UNSAFE), False, zxid))
snap = FileSnap(sys.argv[1])
snap.serialize(dt, {}, sys.argv[1] + "/snapshot.7d0")
del dt
frozen_before = gc.get_freeze_count()
loaded = DataTree()
zxid = snap.deserialize(loaded, {})
print(json.dumps({"threshold": gc.get_threshold(), "frozen_by_load": gc.get_freeze_count() - frozen_before,
                  "zxid": zxid, "nodes": loaded.get_node_count()}))
"""


def run_load(tmp_path, mode):
    out = subprocess.run([sys.executable, "-c", LOAD_A_SNAPSHOT, str(tmp_path), mode], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the collector knobs are CPython's")
def test_tuned_process_freezes_the_tree_a_snapshot_load_made(tmp_path):
    result = run_load(tmp_path, "tuned")
    assert result["zxid"] == 2000 and result["nodes"] >= 2001
    assert result["threshold"][0] == 50000
    # 2,000 nodes, each a DataNode, and more: all of them frozen, not just a handful
    assert result["frozen_by_load"] > 4000


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the collector knobs are CPython's")
def test_untuned_process_keeps_pythons_defaults(tmp_path):
    result = run_load(tmp_path, "untuned")
    assert result["zxid"] == 2000
    assert result["threshold"][0] == 700
    assert result["frozen_by_load"] == 0
