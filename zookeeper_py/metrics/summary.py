"""Mirror of org.apache.zookeeper.metrics.Summary."""


class Summary:
    """Mirror of org.apache.zookeeper.metrics.Summary: a distribution of observed values (latencies)."""

    def add(self, value):
        raise NotImplementedError


class DetailLevel:
    """Mirror of org.apache.zookeeper.metrics.MetricsContext.DetailLevel."""

    BASIC = "BASIC"  # count and sum (Prometheus: also the median)
    ADVANCED = "ADVANCED"  # count, sum and quantiles 0.5, 0.9, 0.99
