"""Mirror of org.apache.zookeeper.server.util.ZxidUtils."""


class ZxidUtils:
    """Mirror of org.apache.zookeeper.server.util.ZxidUtils."""

    @staticmethod
    def get_epoch_from_zxid(zxid):
        return zxid >> 32

    @staticmethod
    def get_counter_from_zxid(zxid):
        return zxid & 0xFFFFFFFF

    @staticmethod
    def make_zxid(epoch, counter):
        return (epoch << 32) | (counter & 0xFFFFFFFF)

    @staticmethod
    def zxid_to_string(zxid):
        return "%x" % (zxid & 0xFFFFFFFFFFFFFFFF)
