"""Mirror of org.apache.jute.BinaryInputArchive."""

import struct

from zookeeper_py.jute import record as _record
from zookeeper_py.jute.index import Index
from zookeeper_py.jute.input_archive import InputArchive
from zookeeper_py.jute.record import JuteEOFError, JuteIOError
from zookeeper_py.jute.utils import decode_string

_BYTE = struct.Struct(">b")
_BOOL = struct.Struct(">?")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")

_READ_CHUNK = 65536
_MAX_READ = 1 << 20


class BinaryInputArchive(InputArchive):
    """Mirror of org.apache.jute.BinaryInputArchive.

    Reads from one buffer (bytes, bytearray, memoryview or mmap) starting at `pos`,
    or, when `stream` is given, from a binary stream through an internal buffer
    that is refilled as records need more bytes (the Java DataInputStream case).
    """

    UNREASONBLE_LENGTH = "Unreasonable length = "

    def __init__(self, buf=b"", pos=0, stream=None):
        self.buf = buf
        self.pos = pos
        self.stream = stream
        self._read = None
        if stream is not None:
            self._read = getattr(stream, "read1", None) or stream.read
        self._tee = None  # tee_to(): gets every byte consumed until end_tee()
        self._tee_from = 0

    @staticmethod
    def get_archive(stream):
        return BinaryInputArchive(b"", 0, stream)

    def remaining(self):
        return len(self.buf) - self.pos

    def _fill(self, needed_end):
        """Make buf hold at least up to `needed_end` (a position in the current buffer)."""
        if self.stream is None:
            raise JuteEOFError()
        # Drop what has been consumed; positions shift by self.pos. The buffer is kept as bytes,
        # not a bytearray: slicing a field out of bytes copies once, out of a bytearray twice
        # (the slice, then bytes()); a 1M-znode SNAP stream loads 3% faster.
        if self._tee is not None:
            self._tee(memoryview(self.buf)[self._tee_from:self.pos])
            self._tee_from = 0
        parts = [self.buf[self.pos:]]
        have = len(parts[0])
        needed = needed_end - self.pos
        self.pos = 0
        try:
            while have < needed:
                # Never ask for more than _MAX_READ at once: a stream's read allocates what it is
                # asked for, and `needed` may come from a forged length or count.
                chunk = self._read(min(max(needed - have, _READ_CHUNK), _MAX_READ))
                if not chunk:
                    raise JuteEOFError()
                parts.append(chunk)
                have += len(chunk)
        finally:
            self.buf = b"".join(parts)

    def tee_to(self, write):
        """From here on, hand every byte read to `write` (a learner keeps the leader's SNAP
        stream as its snapshot file this way), until end_tee()."""
        self._tee = write
        self._tee_from = self.pos

    def end_tee(self):
        """Hand over the bytes read since the last refill and stop teeing."""
        write, self._tee = self._tee, None
        if write is not None:
            write(memoryview(self.buf)[self._tee_from:self.pos])

    def _take(self, n):
        pos = self.pos
        if pos + n > len(self.buf):
            self._fill(pos + n)
            pos = self.pos
        self.pos = pos + n
        return pos

    def read_byte(self, tag=None):
        p = self._take(1)  # may replace self.buf
        return _BYTE.unpack_from(self.buf, p)[0]

    def read_bool(self, tag=None):
        p = self._take(1)  # may replace self.buf
        return _BOOL.unpack_from(self.buf, p)[0]

    def read_int(self, tag=None):
        p = self._take(4)  # may replace self.buf
        return _INT.unpack_from(self.buf, p)[0]

    def read_long(self, tag=None):
        p = self._take(8)  # may replace self.buf
        return _LONG.unpack_from(self.buf, p)[0]

    def read_float(self, tag=None):
        p = self._take(4)  # may replace self.buf
        return _FLOAT.unpack_from(self.buf, p)[0]

    def read_double(self, tag=None):
        p = self._take(8)  # may replace self.buf
        return _DOUBLE.unpack_from(self.buf, p)[0]

    def _read_bytes(self, tag):
        n = self.read_int(tag)
        if n == -1:
            return None
        self.check_length(n)
        p = self._take(n)
        return self.buf[p:p + n]

    def read_string(self, tag=None):
        b = self._read_bytes(tag)
        return None if b is None else decode_string(b)

    def read_buffer(self, tag=None):
        b = self._read_bytes(tag)
        return None if b is None else bytes(b)

    def read_record(self, record, tag=None):
        """Read into `record` (an instance, as Java does) or build one when given a class."""
        cls = record if isinstance(record, type) else type(record)
        while True:
            try:
                obj, end = cls._decode(self.buf, self.pos)
                break
            except JuteEOFError as e:
                if self.stream is None:
                    raise
                needed_end = e.needed if e.needed else len(self.buf) + 1
            except struct.error:
                if self.stream is None:
                    raise JuteEOFError("record %s ends early" % cls.__name__) from None
                needed_end = len(self.buf) + 1
            # Outside the handlers: a peer gone mid-record is logged as that alone, not as an
            # error raised "during handling" of the decode's.
            self._fill_record(cls, needed_end)
        self.pos = end
        if record is cls:
            return obj
        record.copy_from(obj)
        return record

    def _fill_record(self, cls, needed_end):
        try:
            self._fill(needed_end)
        except JuteEOFError:
            raise JuteEOFError("record %s ends early" % cls.__name__) from None

    def start_vector(self, tag=None):
        n = self.read_int(tag)
        if n == -1:
            return None
        if n < 0:
            raise JuteIOError(self.UNREASONBLE_LENGTH + str(n))
        return Index(n)

    def check_length(self, n):
        if n < 0 or n > _record.max_length():
            raise JuteIOError(self.UNREASONBLE_LENGTH + str(n))
