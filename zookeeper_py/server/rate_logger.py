"""Mirror of org.apache.zookeeper.server.RateLogger."""

from zookeeper_py.common.time import Time


class RateLogger:
    """One warning line per 100 ms for a message that repeats: the first time at once, then
    "[N times] message" when 100 ms have passed or another message (or flush) comes. Java's
    AcceptThread logs its accept errors through one, so a full fd table writes about ten
    lines a second, not one per try (every 10 ms)."""

    INTERVAL_MS = 100

    def __init__(self, log):
        self.log = log
        self.msg = None
        self.timestamp = 0
        self.count = 0

    def flush(self):
        if self.msg is not None:
            if self.count > 1:
                self.log.warning("[%d times] %s", self.count, self.msg)
            elif self.count == 1:
                self.log.warning("%s", self.msg)
        self.msg = None
        self.count = 0

    def rate_limit_log(self, new_msg):
        now = Time.current_elapsed_time()
        if new_msg == self.msg:
            self.count += 1
            if now - self.timestamp >= self.INTERVAL_MS:
                self.flush()
                self.msg = new_msg
                self.timestamp = now
        else:
            self.flush()
            self.msg = new_msg
            self.timestamp = now
            self.log.warning("%s", new_msg)
