"""Mirror of org.apache.zookeeper.server.persistence.FilePadding: preallocation of txn logs."""

import logging
import os

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_integer import parse_long

# Java logs this class under FileTxnLog's logger.
LOG = logging.getLogger("FileTxnLog")

DEFAULT_PRE_ALLOC_SIZE = 65536 * 1024

_pre_alloc_size = None  # read from zookeeper.preAllocSize (KiB) on first use, as Java's static init


def _load_pre_alloc_size():
    size = DEFAULT_PRE_ALLOC_SIZE
    value = system_properties.get_property("zookeeper.preAllocSize")
    if value is not None:
        try:
            size = parse_long(value.strip()) * 1024
        except ValueError:
            LOG.warning("%s is not a valid value for preAllocSize", value)
    return size


class FilePadding:
    """Mirror of org.apache.zookeeper.server.persistence.FilePadding.

    A log file grows in steps of preAllocSize (64 MiB) by writing a single zero byte
    at the new end, so the rest reads as zeros and a reader stops at a length of 0.
    """

    def __init__(self):
        self.current_size = 0
        FilePadding.get_pre_alloc_size()  # read, and a bad value warned of, at start: Java's static init

    @staticmethod
    def get_pre_alloc_size():
        global _pre_alloc_size
        if _pre_alloc_size is None:
            _pre_alloc_size = _load_pre_alloc_size()
        return _pre_alloc_size

    @staticmethod
    def set_prealloc_size(size):
        """Size in bytes (FileTxnLog.setPreallocSize)."""
        global _pre_alloc_size
        _pre_alloc_size = size

    @staticmethod
    def reset_prealloc_size():
        """Forget the size so the next use reads zookeeper.preAllocSize again (tests)."""
        global _pre_alloc_size
        _pre_alloc_size = None

    def set_current_size(self, current_size):
        self.current_size = current_size

    def pad_file(self, fd, position):
        """Grow the file behind `fd` if `position` (the flushed end) is near its end.

        Java reads the position from the FileChannel; the caller passes it here because
        it tracks what it has flushed. Returns the new size.
        """
        if position + 4096 < self.current_size:
            return self.current_size  # far from the end: nothing to grow (every append asks)
        new_size = FilePadding.calculate_file_size_with_padding(
            position, self.current_size, FilePadding.get_pre_alloc_size())
        if self.current_size != new_size:
            # A positional write: the file offset (where entries go) does not move.
            os.pwrite(fd, b"\0", new_size - 1)
            self.current_size = new_size
        return self.current_size

    @staticmethod
    def calculate_file_size_with_padding(position, file_size, pre_alloc_size):
        # Only within 4 KiB of the known end of the file do we grow it.
        if pre_alloc_size > 0 and position + 4096 >= file_size:
            # Past the preallocated end already: make sure the new size is larger.
            if position > file_size:
                file_size = position + pre_alloc_size
                file_size -= file_size % pre_alloc_size
            else:
                file_size += pre_alloc_size
        return file_size
