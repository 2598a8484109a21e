"""Mirror of org.apache.zookeeper.metrics.MetricsProvider and MetricsProviderLifeCycleException."""


class MetricsProviderLifeCycleException(Exception):
    """Mirror of org.apache.zookeeper.metrics.MetricsProviderLifeCycleException."""


class MetricsProvider:
    """Mirror of org.apache.zookeeper.metrics.MetricsProvider: configure, start, get_root_context, stop."""

    def configure(self, configuration):
        """configuration: the metricsProvider.* keys of zoo.cfg without the prefix."""

    def start(self):
        pass

    def get_root_context(self):
        raise NotImplementedError

    def stop(self):
        pass

    def dump(self, sink):
        """sink(name, value) for every value: Java's 4lw/AdminServer view of the metrics."""

    def reset_all_values(self):
        pass
