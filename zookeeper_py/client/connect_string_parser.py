"""Mirror of org.apache.zookeeper.client.ConnectStringParser."""

from zookeeper_py.client.inet_socket_address import InetSocketAddress
from zookeeper_py.common.java_integer import parse_int
from zookeeper_py.common.path_utils import PathUtils

DEFAULT_PORT = 2181


def _ipv6_host_and_port(host_port):
    """NetUtils.getIPV6HostAndPort: [] when not "[v6]...", else [host] or [host, port]."""
    if not host_port.startswith("["):
        return []
    i = host_port.rfind("]")
    if i < 0:
        raise ValueError(host_port + " starts with '[' but has no matching ']'")
    host = host_port[1:i]
    if not host:
        raise ValueError(host + " is empty.")
    if len(host_port) > i + 1:
        if host_port[i + 1] != ":":
            raise ValueError(host_port + " does not have : after ]")
        if i + 2 == len(host_port):
            raise ValueError(host_port + " doesn't have a port after colon.")
        return [host, host_port[i + 2:]]
    return [host]


class ConnectStringParser:
    """Mirror of org.apache.zookeeper.client.ConnectStringParser: "h1:p1,h2:p2/chroot"."""

    def __init__(self, connect_string):
        off = connect_string.find("/")
        if off >= 0:
            chroot = connect_string[off:]
            if len(chroot) == 1:
                self.chroot_path = None
            else:
                PathUtils.validate_path(chroot)
                self.chroot_path = chroot
            connect_string = connect_string[:off]
        else:
            self.chroot_path = None
        self.server_addresses = []
        for host in connect_string.split(","):
            host = host.strip()
            if not host:
                continue  # Java's StringUtils.split drops empty entries
            port = DEFAULT_PORT
            v6 = _ipv6_host_and_port(host)
            if v6:
                host = v6[0]
                if len(v6) == 2:
                    port = parse_int(v6[1])
            else:
                pidx = host.rfind(":")
                if pidx >= 0:
                    if pidx < len(host) - 1:
                        port = parse_int(host[pidx + 1:])
                    host = host[:pidx]
            self.server_addresses.append(InetSocketAddress.create_unresolved(host, port))

    def get_chroot_path(self):
        return self.chroot_path

    def get_server_addresses(self):
        return self.server_addresses
