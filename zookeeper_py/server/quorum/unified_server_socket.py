"""Mirror of org.apache.zookeeper.server.quorum.UnifiedServerSocket: quorum and election ports that speak TLS.

A UnifiedServerSocket listens like any server socket; each connection it accepts is a
UnifiedSocket whose mode (TLS or plaintext) is not known yet. The first use of the
connection on its own thread (a LearnerHandler, a QuorumConnectionThread) peeks at the
first five bytes, within ssl.quorum.handshakeDetectionTimeoutMillis: a TLS record header
means TLS (handshake, then the client's certificate checked against the peer's IP), anything
else plaintext, which only a port with portUnification=true accepts ("Blocked insecure
connection attempt" otherwise). Java's accept() leaves the detection to the first read
too; nothing of it ever runs on the accepting thread, so a silent or garbage-sending peer
costs only its own connection, for at most the detection timeout.

The bytes are peeked (MSG_PEEK), not read, so a plaintext connection needs no
PrependableSocket and a TLS one hands OpenSSL the whole ClientHello.

TlsSocket is the SSLSocket of these connections: TLS over a connected socket that one
thread may read while another writes (SendWorker and RecvWorker, a LearnerHandler and its
Sender). An OpenSSL SSL object may not be used by two threads at once, so the TLS work
runs on in-memory BIOs under a lock that is never held during socket I/O.
"""

import io
import logging
import re
import socket
import struct
import threading
import time

from zookeeper_py.common.lazy_module import LazyModule
from zookeeper_py.common.net_utils import close_socket, inet_socket_address_str, peer_address
from zookeeper_py.common.ssl_handler import clear_openssl_errors

LOG = logging.getLogger("UnifiedServerSocket")
ssl = LazyModule("ssl")

# TLS record content types (change_cipher_spec, alert, handshake, application_data)
_TLS_CONTENT_TYPES = frozenset((20, 21, 22, 23))
_TIMEVAL = struct.Struct("@ll")
_RECV_CHUNK = 65536
_WRITE_CHUNK = 16384  # one TLS record's worth of plaintext
_SSL_SOURCE = re.compile(r" \(_ssl\.c:\d+\)$")


def is_encrypted(litmus):
    """Netty's SslHandler.isEncrypted for the first five bytes: do they start a TLS record?

    An SSLv2-compatible hello is not accepted (no TLS library here speaks it)."""
    if len(litmus) < 5:
        return False
    if litmus[0] not in _TLS_CONTENT_TYPES or litmus[1] != 3:
        return False
    length = (litmus[3] << 8) | litmus[4]
    return length > 0


def _peer_name(sock):
    addr = peer_address(sock)
    return inet_socket_address_str(addr) if addr else "<closed>"


class TlsSocket:
    """A TLS connection over a connected socket (Java's SSLSocket), safe for one reader and one writer thread.

    Socket options, timeouts, shutdown and close act on the underlying socket; its
    timeout bounds each read and write as on a plain socket.
    """

    def __init__(self, sock, context, server_side, server_hostname=None):
        self._sock = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side,
                                     server_hostname=server_hostname)
        self._ssl_lock = threading.Lock()  # every call on the SSL object and its BIOs
        self._send_lock = threading.Lock()  # keeps TLS records in order on the wire; taken before _ssl_lock
        self._recv_lock = threading.Lock()  # one reader at a time
        self.server_side = server_side

    # -- handshake ---------------------------------------------------------------------------

    def do_handshake(self, timeout):
        """Complete the handshake within timeout seconds (socket.timeout after it, ssl.SSLError on failure)."""
        sock = self._sock
        deadline = time.monotonic() + timeout
        old_timeout = sock.gettimeout()
        try:
            while True:
                try:
                    with self._ssl_lock:
                        self._ssl.do_handshake()
                    self._flush_pending()
                    return
                except ssl.SSLWantReadError:
                    self._flush_pending()
                except ssl.SSLError:
                    clear_openssl_errors()  # PyPy leaves it for the next connection this pool thread serves
                    # Let the peer see our alert before the connection goes.
                    try:
                        self._flush_pending()
                    except OSError:
                        pass
                    raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout("TLS handshake not complete after %d ms" % (timeout * 1000))
                sock.settimeout(remaining)
                try:
                    data = sock.recv(_RECV_CHUNK)
                except socket.timeout:
                    raise socket.timeout("TLS handshake not complete after %d ms" % (timeout * 1000)) from None
                if not data:
                    raise ConnectionResetError("connection closed by the peer during the TLS handshake")
                with self._ssl_lock:
                    self._incoming.write(data)
        finally:
            try:
                sock.settimeout(old_timeout)
            except OSError:
                pass

    # -- I/O ---------------------------------------------------------------------------------------

    def _flush_pending(self):
        """Send what the TLS engine has written (handshake messages, alerts, records), in order."""
        with self._send_lock:
            with self._ssl_lock:
                out = self._outgoing.read()
            if out:
                self._sock.sendall(out)

    def sendall(self, data):
        view = memoryview(data).cast("B")
        with self._send_lock:
            with self._ssl_lock:
                off = 0
                try:
                    while off < len(view):
                        off += self._ssl.write(view[off:off + _WRITE_CHUNK])
                except ssl.SSLError:
                    clear_openssl_errors()
                    raise
                out = self._outgoing.read()
            self._sock.sendall(out)

    def send(self, data):
        self.sendall(data)
        return len(data)

    def recv_into(self, buffer, nbytes=0):
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        if n == 0:
            return 0
        with self._recv_lock:
            while True:
                got = None
                with self._ssl_lock:
                    try:
                        got = self._ssl.read(n, view)
                    except ssl.SSLWantReadError:
                        pass
                    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        clear_openssl_errors()
                        got = 0  # close_notify, or the connection ended without one
                    except ssl.SSLError:
                        clear_openssl_errors()
                        raise
                    pending = self._outgoing.pending
                if pending:
                    self._flush_pending()  # e.g. a TLS 1.3 KeyUpdate answer
                if got is not None:
                    return got
                data = self._sock.recv(_RECV_CHUNK)
                with self._ssl_lock:
                    if data:
                        self._incoming.write(data)
                    else:
                        self._incoming.write_eof()

    def recv(self, bufsize):
        buf = bytearray(bufsize)
        n = self.recv_into(buf, bufsize)
        return bytes(buf[:n])

    def makefile(self, mode="r", buffering=None):
        raw = _TlsSocketIO(self, "r" if "r" in mode else "w")
        size = buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE
        if "r" in mode:
            return io.BufferedReader(raw, size)
        return io.BufferedWriter(raw, size)

    # -- the session ----------------------------------------------------------------------------

    def getpeercert(self, binary_form=False):
        with self._ssl_lock:
            return self._ssl.getpeercert(binary_form)

    def version(self):
        with self._ssl_lock:
            return self._ssl.version()

    def cipher(self):
        with self._ssl_lock:
            c = self._ssl.cipher()
        return c[0] if c else None

    # -- the socket underneath ---------------------------------------------------------------------

    def settimeout(self, value):
        self._sock.settimeout(value)

    def gettimeout(self):
        return self._sock.gettimeout()

    def setsockopt(self, *args):
        self._sock.setsockopt(*args)

    def getsockopt(self, *args):
        return self._sock.getsockopt(*args)

    def getpeername(self):
        return self._sock.getpeername()

    def getsockname(self):
        return self._sock.getsockname()

    def fileno(self):
        return self._sock.fileno()

    @property
    def family(self):
        return self._sock.family

    def shutdown(self, how):
        self._sock.shutdown(how)

    def close(self):
        self._sock.close()

    def __repr__(self):
        return "<TlsSocket %s>" % self._sock


class _TlsSocketIO(io.RawIOBase):
    """socket.SocketIO for a TlsSocket (what makefile() buffers)."""

    def __init__(self, tls, mode):
        super().__init__()
        self._tls = tls
        self._mode = mode

    def readable(self):
        return self._mode == "r"

    def writable(self):
        return self._mode == "w"

    def readinto(self, b):
        return self._tls.recv_into(b)

    def write(self, b):
        self._tls.sendall(b)
        return len(b)


def create_ssl_socket(x509_util, sock, server_hostname):
    """The connecting side (X509Util.createSSLSocket + startHandshake): TLS over a connected socket.

    The server's certificate is checked against server_hostname (the configured peer
    address) when the context verifies hostnames (ssl.quorum.hostnameVerification). The
    socket is closed when the handshake fails."""
    try:
        context = x509_util.get_default_ssl_context(server_side=False)
        tls = TlsSocket(sock, context, server_side=False, server_hostname=server_hostname)
        tls.do_handshake(x509_util.get_ssl_handshake_timeout_millis() / 1000.0)
    except Exception:
        close_socket(sock)
        raise
    LOG.info("SSL handshake complete with %s - %s - %s", _peer_name(sock), tls.version(), tls.cipher())
    return tls


class UnifiedServerSocket:
    """Mirror of org.apache.zookeeper.server.quorum.UnifiedServerSocket.

    A listening socket whose accepted connections are UnifiedSockets (TLS or plaintext,
    decided on the connection's own thread). allow_insecure_connection is portUnification:
    without it, only TLS is accepted.
    """

    def __init__(self, x509_util, allow_insecure_connection, family=socket.AF_INET):
        self.x509_util = x509_util
        self.allow_insecure_connection = allow_insecure_connection
        self._sock = socket.socket(family, socket.SOCK_STREAM)

    def accept(self):
        raw, addr = self._sock.accept()
        return UnifiedSocket(self.x509_util, self.allow_insecure_connection, raw), addr

    def bind(self, addr):
        self._sock.bind(addr)

    def listen(self, backlog):
        self._sock.listen(backlog)

    def setsockopt(self, *args):
        self._sock.setsockopt(*args)

    def getsockname(self):
        return self._sock.getsockname()

    def fileno(self):
        return self._sock.fileno()

    def settimeout(self, value):
        self._sock.settimeout(value)

    def shutdown(self, how):
        self._sock.shutdown(how)

    def close(self):
        self._sock.close()

    def __repr__(self):
        return "<UnifiedServerSocket %s%s>" % (self._sock, " portUnification" if self.allow_insecure_connection
                                               else "")


class UnifiedSocket:
    """Mirror of org.apache.zookeeper.server.quorum.UnifiedServerSocket.UnifiedSocket.

    An accepted connection of unknown mode. Socket options and timeouts apply to it
    before the mode is known; the first read or write (or get_socket()) detects the mode,
    on the calling thread, and every I/O call goes to the plain socket or the TlsSocket.
    """

    UNKNOWN, PLAINTEXT, TLS = "UNKNOWN", "PLAINTEXT", "TLS"

    def __init__(self, x509_util, allow_insecure_connection, sock):
        self.x509_util = x509_util
        self.allow_insecure_connection = allow_insecure_connection
        self.prependable_socket = sock  # Java's PrependableSocket; the bytes are peeked, so nothing to prepend
        self.ssl_socket = None
        self.mode = self.UNKNOWN
        self._detect_lock = threading.Lock()

    def is_secure_socket(self):
        return self.mode == self.TLS

    def is_plaintext_socket(self):
        return self.mode == self.PLAINTEXT

    def is_mode_known(self):
        return self.mode != self.UNKNOWN

    def _peek_litmus(self, timeout_ms):
        """Up to five bytes, without consuming them: fewer on EOF or after timeout_ms (b"" if none came)."""
        sock = self.prependable_socket
        old_timeout = sock.gettimeout()
        litmus = b""
        deadline = time.monotonic() + timeout_ms / 1000.0
        try:
            sock.settimeout(None)  # a blocking socket, so that SO_RCVTIMEO bounds the MSG_WAITALL peek
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0.001:
                    LOG.warning("Socket mode detection timed out after %d ms, assuming PLAINTEXT", timeout_ms)
                    break
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                                _TIMEVAL.pack(int(remaining), int((remaining % 1) * 1000000)))
                try:
                    litmus = sock.recv(5, socket.MSG_PEEK | socket.MSG_WAITALL)
                except (BlockingIOError, socket.timeout):
                    LOG.warning("Socket mode detection timed out after %d ms, assuming PLAINTEXT", timeout_ms)
                    break
                if len(litmus) >= 5 or not litmus:
                    break
                # a partial header: the peek timed out (or was interrupted); wait for the rest within the deadline
        finally:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(0, 0))
                sock.settimeout(old_timeout)
            except OSError:
                pass
        return litmus

    def detect_mode(self):
        """TLS or plaintext; raises OSError (the connection closed, with a log line naming the peer and the
        reason) when the connection cannot be used: insecure where only TLS is allowed, a failed or timed
        out handshake, a client certificate that does not name the peer's address."""
        sock = self.prependable_socket
        peer = _peer_name(sock)
        x509_util = self.x509_util
        stage = "failed to create SSL context"
        try:
            timeout_ms = x509_util.get_ssl_handshake_timeout_millis()
            litmus = self._peek_litmus(timeout_ms)
            if is_encrypted(litmus):
                context = x509_util.get_default_ssl_context(server_side=True)
                stage = "TLS handshake failed"
                tls = TlsSocket(sock, context, server_side=True)
                tls.do_handshake(timeout_ms / 1000.0)
                stage = "client certificate refused"
                addr = peer_address(sock)
                cert_der = tls.getpeercert(binary_form=True)
                if cert_der is not None:  # none asked for (ssl.quorum.clientAuth=none) or offered (=want)
                    # Java's ZKTrustManager checks the client's certificate against its address in the
                    # handshake; Python's ssl cannot, so it is checked here, before the first byte is read.
                    x509_util.verify_client_hostname(cert_der, addr[0] if addr else "")
                self.ssl_socket = tls
                self.mode = self.TLS
                LOG.info("Accepted TLS connection from %s - %s - %s", peer, tls.version(), tls.cipher())
            elif self.allow_insecure_connection:
                self.mode = self.PLAINTEXT
                LOG.info("Accepted plaintext connection from %s", peer)
            else:
                self.mode = self.PLAINTEXT
                stage = None
                raise OSError("Blocked insecure connection attempt")
        except Exception as e:
            if stage is None or isinstance(e, socket.timeout):
                reason = _reason(e)
            else:
                reason = "%s: %s" % (stage, _reason(e))
            LOG.warning("Closing the connection from %s: %s", peer, reason)
            close_socket(sock)
            if isinstance(e, OSError):
                raise
            raise OSError(reason) from e

    def get_socket(self):
        """The connection to read and write: the plain socket or the TlsSocket (detecting the mode first)."""
        if self.mode == self.UNKNOWN:
            with self._detect_lock:
                if self.mode == self.UNKNOWN:
                    self.detect_mode()
        if self.mode == self.TLS:
            return self.ssl_socket
        return self.prependable_socket

    def get_ssl_socket(self):
        sock = self.get_socket()
        if self.mode != self.TLS:
            raise OSError("Socket mode is not TLS")
        return sock

    def _current(self):
        return self.ssl_socket if self.mode == self.TLS else self.prependable_socket

    # -- socket calls: options on whatever is there now, I/O after detection -----------------------

    def recv_into(self, buffer, nbytes=0):
        return self.get_socket().recv_into(buffer, nbytes)

    def recv(self, bufsize, flags=0):
        return self.get_socket().recv(bufsize, *((flags,) if flags else ()))

    def sendall(self, data):
        return self.get_socket().sendall(data)

    def send(self, data):
        return self.get_socket().send(data)

    def makefile(self, mode="r", buffering=None):
        return self.get_socket().makefile(mode, buffering=buffering)

    def settimeout(self, value):
        self._current().settimeout(value)

    def gettimeout(self):
        return self._current().gettimeout()

    def setsockopt(self, *args):
        self._current().setsockopt(*args)

    def getsockopt(self, *args):
        return self._current().getsockopt(*args)

    def getpeername(self):
        return self.prependable_socket.getpeername()

    def getsockname(self):
        return self.prependable_socket.getsockname()

    def fileno(self):
        return self.prependable_socket.fileno()

    @property
    def family(self):
        return self.prependable_socket.family

    def shutdown(self, how):
        self.prependable_socket.shutdown(how)

    def close(self):
        self.prependable_socket.close()

    def __repr__(self):
        return "<UnifiedSocket %s %s>" % (self.mode, self.prependable_socket)


def _reason(e):
    """An exception as a log line: its text without OpenSSL's source position, or its type."""
    return _SSL_SOURCE.sub("", str(e)) or type(e).__name__
