"""Mirror of org.apache.zookeeper.server.util.OSMXBean: file descriptor counts for mntr."""

import os
import resource


class OSMXBean:
    """Mirror of org.apache.zookeeper.server.util.OSMXBean.

    Java asks com.sun.management.UnixOperatingSystemMXBean; here /proc (or /dev/fd) and
    the soft RLIMIT_NOFILE give the same two numbers. Each is -1 when unknown.
    """

    def get_unix(self):
        return os.name == "posix"

    def get_open_file_descriptor_count(self):
        for fd_dir in ("/proc/self/fd", "/dev/fd"):
            try:
                return len(os.listdir(fd_dir))
            except OSError:
                continue
        return -1

    def get_max_file_descriptor_count(self):
        try:
            return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (OSError, ValueError):
            return -1
