"""Mirror of org.apache.zookeeper.common.AtomicFileOutputStream, and the epoch-file helpers.

The stream writes `<name>.tmp`; close() flushes, fsyncs and renames it over `<name>`,
so a reader sees either the old file or the whole new one. `write_long_to_file` and
`read_long_from_file` are QuorumPeer's writeLongToFile/readLongFromFile (through
AtomicFileWritingIdiom) for the currentEpoch and acceptedEpoch files: ASCII decimal,
no newline.
"""

import logging
import os
import re

LOG = logging.getLogger("AtomicFileOutputStream")

TMP_EXTENSION = ".tmp"
_LONG = re.compile(r"[+-]?[0-9]+\Z")


class AtomicFileOutputStream:
    """Mirror of org.apache.zookeeper.common.AtomicFileOutputStream."""

    def __init__(self, f):
        self.orig_file = os.path.abspath(f)
        self.tmp_file = self.orig_file + TMP_EXTENSION
        self._out = open(self.tmp_file, "wb")
        self._closed = False

    def write(self, b):
        self._out.write(b)

    def flush(self):
        self._out.flush()

    def close(self):
        """Flush, fsync, close, then rename the .tmp file over the target."""
        if self._closed:
            return
        tried_to_close = success = False
        try:
            self.flush()
            os.fsync(self._out.fileno())
            tried_to_close = True
            self._out.close()
            success = True
        finally:
            self._closed = True
            if success:
                # os.replace replaces the target on every platform (Java needs a delete on Windows)
                try:
                    os.replace(self.tmp_file, self.orig_file)
                except OSError as e:
                    raise IOError("Could not rename temporary file %s to %s" % (self.tmp_file, self.orig_file)) from e
            else:
                if not tried_to_close:
                    # If we failed when flushing, try to close it to not leak an FD
                    try:
                        self._out.close()
                    except OSError:
                        pass
                # close wasn't successful, try to delete the tmp file
                try:
                    os.remove(self.tmp_file)
                except OSError:
                    LOG.warning("Unable to delete tmp file %s", self.tmp_file)

    def abort(self):
        """Close and delete the .tmp file, leaving the target as it was."""
        self._closed = True
        try:
            self._out.close()
        except OSError as e:
            LOG.warning("Unable to abort file %s", self.tmp_file, exc_info=e)
        try:
            os.remove(self.tmp_file)
        except OSError:
            LOG.warning("Unable to delete tmp file during abort %s", self.tmp_file)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_long_to_file(path, value):
    """Write a long as ASCII decimal atomically (QuorumPeer.writeLongToFile)."""
    with AtomicFileOutputStream(path) as out:
        out.write(str(int(value)).encode("ascii"))


def read_long_from_file(path):
    """The long on the first line of `path` (QuorumPeer.readLongFromFile).

    OSError if the file is missing; IOError "Found <line> in <file>" if it is not a long.
    """
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        line = None
    else:
        line = data.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8", "replace")
    if line is None or not _LONG.match(line) or not -(1 << 63) <= int(line) < (1 << 63):
        raise IOError("Found %s in %s" % (line if line is not None else "null", path))
    return int(line)
