"""Mirror of org.apache.zookeeper.client: connect strings, host providers, client config."""
