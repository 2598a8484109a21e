"""Mirror of org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider (ZooKeeper 3.6+).

zoo.cfg:

    metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
    metricsProvider.httpHost=0.0.0.0      (3.8; default 0.0.0.0)
    metricsProvider.httpPort=7000         (default 7000)
    metricsProvider.exportJvmInfo=true    (default true: here the process and platform metrics)

serves the text exposition format on http://httpHost:httpPort/metrics. Gauges are callbacks
read at scrape time, as in Java, so they cost the server nothing between scrapes.
prometheus_client does the exposition format and the process collector; the HTTP server is
Jetty's shape (common/jetty_http_server), as Java's provider runs Jetty: idle or half-sent
connections hold no thread.
"""

import collections
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from zookeeper_py.common.jetty_http_server import JettyHttpServer, JettyRequestHandler
from zookeeper_py.metrics.counter import Counter
from zookeeper_py.metrics.metrics_context import MetricsContext
from zookeeper_py.metrics.metrics_provider import MetricsProvider, MetricsProviderLifeCycleException
from zookeeper_py.metrics.summary import DetailLevel, Summary

LOG = logging.getLogger("PrometheusMetricsProvider")

# Java's LABEL: the label of a GaugeSet's values.
LABEL = "key"
# 3.8's summary quantiles: ADVANCED has 0.5, 0.9 and 0.99, BASIC the median only.
ADVANCED_QUANTILES = (0.5, 0.9, 0.99)
BASIC_QUANTILES = (0.5,)
# Quantiles are computed over the most recent observations of the last SUMMARY_MAX_AGE seconds
# (Java: a CKMS window of 10 minutes), so a spike ages out as it does in Java.
SUMMARY_WINDOW = 4096
SUMMARY_MAX_AGE = 600.0

# Keys of Java's provider that tune its summary executor; we observe in the calling thread
# (Java's numWorkerThreads=0), so they are accepted and change nothing.
_EXECUTOR_KEYS = ("numWorkerThreads", "maxQueueSize", "workerShutdownTimeoutMs")


def check_configuration(configuration):
    """None if every key can be honoured, else (key, why): a bad config stops the server (exit 2)."""
    for key, value in configuration.items():
        if key == "httpPort" or key in _EXECUTOR_KEYS:
            try:
                number = int(value)
            except ValueError:
                return key, "is not a number"
            if key == "httpPort" and not 0 <= number <= 65535:
                return key, "is not a port"
        elif key in ("httpHost", "exportJvmInfo"):
            pass
        elif key == "httpsPort" or key.startswith("ssl."):
            return key, "is not supported: TLS on the /metrics endpoint is not implemented by zookeeper_py"
        else:
            return key, "is not a key of PrometheusMetricsProvider"
    return None


class PrometheusCounter(Counter):
    """Mirror of PrometheusMetricsProvider.PrometheusCounter."""

    def __init__(self, name):
        self.name = name
        self.value = 0
        self.lock = threading.Lock()

    def add(self, delta):
        if delta < 0:
            raise ValueError("Counter cannot be decremented")
        with self.lock:
            self.value += delta

    def get(self):
        return self.value


class PrometheusSummary(Summary):
    """Mirror of PrometheusMetricsProvider.PrometheusSummary: count, sum and quantiles."""

    def __init__(self, name, detail_level):
        self.name = name
        self.quantiles = ADVANCED_QUANTILES if detail_level == DetailLevel.ADVANCED else BASIC_QUANTILES
        self.count = 0
        self.sum = 0
        self.recent = collections.deque(maxlen=SUMMARY_WINDOW)
        self.recent_times = collections.deque(maxlen=SUMMARY_WINDOW)
        self.lock = threading.Lock()

    def add(self, value):
        with self.lock:
            self.count += 1
            self.sum += value
            self.recent.append(value)
            self.recent_times.append(time.monotonic())

    def snapshot(self):
        """(count, sum, [(quantile, value)]); the values are NaN with no observation in the window."""
        with self.lock:
            oldest = time.monotonic() - SUMMARY_MAX_AGE
            while self.recent_times and self.recent_times[0] < oldest:
                self.recent_times.popleft()
                self.recent.popleft()
            count, total, recent = self.count, self.sum, sorted(self.recent)
        out = []
        for q in self.quantiles:
            out.append((q, recent[min(len(recent) - 1, int(q * len(recent)))] if recent else float("nan")))
        return count, total, out


class Context(MetricsContext):
    """Mirror of PrometheusMetricsProvider.Context: one flat namespace (Java: "no hierarchy yet")."""

    def __init__(self):
        self.gauges = {}
        self.gauge_sets = {}
        self.counters = {}
        self.summaries = {}
        self.lock = threading.Lock()

    def get_context(self, name):
        return self

    def get_counter(self, name):
        with self.lock:
            return self.counters.setdefault(name, PrometheusCounter(name))

    def register_gauge(self, name, gauge):
        with self.lock:
            self.gauges[name] = gauge

    def unregister_gauge(self, name):
        with self.lock:
            self.gauges.pop(name, None)

    def register_gauge_set(self, name, gauge_set):
        with self.lock:
            self.gauge_sets[name] = gauge_set

    def unregister_gauge_set(self, name):
        with self.lock:
            self.gauge_sets.pop(name, None)

    def get_summary(self, name, detail_level):
        with self.lock:
            summary = self.summaries.get(name)
            if summary is None:
                summary = self.summaries[name] = PrometheusSummary(name, detail_level)
            return summary


def _read(name, fn):
    """A gauge's value now, or None (no value now, or its callback failed: Java logs and skips it)."""
    try:
        return fn()
    except Exception:
        LOG.debug("Cannot read gauge %s", name, exc_info=True)
        return None


class ContextCollector:
    """A prometheus_client collector over a Context: reads every gauge when /metrics is scraped."""

    def __init__(self, context):
        self.context = context

    def collect(self):
        with self.context.lock:
            gauges = list(self.context.gauges.items())
            gauge_sets = list(self.context.gauge_sets.items())
            counters = list(self.context.counters.values())
            summaries = list(self.context.summaries.values())
        for name, gauge in gauges:
            value = _read(name, gauge)
            if value is not None:
                yield GaugeMetricFamily(name, name, value=float(value))
        for name, gauge_set in gauge_sets:
            values = _read(name, gauge_set)
            if values:
                family = GaugeMetricFamily(name, name, labels=[LABEL])
                for key, value in sorted(values.items()):
                    family.add_metric([key], float(value))
                yield family
        for counter in counters:
            yield CounterMetricFamily(counter.name, counter.name, value=counter.get())
        for summary in summaries:
            count, total, quantiles = summary.snapshot()
            family = Metric(summary.name, summary.name, "summary")
            for q, value in quantiles:
                family.add_sample(summary.name, {"quantile": str(q)}, float(value))
            family.add_sample(summary.name + "_count", {}, float(count))
            family.add_sample(summary.name + "_sum", {}, float(total))
            yield family


class PrometheusMetricsProvider(MetricsProvider):
    """Mirror of org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider."""

    def __init__(self):
        # Java uses the default registry; one per provider keeps servers in one process apart.
        self.collector_registry = CollectorRegistry(auto_describe=False)
        self.root_context = Context()
        self.host = "0.0.0.0"
        self.port = 7000
        self.export_jvm_info = True
        self.server = None
        self.server_thread = None

    def configure(self, configuration):
        LOG.info("Initializing metrics, configuration: %s", configuration)
        self.host = configuration.get("httpHost", "0.0.0.0")
        self.port = int(configuration.get("httpPort", "7000"))
        # Boolean.parseBoolean: only "true" (any case) is true.
        self.export_jvm_info = configuration.get("exportJvmInfo", "true").strip().lower() == "true"

    def start(self):
        LOG.info("Starting /metrics HTTP endpoint at host: %s, port: %d, exportJvmInfo: %s",
                 self.host, self.port, str(self.export_jvm_info).lower())
        self.collector_registry.register(ContextCollector(self.root_context))
        if self.export_jvm_info:
            # DefaultExports.initialize(): the JVM's process, memory and GC metrics; ours are the
            # process's (CPU, memory, open fds), the interpreter's and its garbage collector's.
            ProcessCollector(registry=self.collector_registry)
            PlatformCollector(registry=self.collector_registry)
            GCCollector(registry=self.collector_registry)
        try:
            # Jetty's ServerConnector default idle timeout: 30 s.
            self.server = JettyHttpServer(self.host, self.port, 30000, MetricsServlet, "qtpPrometheusMetricsProvider",
                                          self.collector_registry)
        except (OSError, OverflowError) as e:
            LOG.error("Cannot start /metrics server", exc_info=True)
            raise MetricsProviderLifeCycleException("Cannot start /metrics server on %s:%d: %s"
                                                    % (self.host, self.port, e)) from e
        self.server_thread = threading.Thread(target=self.server.serve_forever, args=(0.25,), daemon=True,
                                              name="PrometheusMetricsProvider-%d" % self.get_port())
        self.server_thread.start()

    def get_root_context(self):
        return self.root_context

    def get_port(self):
        """The port /metrics listens on (httpPort=0 picks a free one)."""
        return self.server.socket.getsockname()[1] if self.server is not None else self.port

    def stop(self):
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
            self.server_thread.join(5)

    def dump(self, sink):
        for family in self.collector_registry.collect():
            for sample in family.samples:
                labels = ",".join('%s="%s"' % kv for kv in sample.labels.items())
                sink(sample.name + ("{%s}" % labels if labels else ""), sample.value)

    def reset_all_values(self):
        pass  # not supported on Prometheus, as in Java


class MetricsServlet(JettyRequestHandler):
    """Java's MetricsServletImpl at /metrics: the registry in the format the Accept header
    asks for, `name[]` parameters filtering it; other paths are Jetty's 404."""

    def do_GET(self):
        self._get(send_body=True)

    def do_HEAD(self):
        self._get(send_body=False)

    def do_POST(self):
        # simpleclient's doPost is doGet; the body is not read, so the connection closes after.
        if "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            self.close_connection = True
        self._get(send_body=True)

    def _not_allowed(self):
        self._servlet_not_allowed(urlsplit(self.path).path == "/metrics")

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_OPTIONS(self):
        self._servlet_options("GET, HEAD, POST, TRACE, OPTIONS")

    def do_TRACE(self):
        self._forbid_trace()

    def _get(self, send_body):
        url = urlsplit(self.path)
        if url.path != "/metrics":
            self._error(404, "Not Found", send_body)
            return
        registry = self.server.context
        names = parse_qs(url.query).get("name[]")
        if names:
            registry = _NamedFamilies(registry, names)
        encoder, content_type = choose_encoder(self.headers.get("Accept"))
        self._reply(200, content_type, encoder(registry), send_body)


class _NamedFamilies:
    """simpleclient's filteredMetricFamilySamples: the families of the registry named by `name[]`.
    prometheus_client's restricted_registry finds names through describe(), which the gauges,
    registered and dropped as roles change, do not offer: it returned nothing."""

    def __init__(self, registry, names):
        self.registry = registry
        self.names = set(names)

    def collect(self):
        for family in self.registry.collect():
            if family.name in self.names or any(sample.name in self.names for sample in family.samples):
                yield family
