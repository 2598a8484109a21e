"""Mirror of org.apache.jute.BinaryOutputArchive."""

import struct

from zookeeper_py.jute.output_archive import OutputArchive
from zookeeper_py.jute.utils import encode_string

_BYTE = struct.Struct(">b")
_BOOL = struct.Struct(">?")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_NULL = _INT.pack(-1)


class BinaryOutputArchive(OutputArchive):
    """Mirror of org.apache.jute.BinaryOutputArchive.

    Without a stream it accumulates into `buf` (a bytearray); with one, each write
    goes straight to the stream, as Java's DataOutputStream does.
    """

    def __init__(self, stream=None):
        self.buf = bytearray()
        self.stream = stream

    @staticmethod
    def get_archive(stream):
        return BinaryOutputArchive(stream)

    def _out(self, b):
        if self.stream is None:
            self.buf += b
        else:
            self.stream.write(b)

    def to_bytes(self):
        return bytes(self.buf)

    def write_byte(self, b, tag=None):
        self._out(_BYTE.pack(b))

    def write_bool(self, b, tag=None):
        self._out(_BOOL.pack(b))

    def write_int(self, i, tag=None):
        self._out(_INT.pack(i))

    def write_long(self, value, tag=None):
        self._out(_LONG.pack(value))

    def write_float(self, f, tag=None):
        self._out(_FLOAT.pack(f))

    def write_double(self, d, tag=None):
        self._out(_DOUBLE.pack(d))

    def write_string(self, s, tag=None):
        if s is None:
            self._out(_NULL)
            return
        b = encode_string(s)
        self._out(_INT.pack(len(b)) + b)

    def write_buffer(self, buf, tag=None):
        if buf is None:
            self._out(_NULL)
            return
        self._out(_INT.pack(len(buf)))
        self._out(buf)

    def write_record(self, record, tag=None):
        if self.stream is None:
            record._encode(self.buf)
        else:
            out = bytearray()
            record._encode(out)
            self.stream.write(out)

    def start_vector(self, vector, tag=None):
        self.write_int(-1 if vector is None else len(vector), tag)
