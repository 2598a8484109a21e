"""Mirror of the package org.apache.zookeeper.metrics.impl."""
