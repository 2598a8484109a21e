"""A pass-through FUSE file system whose fsync fails with EIO while a flag file exists.

    python3 fsync_fault_fs.py BACKING_DIR MOUNTPOINT FLAG_FILE

Everything the server does under MOUNTPOINT goes through the kernel's FUSE client to
this process and on to BACKING_DIR; writes land there as usual. While FLAG_FILE exists,
every fsync/fdatasync answers EIO, as a disk that has started failing does (the role
of dm-flakey or a dm "error" target, which need device-mapper, missing here). It
stops when MOUNTPOINT is unmounted.

It uses fusepy (libfuse 2 through ctypes): Debian's python3-fusepy names the module
`fusepy`, PyPI's `fuse`. It imports nothing of the project, so any interpreter that
has fusepy can run it.
"""

import errno
import os
import sys

try:
    import fusepy as fuse
except ImportError:  # PyPI's fusepy
    import fuse


class FsyncFaultFS(fuse.Operations):
    def __init__(self, root, flag):
        self.root = os.path.realpath(root)
        self.flag = flag

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    # -- files and directories, passed through --

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise fuse.FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        return {k: getattr(st, k) for k in (
            "st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid", "st_blocks")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def unlink(self, path):
        os.unlink(self._full(path))

    def rename(self, old, new):
        os.rename(self._full(old), self._full(new))

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self._full(path), times)

    def truncate(self, path, length, fh=None):
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._full(path), length)

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {k: getattr(st, k) for k in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag",
            "f_frsize", "f_namemax")}

    def open(self, path, flags):
        return os.open(self._full(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        return os.pwrite(fh, data, offset)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    # -- the fault --

    def fsync(self, path, datasync, fh):
        if os.path.exists(self.flag):
            raise fuse.FuseOSError(errno.EIO)
        if datasync:
            os.fdatasync(fh)
        else:
            os.fsync(fh)
        return 0

    def fsyncdir(self, path, datasync, fh):
        if os.path.exists(self.flag):
            raise fuse.FuseOSError(errno.EIO)
        return 0


def main(argv):
    root, mountpoint, flag = argv
    fuse.FUSE(FsyncFaultFS(root, flag), mountpoint, foreground=True, nothreads=False)


if __name__ == "__main__":
    main(sys.argv[1:])
