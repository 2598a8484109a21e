"""Multi framing (MultiTransactionRecord, MultiResponse) byte for byte against Java 3.8's classes."""

import os
import subprocess

import pytest

from tests.support import java_zk
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import Stat
from zookeeper_py.jute import BinaryInputArchive, BinaryOutputArchive
from zookeeper_py.multi_response import MultiResponse
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.op import Op, OpKind
from zookeeper_py.op_result import (
    CheckResult,
    CreateResult,
    DeleteResult,
    ErrorResult,
    GetChildrenResult,
    GetDataResult,
    SetDataResult,
)
from zookeeper_py.zoo_defs import Ids

OPEN = Ids.OPEN_ACL_UNSAFE
STAT = Stat(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)


def records():
    resp = MultiResponse([CreateResult("/a0000000001"), CreateResult("/c", STAT), DeleteResult(),
                          SetDataResult(STAT), CheckResult()])
    return {
        "txn": MultiTransactionRecord([
            Op.create("/a", b"x", OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
            Op.create("/c", None, OPEN, CreateMode.CONTAINER),
            Op.create("/t", b"", OPEN, CreateMode.PERSISTENT_WITH_TTL, 5000),
            Op.delete("/a", 7),
            Op.set_data("/b", b"yy", -1),
            Op.check("/b", 3),
        ]),
        "read": MultiTransactionRecord([Op.get_data("/a"), Op.get_children("/")]),
        "empty": MultiTransactionRecord(),
        "resp": resp,
        "error": MultiResponse([ErrorResult(0), ErrorResult(-101), ErrorResult(-2)]),
        "readresp": MultiResponse([GetDataResult(b"x", STAT), GetChildrenResult(["a", "zookeeper"]),
                                   ErrorResult(-101)]),
    }


@pytest.fixture(scope="module")
def java_hex():
    java_zk.require_java_zookeeper()
    src = os.path.join(os.path.dirname(__file__), "MultiHex.java")
    out = subprocess.run([java_zk.java_executable(), "-cp", java_zk.classpath(), src],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


@pytest.mark.parametrize("name", sorted(records()))
def test_bytes_equal_javas(java_hex, name):
    rec = records()[name]
    assert rec.to_bytes().hex() == java_hex[name]


@pytest.mark.parametrize("name", sorted(records()))
def test_round_trip_fast_and_archive(name):
    rec = records()[name]
    data = rec.to_bytes()
    back, end = type(rec).decode(data, 0)
    assert end == len(data) and back == rec
    oa = BinaryOutputArchive()
    rec.serialize(oa, "r")
    assert oa.to_bytes() == data
    again = type(rec)()
    again.deserialize(BinaryInputArchive(data), "r")
    assert again == rec


def test_decoded_ops_keep_kind_and_ttl():
    rec, _ = MultiTransactionRecord.decode(records()["txn"].to_bytes())
    assert rec.get_op_kind() is OpKind.TRANSACTION
    assert [type(op).__name__ for op in rec] == ["Create", "Create", "CreateTTL", "Delete", "SetData", "Check"]
    assert rec.ops[2].ttl == 5000
    rd, _ = MultiTransactionRecord.decode(records()["read"].to_bytes())
    assert rd.get_op_kind() is OpKind.READ


def test_mixing_read_and_write_is_refused():
    with pytest.raises(ValueError, match="Mixing read and write"):
        MultiTransactionRecord([Op.get_data("/a"), Op.delete("/a", -1)])


def test_create_results_are_create_or_create2():
    """As Java's public constructors: a Stat makes it create2, whatever op it answers."""
    assert CreateResult("/a").get_type() == 1
    assert CreateResult("/a", STAT).get_type() == 15
    data = MultiResponse([CreateResult("/a", STAT)]).to_bytes()
    assert MultiResponse.decode(data)[0].results[0].get_stat() == STAT
