"""Mirror of org.apache.zookeeper.Quotas: where quota nodes live."""


class Quotas:
    """Mirror of org.apache.zookeeper.Quotas."""

    procZookeeper = "/zookeeper"
    quotaZookeeper = "/zookeeper/quota"
    limitNode = "zookeeper_limits"
    statNode = "zookeeper_stats"

    @staticmethod
    def quota_path(path):
        return Quotas.quotaZookeeper + path + "/" + Quotas.limitNode

    @staticmethod
    def stat_path(path):
        return Quotas.quotaZookeeper + path + "/" + Quotas.statNode
