"""Mirror of org.apache.zookeeper.metrics.Counter."""


class Counter:
    """Mirror of org.apache.zookeeper.metrics.Counter: a value that only goes up."""

    def inc(self):
        self.add(1)

    def add(self, delta):
        raise NotImplementedError

    def get(self):
        raise NotImplementedError
