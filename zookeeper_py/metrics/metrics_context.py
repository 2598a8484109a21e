"""Mirror of org.apache.zookeeper.metrics.MetricsContext."""

from zookeeper_py.metrics.summary import DetailLevel  # noqa: F401  (MetricsContext.DetailLevel in Java)


class MetricsContext:
    """Mirror of org.apache.zookeeper.metrics.MetricsContext: where metrics are registered."""

    def get_context(self, name):
        return self

    def get_counter(self, name):
        raise NotImplementedError

    def register_gauge(self, name, gauge):
        raise NotImplementedError

    def unregister_gauge(self, name):
        raise NotImplementedError

    def register_gauge_set(self, name, gauge_set):
        raise NotImplementedError

    def unregister_gauge_set(self, name):
        raise NotImplementedError

    def get_summary(self, name, detail_level):
        raise NotImplementedError
