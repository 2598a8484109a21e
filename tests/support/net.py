"""Sockets for tests: free ports, waiting for a port, four-letter words."""

import os
import random
import socket
import struct
import time

# Ports handed out by free_port(s) in this process, so two servers of one test never get the same one.
_HANDED_OUT = set()
# Below Linux's ephemeral range (32768-60999 by default), where no outgoing connection takes a port
# between our pick and the server's bind; and below test_kazoo_suite's blocks (20000-32767).
_PORT_RANGE = (10000, 20000)


def _bindable(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now, outside the ephemeral range.

    Not the OS's pick (bind to port 0): that comes from the ephemeral range, and a client connecting
    anywhere in the meantime may take the same port as its local end before our server binds it."""
    for _ in range(1000):
        port = random.randrange(*_PORT_RANGE)
        if port not in _HANDED_OUT and _bindable(host, port):
            if len(_HANDED_OUT) > (_PORT_RANGE[1] - _PORT_RANGE[0]) // 2:
                _HANDED_OUT.clear()
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no free port in %d-%d" % _PORT_RANGE)


def free_ports(n, host="127.0.0.1"):
    """n distinct free ports."""
    return [free_port(host) for _ in range(n)]


def wait_for_port(host, port, timeout=30):
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.time() > deadline:
                raise TimeoutError("nothing listens on %s:%d after %ss" % (host, port, timeout)) from None
            time.sleep(0.05)


def four_letter_word(host, port, word, timeout=5):
    """Send a four-letter word the way FourLetterWordMain does and read the answer to EOF."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode("ascii"))
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode("utf-8", "replace")


def wait_until(condition, timeout=10, interval=0.02, message="condition"):
    """Poll `condition` until it returns a true value; return that value or raise TimeoutError."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError("%s not reached within %ss" % (message, timeout))
        time.sleep(interval)


def reset_connection(host, port, timeout=2):
    """Connect, then close with SO_LINGER 0: the peer gets an RST (a port scanner, a health check).

    Returns False when nothing listens there."""
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return False
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return True


def process_rss_kb(pid):
    """VmRSS of a process in KiB (Linux), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def process_thread_count(pid):
    """The threads of a process (Linux)."""
    return len(os.listdir("/proc/%d/task" % pid))


def process_fd_count(pid):
    """The open descriptors of a process (Linux)."""
    return len(os.listdir("/proc/%d/fd" % pid))


def process_open_file_limit(pid):
    """The soft open-file limit of a process (Linux), or None."""
    try:
        with open("/proc/%d/limits" % pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
    except (OSError, ValueError):
        pass
    return None


def read_to_end(sock):
    """Everything the peer sends until it closes the connection."""
    chunks = []
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def closed_by_peer(sock, timeout):
    """Seconds until the peer closes sock (EOF or reset); TimeoutError if it is still open after timeout."""
    start = time.time()
    while True:
        remaining = start + timeout - time.time()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return time.time() - start
        except (ConnectionResetError, BrokenPipeError):
            return time.time() - start
        except socket.timeout:
            break
    raise TimeoutError("port %d kept the connection open for %ss" % (sock.getpeername()[1], timeout))


def ipv6_loopback_missing():
    """Why a test cannot use ::1 here, or None."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        return "no IPv6 loopback (::1) on this machine: %s" % e
    return None
