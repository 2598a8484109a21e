"""Mirror of org.apache.zookeeper.metrics.impl.NullMetricsProvider."""

from zookeeper_py.metrics.counter import Counter
from zookeeper_py.metrics.metrics_context import MetricsContext
from zookeeper_py.metrics.metrics_provider import MetricsProvider
from zookeeper_py.metrics.summary import Summary


class NullCounter(Counter):
    """Mirror of NullMetricsProvider.NullCounter."""

    def add(self, delta):
        pass

    def get(self):
        return 0


class NullSummary(Summary):
    """Mirror of NullMetricsProvider.NullSummary."""

    def add(self, value):
        pass


class NullMetricsContext(MetricsContext):
    """Mirror of NullMetricsProvider.NullMetricsContext: takes everything, keeps nothing."""

    def get_counter(self, name):
        return NullCounter()

    def register_gauge(self, name, gauge):
        pass

    def unregister_gauge(self, name):
        pass

    def register_gauge_set(self, name, gauge_set):
        pass

    def unregister_gauge_set(self, name):
        pass

    def get_summary(self, name, detail_level):
        return NullSummary()


class NullMetricsProvider(MetricsProvider):
    """Mirror of org.apache.zookeeper.metrics.impl.NullMetricsProvider."""

    def __init__(self):
        self.root_context = NullMetricsContext()

    def get_root_context(self):
        return self.root_context
