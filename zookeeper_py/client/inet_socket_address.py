"""A small twin of java.net.InetSocketAddress, as the client's host list uses it."""

import ipaddress


class InetSocketAddress:
    """java.net.InetSocketAddress: a host string, a port, and the resolved IP if any."""

    __slots__ = ("host", "port", "address")

    def __init__(self, host, port, address=None):
        self.host = host
        self.port = int(port)
        self.address = address  # the resolved IP text, None while unresolved

    @staticmethod
    def create_unresolved(host, port):
        return InetSocketAddress(host, port)

    def get_host_string(self):
        return self.host

    def get_port(self):
        return self.port

    def get_address(self):
        return self.address

    def is_unresolved(self):
        return self.address is None

    def sockaddr(self):
        """What socket.connect takes."""
        return (self.address or self.host, self.port)

    def __eq__(self, other):
        return (isinstance(other, InetSocketAddress) and self.port == other.port
                and (self.address or self.host) == (other.address or other.host))

    def __hash__(self):
        return hash((self.address or self.host, self.port))

    def __str__(self):
        # Java: "host/1.2.3.4:port", or "host/<unresolved>:port" while unresolved.
        addr = self.address
        if addr is not None:
            try:
                if ipaddress.ip_address(addr).version == 6:
                    addr = "[%s]" % addr
            except ValueError:
                pass
        return "%s/%s:%d" % (self.host or "", addr if addr is not None else "<unresolved>", self.port)

    __repr__ = __str__
