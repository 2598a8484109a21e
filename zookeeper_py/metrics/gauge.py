"""Mirror of org.apache.zookeeper.metrics.Gauge and GaugeSet."""


class Gauge:
    """Mirror of org.apache.zookeeper.metrics.Gauge: a callback read when the metrics are collected.

    Any callable returning a number (or None: no value now) serves; this class only names the idea."""

    def __init__(self, fn):
        self.fn = fn

    def get(self):
        return self.fn()

    __call__ = get


class GaugeSet:
    """Mirror of org.apache.zookeeper.metrics.GaugeSet (3.7+): labelled values read at collection time."""

    def __init__(self, fn):
        self.fn = fn

    def values(self):
        """A dict key -> number."""
        return self.fn()
