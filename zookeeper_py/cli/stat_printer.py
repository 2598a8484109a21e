"""Mirror of org.apache.zookeeper.cli.StatPrinter."""

import time

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def java_date(ms):
    """java.util.Date(ms).toString(): "EEE MMM dd HH:mm:ss zzz yyyy" in the local zone,
    English names whatever the locale."""
    t = time.localtime(ms / 1000.0)
    return "%s %s %02d %02d:%02d:%02d %s %d" % (
        _DAYS[t.tm_wday], _MONTHS[t.tm_mon - 1], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_zone, t.tm_year)


def to_hex_string(value):
    """Long.toHexString: lowercase, two's complement for negatives."""
    return "%x" % (value & 0xFFFFFFFFFFFFFFFF)


class StatPrinter:
    """Mirror of org.apache.zookeeper.cli.StatPrinter."""

    def __init__(self, out):
        self.out = out

    def print(self, stat):
        self.out.write(
            "cZxid = 0x%s\nctime = %s\nmZxid = 0x%s\nmtime = %s\npZxid = 0x%s\ncversion = %d\ndataVersion = %d\n"
            "aclVersion = %d\nephemeralOwner = 0x%s\ndataLength = %d\nnumChildren = %d\n" % (
                to_hex_string(stat.czxid), java_date(stat.ctime), to_hex_string(stat.mzxid), java_date(stat.mtime),
                to_hex_string(stat.pzxid), stat.cversion, stat.version, stat.aversion,
                to_hex_string(stat.ephemeralOwner), stat.dataLength, stat.numChildren))
