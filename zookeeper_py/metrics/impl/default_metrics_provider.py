"""Mirror of org.apache.zookeeper.metrics.impl.DefaultMetricsProvider.

Java's keeps the values for mntr and the AdminServer. Ours serves no endpoint: mntr and the
AdminServer read the server's own statistics as 3.5.7 does, so the default provider is the
null one under Java's name, and the server behaves exactly as before the metrics API."""

from zookeeper_py.metrics.impl.null_metrics_provider import NullMetricsProvider


class DefaultMetricsProvider(NullMetricsProvider):
    """Mirror of org.apache.zookeeper.metrics.impl.DefaultMetricsProvider (no endpoint, see the module)."""
