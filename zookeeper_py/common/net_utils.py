"""Mirror of org.apache.zookeeper.common.NetUtils, and Java's InetSocketAddress.toString()."""

import errno
import ipaddress
import socket
import threading

_scratch = threading.local()


def _is_ip_literal(host):
    # inet_pton first: a peer's address (every new connection logs one) is an IP literal, and
    # parsing it with ipaddress costs ten times more.
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except (OSError, ValueError, TypeError):
            pass
    try:
        ipaddress.ip_address(host)  # also an IPv6 literal with a scope, fe80::1%eth0
        return True
    except ValueError:
        return False


def java_host_address(host):
    """InetAddress.getHostAddress: IPv6 in full (0:0:0:0:0:0:0:1), v4-mapped as IPv4; names as given."""
    if ":" not in host:
        return host  # IPv4 as it is (a peer address is already in dotted form), or a name
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return host
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return ":".join("%x" % int(group, 16) for group in ip.exploded.split(":"))


def resolve(host):
    """InetAddress.getByName(host).getHostAddress(); the host itself when it does not resolve."""
    if not host:
        return "0.0.0.0"
    if _is_ip_literal(host):
        return host
    try:
        return socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)[0][4][0]
    except (OSError, IndexError):
        return host


class NetUtils:
    """Mirror of org.apache.zookeeper.common.NetUtils."""

    @staticmethod
    def format_inet_addr(addr):
        """`ip:port`, `[v6]:port` for IPv6, or `host:port` when the host does not resolve."""
        host, port = addr[0], addr[1]
        ip = resolve(host)
        if ":" in ip:
            return "[%s]:%d" % (ip, port)
        return "%s:%d" % (ip, port)


def inet_socket_address_str(addr):
    """InetSocketAddress.toString(): `hostname/ip:port`, or `/ip:port` for an IP literal."""
    host, port = addr[0], addr[1]
    if not host:
        host = "0.0.0.0"
    if _is_ip_literal(host):
        return "/%s:%d" % (host, port)
    return "%s/%s:%d" % (host, resolve(host), port)


def close_socket(sock):
    """Shut a socket down both ways, then close it, ignoring errors.

    The shutdown wakes a thread blocked reading it (close alone does not, on Linux)."""
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def unmapped(host):
    """An IPv4 peer of a dual-stack socket as Java shows it: ::ffff:10.0.0.1 -> 10.0.0.1."""
    if host.startswith("::ffff:") and "." in host:
        return host[7:]
    return host


def peer_address(sock):
    """The remote (host, port) of a socket, or None when the peer is already gone.

    getpeername() raises ENOTCONN on an accepted socket the peer reset before we looked
    (a port scanner, a health check); Java's getRemoteSocketAddress() does not throw."""
    try:
        addr = sock.getpeername()
    except OSError:
        return None
    if not isinstance(addr, tuple):
        return addr  # an AF_UNIX peer (a socketpair): no host and port
    return unmapped(addr[0]), addr[1]


# accept() errors that say something about one connection or a passing shortage of fds or
# memory, not about the listening socket: a listener logs them and goes on accepting.
TRANSIENT_ACCEPT_ERRORS = frozenset((
    errno.ECONNABORTED, errno.ECONNRESET, errno.EPROTO, errno.EPERM, errno.EINTR, errno.EAGAIN,
    errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ETIMEDOUT, errno.EHOSTUNREACH,
    errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ENONET, errno.EOPNOTSUPP))


def recv_view(sock, size):
    """What sock.recv(size) would return, as a memoryview of this thread's scratch buffer: valid
    until the thread's next call, so the caller copies what it keeps (BlockingIOError and b""
    at the end of the stream as recv).

    PyPy's recv(size) allocates a new size-byte buffer in its nursery for every call: each 64 KB
    read of a client connection left 64 KB of garbage, a minor collection every 500 reads (200 KB
    for each session a client opens and closes), each a pause of every thread."""
    buf = getattr(_scratch, "buf", None)
    if buf is None or len(buf) < size:
        buf = _scratch.buf = memoryview(bytearray(size))
    return buf[:sock.recv_into(buf, size)]
