"""Mirror of org.apache.zookeeper.common.Time."""

import time


class Time:
    """Mirror of org.apache.zookeeper.common.Time."""

    @staticmethod
    def current_elapsed_time():
        """Monotonic milliseconds (System.nanoTime()/1e6); only differences mean anything."""
        return time.monotonic_ns() // 1_000_000

    @staticmethod
    def current_wall_time():
        """Wall-clock milliseconds since the epoch (System.currentTimeMillis())."""
        return time.time_ns() // 1_000_000

    @staticmethod
    def elapsed_time_to_date(elapsed_time):
        """The wall-clock time at which an elapsed-time value is (or was) reached, as Java's Date text."""
        wall = Time.current_wall_time() + elapsed_time - Time.current_elapsed_time()
        return java_date_string(wall)


def java_date_string(ms):
    """java.util.Date.toString(): 'EEE MMM dd HH:mm:ss zzz yyyy' in the local time zone."""
    t = time.localtime(ms / 1000.0)
    return time.strftime("%a %b %d %H:%M:%S ", t) + (time.strftime("%Z", t) or "UTC") + time.strftime(" %Y", t)
