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
    address, percent, scope = host.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return host
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return ":".join("%x" % int(group, 16) for group in ip.exploded.split(":")) + percent + scope


def resolve(host):
    """InetAddress.getByName(host).getHostAddress(); the host itself when it does not resolve.

    A name with IPv4 and IPv6 addresses gives its first IPv4 one, as Java does by default
    (java.net.preferIPv6Addresses=false), whatever order the system's resolver gives: a member
    binds, advertises and is reached at one address, and Java members pick the same one."""
    if not host:
        return "0.0.0.0"
    if _is_ip_literal(host):
        return host
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    except OSError:
        return host
    for info in infos:
        if info[0] == socket.AF_INET:
            return info[4][0]
    return infos[0][4][0] if infos else host


def is_wildcard(host):
    """No host, 0.0.0.0 or ::: Java's any-local address, which listens on IPv6 and IPv4 alike."""
    return not host or host in ("0.0.0.0", "::") or (":" in host and java_host_address(host) == "0:0:0:0:0:0:0:0")


def server_socket(host, make_socket=None):
    """(unbound socket, address to bind it to) for a configured listen host, as Java binds an
    InetSocketAddress of it: the wildcard on every IPv6 and IPv4 address where the machine has
    IPv6 (IPv4 peers then show as ::ffff:a.b.c.d, which unmapped turns back); a name at the
    address resolve() gives it. make_socket(family) makes the socket (default: plain TCP)."""
    make_socket = make_socket or (lambda family: socket.socket(family, socket.SOCK_STREAM))
    if is_wildcard(host):
        if socket.has_ipv6:
            try:
                ss = make_socket(socket.AF_INET6)
            except OSError:
                ss = None  # IPv6 is off on this machine
            if ss is not None:
                try:
                    ss.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                    return ss, "::"
                except OSError:
                    ss.close()
        return make_socket(socket.AF_INET), "0.0.0.0"
    ip = resolve(host)
    return make_socket(socket.AF_INET6 if ":" in ip else socket.AF_INET), ip


class NetUtils:
    """Mirror of org.apache.zookeeper.common.NetUtils."""

    @staticmethod
    def format_inet_addr(addr):
        """`ip:port`, `[v6]:port` for IPv6, or `host:port` when the host does not resolve."""
        host, port = addr[0], addr[1]
        ip = java_host_address(resolve(host))
        if ":" in ip:
            return "[%s]:%d" % (ip, port)
        return "%s:%d" % (ip, port)


def inet_socket_address_str(addr):
    """InetSocketAddress.toString() (Java 14+): `hostname/ip:port`, `/ip:port` for an IP literal,
    an IPv6 address in full and in brackets (`/[0:0:0:0:0:0:0:1]:port`), and
    `hostname/<unresolved>:port` for a name that does not resolve."""
    host, port = addr[0], addr[1]
    if not host:
        host = "0.0.0.0"
    if _is_ip_literal(host):
        name, ip = "", host
    else:
        name, ip = host, resolve(host)
        if ip == host:
            return "%s/<unresolved>:%d" % (host, port)
    if ":" in ip:
        ip = java_host_address(ip)
        if ":" in ip:
            return "%s/[%s]:%d" % (name, ip, port)
    return "%s/%s:%d" % (name, ip, port)


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
