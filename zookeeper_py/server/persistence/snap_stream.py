"""Mirror of org.apache.zookeeper.server.persistence.SnapStream (ZooKeeper 3.6+; 3.5.7 has none).

The stream a snapshot is read through and written to, chosen by the system property
zookeeper.snapshot.compression.method: "" (plain, the default), "gz" or "snappy". A
file's extension says how it was written: snapshot.<zxid>, snapshot.<zxid>.gz,
snapshot.<zxid>.snappy. The Adler32 seal is over the uncompressed bytes.

gz is java.util.zip's GZIP (Python's gzip reads and writes it). snappy is snappy-java's
SnappyOutputStream framing (not the "framing format" of the Snappy project): a 16-byte
header (magic 0x82 "SNAPPY" 0x00, int version 1, int compatible version 1), then chunks of
[int compressed length][raw Snappy block] of at most 32 KiB of input each. The raw block
codec below is plain Python, so no native library is needed on either interpreter.
"""

import contextlib
import enum
import gzip
import io
import logging
import os
import struct

from zookeeper_py.common import system_properties
from zookeeper_py.server.persistence.util import SNAPSHOT_FILE_PREFIX, Util

LOG = logging.getLogger("SnapStream")

ZOOKEEPER_SHAPSHOT_STREAM_MODE = "zookeeper.snapshot.compression.method"

# snappy-java SnappyCodec
SNAPPY_MAGIC_HEADER = b"\x82SNAPPY\x00"
SNAPPY_MAGIC_LEN = len(SNAPPY_MAGIC_HEADER)
SNAPPY_HEADER_SIZE = SNAPPY_MAGIC_LEN + 8
_SNAPPY_HEADER = SNAPPY_MAGIC_HEADER + struct.pack(">ii", 1, 1)
SNAPPY_BLOCK_SIZE = 32 * 1024  # SnappyOutputStream's default block size
_INT = struct.Struct(">i")
GZIP_MAGIC = b"\x1f\x8b"


class StreamMode(enum.Enum):
    """Mirror of org.apache.zookeeper.server.persistence.SnapStream.StreamMode."""

    GZIP = "gz"
    SNAPPY = "snappy"
    CHECKED = ""

    def get_name(self):
        return self.value

    def get_file_extension(self):
        return "." + self.value if self.value else ""

    @staticmethod
    def from_string(name):
        for mode in StreamMode:
            if mode.value.lower() == (name or "").lower():
                return mode
        return StreamMode.CHECKED


class SnappyError(IOError):
    """A damaged snappy stream or block."""


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def snappy_uncompress(block):
    """One raw Snappy block (varint length, then literals and back-references) to bytes."""
    b = memoryview(block)
    n = len(b)
    expected = shift = pos = 0
    while True:
        if pos >= n or shift > 28:
            raise SnappyError("snappy: bad length header")
        c = b[pos]
        pos += 1
        expected |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            break
    out = bytearray()
    while pos < n:
        tag = b[pos]
        kind = tag & 3
        if kind == 0:
            length = tag >> 2
            if length < 60:
                length += 1
                pos += 1
            else:
                nb = length - 59
                length = int.from_bytes(b[pos + 1:pos + 1 + nb], "little") + 1
                pos += 1 + nb
            if pos + length > n:
                raise SnappyError("snappy: literal past the end of the block")
            out += b[pos:pos + length]
            pos += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | b[pos + 1]
            pos += 2
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(b[pos + 1:pos + 3], "little")
            pos += 3
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(b[pos + 1:pos + 5], "little")
            pos += 5
        if pos > n or offset == 0 or offset > len(out):
            raise SnappyError("snappy: bad back-reference")
        start = len(out) - offset
        if offset >= length:
            out += out[start:start + length]
        else:  # overlapping: the last `offset` bytes repeat
            pattern = bytes(out[start:])
            out += (pattern * (length // offset + 1))[:length]
    if len(out) != expected:
        raise SnappyError("snappy: block says %d bytes, holds %d" % (expected, len(out)))
    return bytes(out)


def snappy_compress(data):
    """A raw Snappy block: greedy matching of 4-byte sequences within 64 KiB back (2-byte offsets)."""
    data = bytes(data)
    n = len(data)
    out = bytearray(_varint(n))

    def literal(start, end):
        length = end - start
        if length <= 0:
            return
        if length <= 60:
            out.append((length - 1) << 2)
        else:
            nb = ((length - 1).bit_length() + 7) // 8
            out.append((59 + nb) << 2)
            out.extend((length - 1).to_bytes(nb, "little"))
        out.extend(data[start:end])

    table = {}
    i = lit = 0
    while i + 4 <= n:
        key = data[i:i + 4]
        cand = table.get(key)
        table[key] = i
        if cand is None or i - cand > 0xFFFF:
            i += 1
            continue
        m = 4
        while i + m < n and data[cand + m] == data[i + m]:
            m += 1
        literal(lit, i)
        offset = i - cand
        while m > 0:
            step = min(m, 64)
            out.append(((step - 1) << 2) | 2)
            out.extend(offset.to_bytes(2, "little"))
            m -= step
            i += step
        lit = i
    literal(lit, n)
    return bytes(out)


def snappy_stream_uncompress(data):
    """Everything a SnappyInputStream reads from `data` (a whole file)."""
    data = memoryview(data)
    if bytes(data[:SNAPPY_MAGIC_LEN]) != SNAPPY_MAGIC_HEADER:
        # SnappyInputStream takes a stream without its header as one raw block.
        return snappy_uncompress(data)
    out = bytearray()
    pos = 0
    n = len(data)
    while pos < n:
        if bytes(data[pos:pos + SNAPPY_MAGIC_LEN]) == SNAPPY_MAGIC_HEADER:
            # a header at the start, or of a stream concatenated to this one
            if pos + SNAPPY_HEADER_SIZE > n:
                raise SnappyError("snappy: truncated stream header")
            pos += SNAPPY_HEADER_SIZE
            continue
        if pos + 4 > n:
            raise SnappyError("snappy: truncated chunk length")
        size, = _INT.unpack_from(data, pos)
        if size < 0 or pos + 4 + size > n:
            raise SnappyError("snappy: bad chunk length %d" % size)
        out += snappy_uncompress(data[pos + 4:pos + 4 + size])
        pos += 4 + size
    return bytes(out)


class SnappyOutputStream:
    """snappy-java's SnappyOutputStream over a binary file: the header, then 32 KiB chunks."""

    def __init__(self, f):
        self._f = f
        self._buf = bytearray()
        self._header_written = False

    def write(self, b):
        self._buf += b
        while len(self._buf) >= SNAPPY_BLOCK_SIZE:
            self._chunk(bytes(self._buf[:SNAPPY_BLOCK_SIZE]))
            del self._buf[:SNAPPY_BLOCK_SIZE]
        return len(b)

    def _chunk(self, raw):
        if not self._header_written:
            self._f.write(_SNAPPY_HEADER)
            self._header_written = True
        block = snappy_compress(raw)
        self._f.write(_INT.pack(len(block)) + block)

    def flush(self):
        if self._buf:
            self._chunk(bytes(self._buf))
            self._buf.clear()
        elif not self._header_written:
            self._f.write(_SNAPPY_HEADER)
            self._header_written = True
        self._f.flush()

    def close(self):
        self.flush()

    def fileno(self):
        return self._f.fileno()


class SnapStream:
    """Mirror of org.apache.zookeeper.server.persistence.SnapStream."""

    ZOOKEEPER_SHAPSHOT_STREAM_MODE = ZOOKEEPER_SHAPSHOT_STREAM_MODE

    @staticmethod
    def get_stream_mode(file_name=None):
        """The mode of a file name's extension; with no name, the mode snapshots are written in."""
        if file_name is None:
            return StreamMode.from_string(system_properties.get_property(ZOOKEEPER_SHAPSHOT_STREAM_MODE, ""))
        parts = file_name.split(".")
        if len(parts) > 1:
            return StreamMode.from_string(parts[-1])
        return StreamMode.CHECKED

    @staticmethod
    def read_all(path):
        """The uncompressed bytes of a snapshot file (Java's getInputStream, read whole).

        One os.read of the file's size: PyPy's f.read() reads into a buffer of its own and
        copies that, so a 1M-znode file (188 MB) was in memory twice until a major collection."""
        with open(path, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            data = os.read(f.fileno(), size) if size else b""
            rest = f.read()  # what one read did not return: past ~2 GiB, or a file that grew since
            if rest:
                data += rest
        mode = SnapStream.get_stream_mode(os.path.basename(path))
        if mode is StreamMode.GZIP:
            try:
                return gzip.decompress(data)
            except (OSError, EOFError) as e:  # BadGzipFile is an OSError
                raise IOError("%s: %s" % (path, e)) from None
        if mode is StreamMode.SNAPPY:
            return snappy_stream_uncompress(data)
        return data

    @staticmethod
    @contextlib.contextmanager
    def get_input_stream(path):
        """A binary stream of a snapshot's uncompressed bytes (Java's getInputStream, without
        the CheckedInputStream: FileSnap sums what its archive consumes), closed on exit.

        A plain file is read as the load consumes it, 64 KiB at a time (BinaryInputArchive's
        refills): a 1M-znode load's RSS peaked at its tree's (422 bytes a znode) on CPython
        and at 693 on PyPy, where mapping the file (CPython) or reading it whole (PyPy) peaked
        at 610 and 873, in about the same time (README, "Where it differs"). A compressed file
        is uncompressed whole first (read_all).
        """
        if SnapStream.get_stream_mode(os.path.basename(path)) is StreamMode.CHECKED:
            with open(path, "rb") as f:
                yield f
        else:
            with io.BytesIO(SnapStream.read_all(path)) as f:
                yield f

    @staticmethod
    def open_output(f):
        """Wrap an open binary file as the configured mode writes (Java's getOutputStream)."""
        mode = SnapStream.get_stream_mode()
        if mode is StreamMode.GZIP:
            return gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0)
        if mode is StreamMode.SNAPPY:
            return SnappyOutputStream(f)
        return f

    @staticmethod
    def is_valid_snapshot(path):
        """The cheap check before a snapshot is read: a plain one ends with the "/" seal, a compressed
        one starts with its format's magic."""
        if path is None or Util.get_zxid_from_name(os.path.basename(path), SNAPSHOT_FILE_PREFIX) == -1:
            return False
        mode = SnapStream.get_stream_mode(os.path.basename(path))
        if mode is StreamMode.GZIP:
            with open(path, "rb") as f:
                return f.read(2) == GZIP_MAGIC
        if mode is StreamMode.SNAPPY:
            with open(path, "rb") as f:
                return f.read(SNAPPY_MAGIC_LEN) == SNAPPY_MAGIC_HEADER
        return Util.is_valid_snapshot(path)
