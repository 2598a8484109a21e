"""TLS over a non-blocking socket: the part of Netty's io.netty.handler.ssl.SslHandler that Java's
NettyServerCnxnFactory and ClientCnxnSocketNetty put in front of a connection.

Java's non-blocking TLS lives in Netty; ours lives here, on `ssl.MemoryBIO`s, so the same
selector threads that serve plaintext connections do the handshake and the record layer and no
thread ever blocks on a peer. With `detect=True` it is also 3.6's DualModeSslHandler
(`client.portUnification`): a first byte that is not a TLS handshake record makes the connection
plaintext for good.
"""

import sys
import threading

from zookeeper_py.common.lazy_module import LazyModule

ssl = LazyModule("ssl")

# First byte of a TLS record carrying a handshake message (Netty's SslUtils / 3.6's
# NettyServerCnxnFactory.TLS_HANDSHAKE_RECORD_TYPE).
TLS_HANDSHAKE_RECORD_TYPE = 0x16
_RECV_SIZE = 65536
_READ_SIZE = 65536

def clear_openssl_errors():
    """Forget what a failed TLS call left in this thread's OpenSSL error queue.

    CPython's ssl clears the queue before each call; PyPy's does not, so there an error left by
    one connection's failed handshake fails the next call the same thread makes on another
    connection (a selector thread serves many; a pool thread handshakes many in turn). Call it
    after catching ssl.SSLError on a thread that goes on using TLS."""
    if sys.implementation.name == "pypy":
        from _pypy_openssl import lib  # lazy: loaded with ssl; only a TLS error brings us here

        lib.ERR_clear_error()


class SslHandler:
    """A socket-like object: recv and send plaintext, move TLS records over the raw socket.

    recv() raises BlockingIOError when no application data is ready (the handshake, a partial
    record), returns b"" at the end of the stream, and raises ssl.SSLError (an OSError) when the
    peer speaks garbage or fails the handshake. send() takes all of its buffer or raises
    BlockingIOError while earlier records are still unsent; wants_write() says whether the socket
    needs a writable event to push them out. One reader and any number of writers may use it at
    once: the TLS state is under one lock (OpenSSL's SSL object is not safe across threads).
    """

    def __init__(self, sock, context, server_side, server_hostname=None, detect=False, on_handshake=None):
        self.sock = sock
        self.context = context
        self.server_side = server_side
        self.server_hostname = server_hostname
        # Called with this handler once the handshake is done, or detect found plaintext.
        self.on_handshake = on_handshake
        self.lock = threading.Lock()
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = None
        self.detecting = detect
        self.plaintext = False  # detect found a plaintext client
        self.handshake_done = False
        self.pending = bytearray()  # TLS records not yet taken by the socket
        if not detect:
            self._wrap()

    def _wrap(self):
        self.sslobj = self.context.wrap_bio(self.incoming, self.outgoing, server_side=self.server_side,
                                            server_hostname=self.server_hostname)

    def fileno(self):
        return self.sock.fileno()

    def is_secure(self):
        return self.sslobj is not None

    def ready(self):
        """Application data may be sent: the handshake is done (or the connection is plaintext)."""
        return self.handshake_done or self.plaintext

    def start_handshake(self):
        """Client side: write the ClientHello (send it with flush())."""
        with self.lock:
            try:
                self._handshake_step()
            except ssl.SSLError:
                clear_openssl_errors()
                raise

    def _handshake_step(self):
        """Advance the handshake under the lock; True once it is done."""
        try:
            self.sslobj.do_handshake()
        except ssl.SSLWantReadError:
            self._send_pending()
            return False
        except ssl.SSLError:
            # A refusal: let the peer read the alert naming why (unknown CA, no certificate) before
            # the caller closes the connection, as Java's does.
            try:
                self._send_pending()
            except OSError:
                pass
            raise
        self.handshake_done = True
        self._send_pending()
        return True

    # -- reading --

    def recv(self, bufsize=_RECV_SIZE):
        if self.plaintext:
            return self.sock.recv(bufsize)
        raw = self.sock.recv(max(bufsize, _RECV_SIZE))
        if self.detecting:
            if not raw:
                return raw
            self.detecting = False
            if raw[0] != TLS_HANDSHAKE_RECORD_TYPE:
                self.plaintext = True
                if self.on_handshake is not None:
                    self.on_handshake(self)
                return raw
            self._wrap()
        try:
            return self._recv_tls(raw)
        except ssl.SSLError:
            clear_openssl_errors()
            raise

    def _recv_tls(self, raw):
        handshake_finished = False
        chunks = []
        eof = not raw
        with self.lock:
            if raw:
                self.incoming.write(raw)
            else:
                self.incoming.write_eof()
            if not self.handshake_done:
                if not self._handshake_step():
                    if eof:
                        return b""
                    raise BlockingIOError("TLS handshake in progress")
                handshake_finished = True
            # Take every whole record now: one left in the BIO would never wake the selector. OpenSSL
            # reads one record per call (no read-ahead); stop when nothing is left rather than
            # pay for the failing call and its SSLWantReadError.
            incoming = self.incoming
            sslobj = self.sslobj
            while True:
                try:
                    chunk = sslobj.read(_READ_SIZE)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:  # close_notify
                    eof = True
                    break
                if not chunk:
                    eof = True
                    break
                chunks.append(chunk)
                if not incoming.pending and not sslobj.pending():
                    break
            if self.outgoing.pending:
                self._send_pending()  # TLS 1.3 session tickets, alerts
        if handshake_finished and self.on_handshake is not None:
            self.on_handshake(self)
        if chunks:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if eof:
            return b""
        raise BlockingIOError("no whole TLS record yet")

    # -- writing --

    def send(self, data):
        if self.plaintext:
            return self.sock.send(data)
        with self.lock:
            if self.pending:
                self._send_pending()
                if self.pending:
                    raise BlockingIOError("earlier TLS records are still unsent")
            if not self.handshake_done:
                raise BlockingIOError("TLS handshake in progress")
            try:
                self.sslobj.write(data)
            except ssl.SSLError:
                clear_openssl_errors()
                raise
            self._send_pending()
        return len(data)

    def flush(self):
        """Push unsent TLS records; True when none is left."""
        if not self.pending and self.outgoing.pending == 0:
            return True
        with self.lock:
            self._send_pending()
            return not self.pending

    def wants_write(self):
        return bool(self.pending)

    def _send_pending(self):
        data = self.outgoing.read()
        pending = self.pending
        if data:
            if pending:
                pending += data
            else:
                # The usual case: send the new records as they are, keep only what the socket leaves.
                try:
                    sent = self.sock.send(data)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                if sent == len(data):
                    return
                pending = self.pending = bytearray(memoryview(data)[sent:])
        while pending:
            try:
                sent = self.sock.send(pending)
            except (BlockingIOError, InterruptedError):
                return
            del pending[:sent]

    # -- the peer --

    def get_peer_certificate_chain(self):
        """The peer's certificates as DER, leaf first ([] when it sent none). Python's ssl gives
        only the leaf before 3.13, and the leaf is all X509AuthenticationProvider reads."""
        if self.sslobj is None or not self.handshake_done:
            return []
        leaf = self.sslobj.getpeercert(binary_form=True)
        return [leaf] if leaf else []

    def version(self):
        return self.sslobj.version() if self.sslobj is not None else None

    def cipher(self):
        return self.sslobj.cipher() if self.sslobj is not None else None

    def close(self):
        """Best effort close_notify; the caller closes the socket."""
        if self.sslobj is None or not self.handshake_done:
            return
        with self.lock:
            try:
                self.sslobj.unwrap()
            except ssl.SSLError:
                clear_openssl_errors()
            except ValueError:
                pass
            try:
                self._send_pending()
            except OSError:
                pass
