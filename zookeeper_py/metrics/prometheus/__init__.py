"""Mirror of the package org.apache.zookeeper.metrics.prometheus (ZooKeeper 3.6+)."""
