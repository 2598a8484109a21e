"""Mirror of org.apache.zookeeper.metrics.impl.MetricsProviderBootstrap.

Java loads metricsProvider.className with Class.forName; we know the providers by their Java
names. An unknown name, or a provider key we cannot honour, is a bad config (exit 2) found
when zoo.cfg is parsed, not a silent system property."""

import logging

from zookeeper_py.metrics.impl.default_metrics_provider import DefaultMetricsProvider
from zookeeper_py.metrics.impl.null_metrics_provider import NullMetricsProvider
from zookeeper_py.metrics.metrics_provider import MetricsProviderLifeCycleException

LOG = logging.getLogger("MetricsProviderBootstrap")

DEFAULT_METRICS_PROVIDER = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"
NULL_METRICS_PROVIDER = "org.apache.zookeeper.metrics.impl.NullMetricsProvider"
PROMETHEUS_METRICS_PROVIDER = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
KNOWN_PROVIDERS = (DEFAULT_METRICS_PROVIDER, NULL_METRICS_PROVIDER, PROMETHEUS_METRICS_PROVIDER)


def _provider_class(class_name):
    if class_name == PROMETHEUS_METRICS_PROVIDER:
        # lazy: imported only when chosen, so a default server does not load prometheus_client.
        from zookeeper_py.metrics.prometheus.prometheus_metrics_provider import PrometheusMetricsProvider
        return PrometheusMetricsProvider
    if class_name == NULL_METRICS_PROVIDER:
        return NullMetricsProvider
    return DefaultMetricsProvider


def check_configuration(class_name, configuration):
    """None if the metricsProvider.* keys can be honoured, else (key, why)."""
    if class_name not in KNOWN_PROVIDERS:
        return ("metricsProvider.className",
                "is not a metrics provider zookeeper_py has (%s)" % ", ".join(KNOWN_PROVIDERS))
    if class_name == PROMETHEUS_METRICS_PROVIDER:
        # lazy, as in _provider_class.
        from zookeeper_py.metrics.prometheus.prometheus_metrics_provider import check_configuration as check
        problem = check(configuration)
        if problem is not None:
            return ("metricsProvider." + problem[0], problem[1])
    return None


class MetricsProviderBootstrap:
    """Mirror of org.apache.zookeeper.metrics.impl.MetricsProviderBootstrap."""

    @staticmethod
    def start_metrics_provider(class_name, configuration):
        """Make, configure and start the provider; MetricsProviderLifeCycleException if it cannot start."""
        try:
            provider = _provider_class(class_name)()
            provider.configure(dict(configuration))
            provider.start()
            return provider
        except MetricsProviderLifeCycleException:
            LOG.error("Cannot boot MetricsProvider %s", class_name, exc_info=True)
            raise


start_metrics_provider = MetricsProviderBootstrap.start_metrics_provider
