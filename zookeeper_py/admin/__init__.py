"""Mirror of org.apache.zookeeper.admin."""
