"""Mirror of org.apache.zookeeper.server.quorum.BufferStats."""


class BufferStats:
    """Mirror of org.apache.zookeeper.server.quorum.BufferStats: last/min/max of a buffer size."""

    def __init__(self):
        self.reset()

    def get_last_buffer_size(self):
        return self.last

    def set_last_buffer_size(self, size):
        self.last = size
        if self.min == -1 or size < self.min:
            self.min = size
        if size > self.max:
            self.max = size

    def get_min_buffer_size(self):
        return self.min

    def get_max_buffer_size(self):
        return self.max

    def reset(self):
        self.last = -1
        self.min = -1
        self.max = -1

    def __str__(self):
        return "%d/%d/%d" % (self.last, self.min, self.max)
