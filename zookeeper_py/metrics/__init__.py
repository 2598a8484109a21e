"""Mirror of the package org.apache.zookeeper.metrics (ZooKeeper 3.6+): the metrics API.

A MetricsProvider (metricsProvider.className in zoo.cfg) hands out a MetricsContext, in which
the server registers Gauges (callbacks read at scrape time) and gets Counters and Summaries.
The default provider keeps today's behaviour (mntr and the AdminServer); the Prometheus one
serves http://httpHost:httpPort/metrics.
"""
