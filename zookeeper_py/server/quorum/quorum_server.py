"""Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer, LearnerType and ServerState.

They are inner types of QuorumPeer in Java; they live here so that configuration
parsing does not need the whole peer. quorum_peer.py re-exports them.
"""

import enum
import ipaddress
import logging
import socket

from zookeeper_py.common.java_integer import parse_int
from zookeeper_py.common.net_utils import java_host_address
from zookeeper_py.keeper_exception import BadArgumentsException

LOG = logging.getLogger("QuorumPeer")


class ConfigException(Exception):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeerConfig.ConfigException."""


class LearnerType(enum.Enum):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.LearnerType."""

    PARTICIPANT = 0
    OBSERVER = 1


class ServerState(enum.Enum):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.ServerState (value = wire ordinal)."""

    LOOKING = 0
    FOLLOWING = 1
    LEADING = 2
    OBSERVING = 3


def get_host_and_port(s):
    # cycle: quorum_server -> config_utils -> quorum_server
    from zookeeper_py.server.util.config_utils import ConfigUtils

    return ConfigUtils.get_host_and_port(s)


def _delimited_host(host):
    return "[%s]" % host if ":" in host else host


def _is_special(host):
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError:
            return True
    return ip.is_unspecified or ip.is_loopback


class QuorumServer:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer.

    Addresses are (host, port) pairs kept as written in the config; they are resolved
    when connecting.
    """

    WRONG_FORMAT = (" does not have the form server_config or server_config;client_config where server_config is "
                    "host:port:port or host:port:port:type and client_config is port or host:port")

    def __init__(self, sid, address_str=None, addr=None, election_addr=None, client_addr=None,
                 type_=LearnerType.PARTICIPANT):
        self.id = sid
        self.addr = addr
        self.election_addr = election_addr
        self.client_addr = client_addr
        self.type = type_
        self.hostname = addr[0] if addr else None
        if address_str is not None:
            self._parse(address_str)

    def _parse(self, address_str):
        server_client = address_str.split(";")
        server_parts = get_host_and_port(server_client[0])
        if len(server_client) > 2 or len(server_parts) < 3 or len(server_parts) > 4:
            raise ConfigException(address_str + self.WRONG_FORMAT)
        if len(server_client) == 2:
            client_parts = get_host_and_port(server_client[1])
            if len(client_parts) > 2:
                raise ConfigException(address_str + self.WRONG_FORMAT)
            hostname = java_host_address(client_parts[0]) if len(client_parts) == 2 else "0.0.0.0"
            self.client_addr = (hostname, _port(hostname, client_parts[-1]))
        # An IPv6 literal as Java keeps it, in full ([::1] is server.N=[0:0:0:0:0:0:0:1]:...): the
        # config every member shows (/zookeeper/config, `conf`) is then the same in a mixed ensemble.
        host = java_host_address(server_parts[0])
        self.addr = (host, _port(host, server_parts[1]))
        self.election_addr = (host, _port(host, server_parts[2]))
        if self.addr[1] == self.election_addr[1]:
            raise ConfigException(
                "Client and election port must be different! Please update the configuration file on server.%d"
                % self.id)
        if len(server_parts) == 4:
            self.set_type(server_parts[3])
        self.hostname = host

    def set_type(self, s):
        if s.lower() == "observer":
            self.type = LearnerType.OBSERVER
        elif s.lower() == "participant":
            self.type = LearnerType.PARTICIPANT
        else:
            raise ConfigException("Unrecognised peertype: " + s)

    def get_id(self):
        return self.id

    def _my_addrs(self):
        return [a for a in (self.addr, self.client_addr, self.election_addr) if a is not None and not _is_special(a[0])]

    def check_address_duplicate(self, other):
        for mine in self._my_addrs():
            for theirs in other._my_addrs():
                if mine == theirs:
                    raise BadArgumentsException(
                        "%s of server.%d conflicts %s of server.%d" % (mine, self.id, theirs, other.id))

    def __str__(self):
        out = ""
        if self.addr is not None:
            out += "%s:%d" % (_delimited_host(self.addr[0]), self.addr[1])
        if self.election_addr is not None:
            out += ":%d" % self.election_addr[1]
        out += ":observer" if self.type is LearnerType.OBSERVER else ":participant"
        if self.client_addr is not None:
            out += ";%s:%d" % (_delimited_host(self.client_addr[0]), self.client_addr[1])
        return out

    def __repr__(self):
        return "QuorumServer(%d, %s)" % (self.id, self)

    def __eq__(self, other):
        return (isinstance(other, QuorumServer) and other.id == self.id and other.type == self.type
                and other.addr == self.addr and other.election_addr == self.election_addr
                and other.client_addr == self.client_addr)

    __hash__ = None


def _port(host, text):
    # Integer.parseInt, as Java's: a reconfig -members item "...;2181 " is BadArguments on a Java leader
    try:
        port = parse_int(text)
    except ValueError:
        raise ConfigException("Address unresolved: %s:%s" % (host, text)) from None
    if not 0 <= port <= 0xFFFF:
        raise ConfigException("port out of range:%d" % port)  # InetSocketAddress's words
    return port


def from_config_line(key, value):
    """The QuorumServer of a `server.<sid>=<address spec>` line, and a ConfigException that names
    the line where Java's names only what was wrong in it."""
    sid = int(key[key.index(".") + 1:])
    try:
        return QuorumServer(sid, value)
    except ConfigException as e:
        raise ConfigException("%s=%s is invalid: %s" % (key, value, e)) from None
