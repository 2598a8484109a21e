"""Mirror of org.apache.zookeeper.cli: the commands of zkCli (ZooKeeperMain)."""
