"""Mirror of org.apache.zookeeper.MultiTransactionRecord (3.8: MultiOperationRecord).

The request body of a multi (opcode 14) or multiRead (opcode 22): per op a
MultiHeader{type, done=false, err=-1} and the op's request record, then
MultiHeader{-1, true, -1}. It is a jute Record, so archives read and write it, and it
has the compiled fast path of every record: to_bytes(), encode_into(out),
MultiTransactionRecord.decode(buf, pos) -> (record, new_pos).
"""

import struct

from zookeeper_py.jute import JuteIOError, Record
from zookeeper_py.op import Check, Create, Delete, GetChildren, GetData, Op, SetData
from zookeeper_py.proto import (
    CheckVersionRequest,
    CreateRequest,
    CreateTTLRequest,
    DeleteRequest,
    GetChildrenRequest,
    GetDataRequest,
    MultiHeader,
    SetDataRequest,
)
from zookeeper_py.zoo_defs import OpCode

# MultiHeader{type:int, done:boolean, err:int} as one struct.
_HDR = struct.Struct(">i?i")
_DONE = _HDR.pack(-1, True, -1)

_SENDABLE = frozenset((
    OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
    OpCode.setData, OpCode.check, OpCode.getChildren, OpCode.getData,
))


def _create(r):
    return Create(r.path, r.data, r.acl, r.flags)


def _create_ttl(r):
    return Op.create(r.path, r.data, r.acl, r.flags, r.ttl)


# opcode -> (request record class, op factory), as MultiOperationRecord.deserialize switches.
_READERS = {
    OpCode.create: (CreateRequest, _create),
    OpCode.create2: (CreateRequest, _create),
    OpCode.createContainer: (CreateRequest, _create),
    OpCode.createTTL: (CreateTTLRequest, _create_ttl),
    OpCode.delete: (DeleteRequest, lambda r: Delete(r.path, r.version)),
    OpCode.setData: (SetDataRequest, lambda r: SetData(r.path, r.data, r.version)),
    OpCode.check: (CheckVersionRequest, lambda r: Check(r.path, r.version)),
    OpCode.getChildren: (GetChildrenRequest, lambda r: GetChildren(r.path)),
    OpCode.getData: (GetDataRequest, lambda r: GetData(r.path)),
}


class MultiTransactionRecord(Record):
    """Mirror of org.apache.zookeeper.MultiTransactionRecord (and 3.8's MultiOperationRecord)."""

    __slots__ = ("ops", "op_kind")

    def __init__(self, ops=()):
        self.ops = []
        self.op_kind = None
        for op in ops:
            self.add(op)

    def __iter__(self):
        return iter(self.ops)

    def __len__(self):
        return len(self.ops)

    def size(self):
        return len(self.ops)

    def add(self, op):
        self._set_or_check_op_kind(op.kind)
        self.ops.append(op)

    def get_op_kind(self):
        return self.op_kind

    def _set_or_check_op_kind(self, kind):
        if self.op_kind is None:
            self.op_kind = kind
        elif kind is not self.op_kind:
            raise ValueError("Mixing read and write operations (transactions) is not allowed in a multi request.")

    # -- binary fast path (Record protocol) --

    def _encode(self, out):
        pack = _HDR.pack
        for op in self.ops:
            if op.type not in _SENDABLE:
                raise JuteIOError("Invalid type of op")
            out += pack(op.type, False, -1)
            op.to_request_record()._encode(out)
        out += _DONE

    @classmethod
    def _decode(cls, buf, pos):
        rec = cls()
        unpack = _HDR.unpack_from
        op_type, done, _ = unpack(buf, pos)
        pos += 9
        while not done:
            reader = _READERS.get(op_type)
            if reader is None:
                raise JuteIOError("Invalid type of op")
            req, pos = reader[0]._decode(buf, pos)
            try:
                rec.add(reader[1](req))
            except ValueError:
                raise JuteIOError("Mixing different kind of ops") from None
            op_type, done, _ = unpack(buf, pos)
            pos += 9
        return rec, pos

    # -- archive form (serialize/deserialize as the Java record does) --

    def write_fields(self, archive, tag):
        archive.start_record(self, tag)
        for op in self.ops:
            if op.type not in _SENDABLE:
                raise JuteIOError("Invalid type of op")
            archive.write_record(MultiHeader(op.type, False, -1), tag)
            archive.write_record(op.to_request_record(), tag)
        archive.write_record(MultiHeader(-1, True, -1), tag)
        archive.end_record(self, tag)

    def deserialize(self, archive, tag=None):
        self.copy_from(archive.read_record(type(self), tag))

    def copy_from(self, other):
        self.ops = list(other.ops)
        self.op_kind = other.op_kind

    def __eq__(self, other):
        return isinstance(other, MultiTransactionRecord) and self.ops == other.ops

    def __hash__(self):
        return hash(tuple(self.ops))

    def __str__(self):
        return repr(self)

    def __repr__(self):
        return "MultiTransactionRecord(%r)" % (self.ops,)


MultiOperationRecord = MultiTransactionRecord
