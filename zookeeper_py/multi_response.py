"""Mirror of org.apache.zookeeper.MultiResponse: the reply body of multi and multiRead.

Per result a MultiHeader{type, done=false, err} and the result's record (CreateResponse,
Create2Response, SetDataResponse, GetChildrenResponse, GetDataResponse, ErrorResponse,
or nothing for delete/check), then MultiHeader{-1, true, -1}. A jute Record with the
fast path of every record: to_bytes(), encode_into(out), MultiResponse.decode(buf, pos).
"""

import struct

from zookeeper_py.jute import JuteIOError, Record
from zookeeper_py.op_result import (
    CheckResult,
    CreateResult,
    DeleteResult,
    ErrorResult,
    GetChildrenResult,
    GetDataResult,
    SetDataResult,
)
from zookeeper_py.proto import (
    Create2Response,
    CreateResponse,
    ErrorResponse,
    GetChildrenResponse,
    GetDataResponse,
    MultiHeader,
    SetDataResponse,
)
from zookeeper_py.zoo_defs import OpCode

_HDR = struct.Struct(">i?i")
_DONE = _HDR.pack(-1, True, -1)
_ERR = struct.Struct(">i")


def _response_record(result):
    """The record written after the header of `result` (None for delete/check)."""
    t = result.type
    if t == OpCode.create:
        return CreateResponse(result.path)
    if t == OpCode.create2:
        return Create2Response(result.path, result.stat)
    if t == OpCode.delete or t == OpCode.check:
        return None
    if t == OpCode.setData:
        return SetDataResponse(result.stat)
    if t == OpCode.getChildren:
        return GetChildrenResponse(result.children)
    if t == OpCode.getData:
        return GetDataResponse(result.data, result.stat)
    if t == OpCode.error:
        return ErrorResponse(result.err)
    raise JuteIOError("Invalid type %d in MultiResponse" % t)


class MultiResponse(Record):
    """Mirror of org.apache.zookeeper.MultiResponse."""

    __slots__ = ("results",)

    def __init__(self, results=()):
        self.results = list(results)

    def add(self, result):
        self.results.append(result)

    def __iter__(self):
        return iter(self.results)

    def __len__(self):
        return len(self.results)

    def size(self):
        return len(self.results)

    def get_result_list(self):
        return self.results

    # -- binary fast path --

    def _encode(self, out):
        pack = _HDR.pack
        for result in self.results:
            t = result.type
            err = result.err if t == OpCode.error else 0
            rec = _response_record(result)
            out += pack(t, False, err)
            if rec is not None:
                rec._encode(out)
        out += _DONE

    @classmethod
    def _decode(cls, buf, pos):
        results = []
        append = results.append
        unpack = _HDR.unpack_from
        t, done, _ = unpack(buf, pos)
        pos += 9
        while not done:
            if t == OpCode.create:
                r, pos = CreateResponse._decode(buf, pos)
                append(CreateResult(r.path))
            elif t == OpCode.create2:
                r, pos = Create2Response._decode(buf, pos)
                append(CreateResult(r.path, r.stat))
            elif t == OpCode.delete:
                append(DeleteResult())
            elif t == OpCode.setData:
                r, pos = SetDataResponse._decode(buf, pos)
                append(SetDataResult(r.stat))
            elif t == OpCode.check:
                append(CheckResult())
            elif t == OpCode.getChildren:
                r, pos = GetChildrenResponse._decode(buf, pos)
                append(GetChildrenResult(r.children))
            elif t == OpCode.getData:
                r, pos = GetDataResponse._decode(buf, pos)
                append(GetDataResult(r.data, r.stat))
            elif t == OpCode.error:
                err, = _ERR.unpack_from(buf, pos)
                pos += 4
                append(ErrorResult(err))
            else:
                raise JuteIOError("Invalid type %d in MultiResponse" % t)
            t, done, _ = unpack(buf, pos)
            pos += 9
        o = cls.__new__(cls)
        o.results = results
        return o, pos

    # -- archive form --

    def write_fields(self, archive, tag):
        archive.start_record(self, tag)
        for result in self.results:
            t = result.type
            err = result.err if t == OpCode.error else 0
            archive.write_record(MultiHeader(t, False, err), tag)
            rec = _response_record(result)
            if rec is not None:
                archive.write_record(rec, tag)
        archive.write_record(MultiHeader(-1, True, -1), tag)
        archive.end_record(self, tag)

    def deserialize(self, archive, tag=None):
        self.copy_from(archive.read_record(type(self), tag))

    def copy_from(self, other):
        self.results = list(other.results)

    def __eq__(self, other):
        return isinstance(other, MultiResponse) and self.results == other.results

    def __hash__(self):
        return hash(tuple(self.results))

    def __str__(self):
        return repr(self)

    def __repr__(self):
        return "MultiResponse(%r)" % (self.results,)
