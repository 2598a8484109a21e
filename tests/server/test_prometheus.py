"""metricsProvider.className=...PrometheusMetricsProvider (ZooKeeper 3.6+): /metrics against mntr.

Our server is started with the provider on a free port, /metrics is scraped with urllib and
parsed with prometheus_client's parser, and the values are compared with `mntr` on the same
idle server. Java 3.8 runs the same config only where its Prometheus provider jars are on the
class path (Debian's zookeeper package has none: the comparison is skipped, saying so).
"""

import glob
import socket
import time
import urllib.error
import urllib.request
import zipfile

import pytest
from kazoo.client import KazooClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support import java_zk
from tests.support.ensemble import Ensemble
from tests.support.net import four_letter_word, free_port, free_ports, process_thread_count, wait_for_port, wait_until
from tests.support.servers import JavaServer, PythonServer

PROMETHEUS = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"

# Names ZooKeeper 3.6+ exports for what mntr shows (ZooKeeperServer.registerMetrics).
SERVER_GAUGES = ("znode_count", "watch_count", "outstanding_requests", "num_alive_connections",
                 "approximate_data_size", "ephemerals_count", "packets_received", "packets_sent", "avg_latency",
                 "min_latency", "max_latency", "open_file_descriptor_count", "max_file_descriptor_count",
                 "global_sessions", "last_client_response_size", "uptime")


def prometheus_cfg(port, **extra):
    cfg = {"metricsProvider.className": PROMETHEUS, "metricsProvider.httpHost": "127.0.0.1",
           "metricsProvider.httpPort": str(port)}
    cfg.update(("metricsProvider." + k, v) for k, v in extra.items())
    return cfg


def scrape(port):
    """{name: {labels tuple: value}} of every sample on http://127.0.0.1:port/metrics."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(metrics, name):
    return metrics[name][()]


def mntr(port):
    lines = four_letter_word("127.0.0.1", port, "mntr").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def queue_keys(metrics):
    return {dict(labels)["key"] for labels in metrics.get("queue_depth", {})}


@pytest.fixture
def prometheus_server(tmp_path):
    port = free_port()
    server = PythonServer(str(tmp_path), extra_cfg=prometheus_cfg(port))
    server.start()
    wait_for_port("127.0.0.1", port)
    yield server, port
    server.stop(kill=True)


def test_standalone_metrics_match_mntr(prometheus_server):
    server, port = prometheus_server
    zk = KazooClient(hosts=server.address)
    zk.start(15)
    try:
        before = value(scrape(port), "znode_count")
        for i in range(7):
            zk.create("/p%d" % i, b"x" * i)
        zk.create("/eph1", b"", ephemeral=True)
        zk.create("/eph2", b"", ephemeral=True)
        zk.get("/p1", watch=lambda event: None)
        # Idle now: the scrape and mntr see the same tree (mntr's own connection aside).
        metrics = scrape(port)
        monitor = mntr(server.client_port)
        for name in SERVER_GAUGES:
            assert name in metrics, name
        for name in ("znode_count", "ephemerals_count", "watch_count", "approximate_data_size",
                     "outstanding_requests", "max_file_descriptor_count"):
            assert value(metrics, name) == float(monitor["zk_" + name]), name
        assert value(metrics, "znode_count") == before + 7 + 2
        assert value(metrics, "ephemerals_count") == 2
        assert value(metrics, "outstanding_requests") == 0
        assert value(metrics, "num_alive_connections") == 1  # kazoo (mntr counted itself too)
        assert int(monitor["zk_num_alive_connections"]) == 2
        assert value(metrics, "global_sessions") == 1
        assert value(metrics, "uptime") > 0
        # The queues between threads, read at scrape time.
        keys = queue_keys(metrics)
        assert "SyncThread:0.queued_requests" in keys, keys
        assert any(k.endswith(".accepted_queue") for k in keys), keys
        assert all(v == 0 for v in metrics["queue_depth"].values())
        assert metrics["queue_bound"][(("key", "SyncThread:0.queued_requests"),)] > 0
        # 3.6's request latency summaries: count, sum and the quantiles of DetailLevel.ADVANCED.
        assert value(metrics, "updatelatency_count") >= 9  # the creates (and the session)
        assert value(metrics, "readlatency_count") >= 1  # the get
        # Where time goes (3.6): the load at start, the snapshot it takes then, the fsyncs since.
        assert value(metrics, "dbinittime_count") == 1
        assert value(metrics, "snapshottime_count") >= 1
        assert value(metrics, "fsynctime_count") >= 1
        assert {dict(labels)["quantile"] for labels in metrics["fsynctime"]} == {"0.5"}  # DetailLevel.BASIC
        quantiles = {dict(labels)["quantile"] for labels in metrics["readlatency"]}
        assert quantiles == {"0.5", "0.9", "0.99"}
        # Not a leader: no leader gauges; standalone: no quorum_size.
        assert "learners" not in metrics and "quorum_size" not in metrics
        # exportJvmInfo (default true): the process's own metrics.
        assert value(metrics, "process_open_fds") > 0
        assert "python_info" in metrics
    finally:
        zk.stop()
        zk.close()
    wait_until(lambda: value(scrape(port), "num_alive_connections") == 0, message="kazoo's connection gone")
    assert value(scrape(port), "ephemerals_count") == 0


def _request(port, method, path="/metrics", body=None):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), ""


def test_methods_and_name_filter_as_simpleclients_servlet(prometheus_server):
    # Java's MetricsServlet: POST is GET; other methods HttpServlet's (405, OPTIONS lists them),
    # TRACE forbidden as on 3.6+'s Jetty; name[] picks families. Ours answered 501 to every
    # method but GET and HEAD, and name[] gave an empty page.
    server, port = prometheus_server
    status, _, text = _request(port, "POST", body=b"x=1")
    assert status == 200 and "znode_count" in text
    assert _request(port, "PUT", body=b"")[0] == 405
    assert _request(port, "DELETE")[0] == 405
    status, headers, _ = _request(port, "OPTIONS")
    assert status == 200 and headers["Allow"] == "GET, HEAD, POST, TRACE, OPTIONS"
    assert _request(port, "TRACE")[0] == 403
    assert _request(port, "PUT", path="/other", body=b"")[0] == 404
    status, _, text = _request(port, "GET", path="/metrics?name[]=znode_count&name[]=readlatency_count")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert status == 200 and set(families) == {"znode_count", "readlatency"}, text
    # the server still answers on a kept-alive connection after those
    assert value(scrape(port), "znode_count") > 0


def test_summary_quantiles_age_out_and_average_latency_is_exact(monkeypatch):
    # Java's summaries keep a 10-minute window: a spike stops showing once it is older. Ours kept
    # the last 4096 values for ever. avg_latency is 3.6's double; ours sent 3.5.7's whole ms.
    from zookeeper_py.metrics.prometheus import prometheus_metrics_provider as provider
    from zookeeper_py.metrics.summary import DetailLevel
    from zookeeper_py.server.server_stats import ServerStats

    monkeypatch.setattr(provider, "SUMMARY_MAX_AGE", 0.5)
    summary = provider.PrometheusSummary("readlatency", DetailLevel.ADVANCED)
    for _ in range(10):
        summary.add(900)
    assert summary.snapshot() == (10, 9000, [(0.5, 900), (0.9, 900), (0.99, 900)])
    time.sleep(0.6)
    summary.add(2)
    assert summary.snapshot() == (11, 9002, [(0.5, 2), (0.9, 2), (0.99, 2)])

    stats = ServerStats(None)
    stats.update_latency(0, 1)
    stats.update_latency(0, 2)
    assert (stats.get_avg_latency(), stats.get_exact_avg_latency()) == (1, 1.5)


def test_metrics_endpoint_stops_with_the_server(prometheus_server):
    server, port = prometheus_server
    assert server.stop() == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_idle_and_half_sent_connections_hold_no_thread_and_keep_no_one_out(prometheus_server):
    """300 connections to /metrics's port that say nothing or send half a request: the server
    holds no thread for them and scrapes still answer; only /metrics is served, as Java's
    servlet mapping. (prometheus_client's server gave each connection a thread, for good.)"""
    server, port = prometheus_server
    before = process_thread_count(server.proc.pid)
    held = []
    try:
        for i in range(300):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(s)
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert value(scrape(port), "znode_count") > 0
        grown = process_thread_count(server.proc.pid) - before
        assert grown <= 10, "%d more threads" % grown
    finally:
        for s in held:
            s.close()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://127.0.0.1:%d/other" % port, timeout=10)
    assert e.value.code == 404


def test_export_jvm_info_false(tmp_path):
    port = free_port()
    server = PythonServer(str(tmp_path), extra_cfg=prometheus_cfg(port, exportJvmInfo="false"))
    server.start()
    try:
        wait_for_port("127.0.0.1", port)
        metrics = scrape(port)
        assert "znode_count" in metrics
        assert not [name for name in metrics if name.startswith(("process_", "python_"))]
    finally:
        server.stop(kill=True)


def test_default_provider_serves_no_metrics(tmp_path):
    """metricsProvider.className=...DefaultMetricsProvider stays as before: no endpoint, mntr as ever."""
    port = free_port()
    cfg = {"metricsProvider.className": "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider",
           "metricsProvider.httpPort": str(port)}
    server = PythonServer(str(tmp_path), extra_cfg=cfg)
    server.start()
    try:
        assert "zk_znode_count" in mntr(server.client_port)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        server.stop(kill=True)


@pytest.mark.parametrize("cfg, key", [
    ({"metricsProvider.className": "org.example.NoSuchProvider"}, "metricsProvider.className"),
    (prometheus_cfg(7000, httpsPort="7443"), "metricsProvider.httpsPort"),
    (prometheus_cfg(7000, httpPort="seven"), "metricsProvider.httpPort"),
])
def test_bad_metrics_provider_config_exits_2(tmp_path, cfg, key):
    server = PythonServer(str(tmp_path), extra_cfg=cfg)
    code, output = server.run_to_exit()
    assert code == 2, output[-3000:]
    assert key in output and server.cfg_path in output, output[-3000:]


def test_metrics_port_in_use_is_a_startup_error(tmp_path):
    """Java: "Cannot boot MetricsProvider" (an IOException out of runFromConfig), exit 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = PythonServer(str(tmp_path), extra_cfg=prometheus_cfg(port))
        code, output = server.run_to_exit()
    assert code == 1, output[-3000:]
    assert "Cannot start /metrics server on 127.0.0.1:%d" % port in output, output[-3000:]


@pytest.mark.slow
def test_leader_follower_and_observer_of_ensemble(tmp_path):
    ens = Ensemble(str(tmp_path), kinds=("python",) * 4, observers=(4,))
    taken = set(ens.client_ports.values()) | set(ens.quorum_ports.values()) | set(ens.election_ports.values())
    ports = free_ports(4)
    while taken & set(ports):
        ports = free_ports(4)
    ports = dict(zip(sorted(ens.servers), ports))
    for sid, server in ens.servers.items():
        server.cfg.update(prometheus_cfg(ports[sid]))
        server.write_cfg()
    ens.start()
    try:
        leader = ens.wait_for_quorum()
        zk = KazooClient(hosts=ens.connect_string())
        zk.start(15)
        try:
            for i in range(5):
                zk.create("/q%d" % i, b"v")
            zk.sync("/")
        finally:
            zk.stop()
            zk.close()

        def leader_metrics():
            metrics = scrape(ports[leader])
            if metrics.get("synced_observers", {}).get(()) == 1 and value(metrics, "znode_count") == float(
                    mntr(ens.client_ports[leader])["zk_znode_count"]):
                return metrics
            return None

        metrics = wait_until(leader_metrics, timeout=20, interval=0.2, message="leader's /metrics settled")
        monitor = mntr(ens.client_ports[leader])
        assert value(metrics, "znode_count") >= 5 + 4
        assert value(metrics, "quorum_size") == 3
        assert value(metrics, "learners") == 3 == int(monitor["zk_followers"])  # mntr's followers: every learner
        assert value(metrics, "synced_observers") == 1 == int(monitor["zk_synced_observers"])
        assert value(metrics, "synced_non_voting_followers") == 0 == int(monitor["zk_synced_non_voting_followers"])
        assert int(monitor["zk_learners"]) == 3
        assert value(metrics, "synced_followers") == 2 == int(monitor["zk_synced_followers"])
        assert value(metrics, "pending_syncs") == 0 == int(monitor["zk_pending_syncs"])
        assert value(metrics, "outstanding_requests") == 0
        # 3.6's counters and summaries of the leader: it looked, was elected, synced three
        # learners, and proposed and committed the writes (the sessions' txns too).
        assert value(metrics, "looking_count_total") >= 1
        assert value(metrics, "election_time_count") >= 1
        assert value(metrics, "unavailable_time_count") >= 1
        assert value(metrics, "leader_unavailable_time_count") >= 1
        assert value(metrics, "diff_count_total") + value(metrics, "snap_count_total") >= 3
        assert value(metrics, "proposal_count_total") >= 5
        assert value(metrics, "commit_count_total") >= 5
        assert value(metrics, "quorum_ack_latency_count") >= 5
        keys = queue_keys(metrics)
        assert any(k.endswith(".queued_packets") for k in keys), keys  # a LearnerHandler's
        assert "QuorumCnxManager.recv_queue" in keys, keys
        assert "Leader.outstanding_proposals" in keys, keys
        # A follower: quorum and server gauges, no leader gauges.
        follower = next(sid for sid in ens.servers if sid not in (leader, 4))
        znodes = value(metrics, "znode_count")
        metrics = wait_until(lambda: (lambda m: m if value(m, "znode_count") == znodes else None)(
            scrape(ports[follower])), timeout=20, interval=0.2, message="follower's znodes")
        assert value(metrics, "quorum_size") == 3
        assert "learners" not in metrics
        # Its proposals and commits since the leader stamped them (3.6's Follower and FollowerZooKeeperServer).
        assert value(metrics, "proposal_latency_count") >= 5
        assert value(metrics, "commit_propagation_latency_count") >= 5
        assert value(metrics, "election_time_count") >= 1
        assert value(metrics, "follower_sync_time_count") >= 1
        assert value(metrics, "unavailable_time_count") >= 1
        assert value(metrics, "leader_unavailable_time_count") == 0
        assert value(metrics, "proposal_count_total") == 0
        # The observer: the INFORMs it applied (3.6's Observer), no proposals.
        metrics = wait_until(lambda: (lambda m: m if value(m, "znode_count") == znodes else None)(
            scrape(ports[4])), timeout=20, interval=0.2, message="observer's znodes")
        assert value(metrics, "commit_propagation_latency_count") >= 5
        assert value(metrics, "proposal_latency_count") == 0
    finally:
        ens.stop()


def java_prometheus_missing_reason():
    reason = java_zk.missing_reason()
    if reason:
        return reason
    for jar in java_zk.classpath().split(":") + glob.glob("/usr/share/zookeeper/lib/*.jar"):
        try:
            with zipfile.ZipFile(jar) as z:
                if "org/apache/zookeeper/metrics/prometheus/PrometheusMetricsProvider.class" in z.namelist():
                    return None
        except (OSError, zipfile.BadZipFile):
            continue
    return ("Java ZooKeeper 3.8 here has no PrometheusMetricsProvider (Debian's zookeeper package ships no "
            "zookeeper-prometheus-metrics jar nor simpleclient), so the same config cannot run on Java")


@pytest.mark.java
def test_java_same_config(tmp_path):
    reason = java_prometheus_missing_reason()
    if reason:
        pytest.skip(reason)
    port = free_port()
    server = JavaServer(str(tmp_path), extra_cfg=prometheus_cfg(port))
    server.start()
    try:
        wait_for_port("127.0.0.1", port)
        metrics = scrape(port)
        for name in SERVER_GAUGES:
            assert name in metrics, name
        assert value(metrics, "znode_count") == float(mntr(server.client_port)["zk_znode_count"])
    finally:
        server.stop(kill=True)

