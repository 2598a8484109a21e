"""Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumHierarchical."""

import logging

from zookeeper_py.common.java_integer import NumberFormatException, parse_long
from zookeeper_py.common.string_utils import java_split
from zookeeper_py.server.quorum.flexible.quorum_verifier import QuorumVerifier
from zookeeper_py.server.quorum.quorum_server import ConfigException, LearnerType, from_config_line

LOG = logging.getLogger("QuorumHierarchical")


class QuorumHierarchical(QuorumVerifier):
    """Mirror of org.apache.zookeeper.server.quorum.flexible.QuorumHierarchical.

    Voters are in groups (group.N=sid:sid:...) with weights (weight.sid=w, default 1).
    A quorum is a majority of the groups of non-zero weight, each counted when the set
    holds more than half of that group's weight.
    """

    def __init__(self, props):
        self.server_weight = {}
        self.server_group = {}
        self.group_weight = {}
        self.num_groups = 0
        self.all_members = {}
        self.voting_members = {}
        self.observing_members = {}
        self.version = 0
        self._parse(props)
        LOG.info("%d, %d, %d", len(self.server_weight), len(self.server_group), len(self.group_weight))

    def _parse(self, props):
        for key, value in props.items():
            try:
                self._parse_entry(key, value)
            except NumberFormatException as e:
                raise ConfigException("%s=%s: %s" % (key, value, e)) from None
        for sid, qs in self.all_members.items():
            if qs.type is LearnerType.PARTICIPANT:
                if sid not in self.server_group:
                    raise ConfigException("Server %d is not in a group" % sid)
                self.server_weight.setdefault(sid, 1)
        for sid, gid in self.server_group.items():
            if sid not in self.server_weight:
                # Java fails here with a NullPointerException (exit 1, no word of why).
                raise ConfigException("group.%d: server %d is not a voting member (no server.%d line, or an "
                                      "observer) and has no weight.%d" % (gid, sid, sid, sid))
            self.group_weight[gid] = self.group_weight.get(gid, 0) + self.server_weight[sid]
        # A group of weight 0 does not count towards the majority of groups.
        self.num_groups -= sum(1 for w in self.group_weight.values() if w == 0)

    def _parse_entry(self, key, value):
        """One line, its numbers read as Java's Long.parseLong reads them (no blanks, 64 bits)."""
        if key.startswith("server."):
            qs = from_config_line(key, value)
            self.all_members[qs.id] = qs
            (self.voting_members if qs.type is LearnerType.PARTICIPANT else self.observing_members)[qs.id] = qs
        elif key.startswith("group"):
            gid = parse_long(key[key.find(".") + 1:])
            self.num_groups += 1
            for s in java_split(value, ":"):  # "1:2:" is two members, as in Java
                sid = parse_long(s)
                if sid in self.server_group:
                    raise ConfigException("Server %d is in multiple groups" % sid)
                self.server_group[sid] = gid
        elif key.startswith("weight"):
            self.server_weight[parse_long(key[key.find(".") + 1:])] = parse_long(value)
        elif key == "version":
            self.version = parse_long(value, 16)

    def get_weight(self, sid):
        return self.server_weight.get(sid, 0)

    def contains_quorum(self, set_):
        if not set_:
            return False
        expansion = {}
        for sid in set_:
            gid = self.server_group.get(sid)
            if gid is None:
                continue
            expansion[gid] = expansion.get(gid, 0) + self.server_weight.get(sid, 0)
        maj_groups = sum(1 for gid, w in expansion.items() if w > self.group_weight[gid] // 2)
        return maj_groups > self.num_groups // 2

    def __str__(self):
        out = self._servers_text()
        groups = {}
        for sid, gid in self.server_group.items():
            groups.setdefault(gid, []).append(str(sid))
        for gid in sorted(groups):
            out += "group.%d=%s\n" % (gid, ":".join(groups[gid]))
        for sid in sorted(self.server_weight):
            out += "weight.%d=%d\n" % (sid, self.server_weight[sid])
        return out + "version=%x" % (self.version & 0xFFFFFFFFFFFFFFFF)

    def __eq__(self, other):
        if not isinstance(other, QuorumHierarchical):
            return False
        if other.version == self.version:
            return True
        return (self._members_equal(other) and self.server_weight == other.server_weight
                and self.group_weight == other.group_weight and self.server_group == other.server_group)

    __hash__ = None
