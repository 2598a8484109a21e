"""Mirror of org.apache.zookeeper.StatsTrack (the 3.7+ form, which also reads 3.5's)."""

import re

_PAIRS_SEPARATOR = re.compile("[,;]+")


class StatsTrack:
    """Mirror of org.apache.zookeeper.StatsTrack: `count=N,bytes=M` quota limits and usage."""

    def __init__(self, stat=None):
        if isinstance(stat, (bytes, bytearray)):
            stat = bytes(stat).decode("utf-8")
        self.stats = {}
        if not stat:
            return
        for pair in _PAIRS_SEPARATOR.split(stat):
            if not pair:
                continue
            parts = pair.split("=")
            if len(parts) < 2:
                raise ValueError("invalid string " + stat)
            self.stats[parts[0]] = int(parts[1]) if parts[1] else -1

    def _get(self, key):
        return self.stats.get(key, -1)

    def get_count(self):
        return self._get("count")

    def set_count(self, count):
        self.stats["count"] = count

    def get_count_hard_limit(self):
        return self._get("countHardLimit")

    def set_count_hard_limit(self, count):
        self.stats["countHardLimit"] = count

    def get_bytes(self):
        return self._get("bytes")

    def set_bytes(self, nbytes):
        self.stats["bytes"] = nbytes

    def get_byte_hard_limit(self):
        return self._get("byteHardLimit")

    def set_byte_hard_limit(self, nbytes):
        self.stats["byteHardLimit"] = nbytes

    def __str__(self):
        text = "count=%d,bytes=%d" % (self.get_count(), self.get_bytes())
        extra = sorted(k for k in self.stats if k not in ("count", "bytes"))
        if extra:
            # The extra "=" makes 3.5's parser ignore the newer keys, as Java writes it.
            text += "=" + "".join(";%s=%d" % (k, self.stats[k]) for k in extra)
        return text

    def get_stats_bytes(self):
        return str(self).encode("utf-8")

    def __eq__(self, other):
        return isinstance(other, StatsTrack) and self.stats == other.stats

    def __hash__(self):
        return hash(tuple(sorted(self.stats.items())))
