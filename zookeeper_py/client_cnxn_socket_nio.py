"""Mirror of org.apache.zookeeper.ClientCnxnSocketNIO: the client socket on one selector.

Differences from Java that keep the Python hot path lean (same bytes on the wire, same
order):
- Writes are gathered: every queued packet is framed into one buffer and sent with one
  send() call, instead of one packet per writable event. EVENT_WRITE interest is taken
  only while the kernel buffer is full, so an idle or keeping-up connection costs no
  epoll_ctl calls.
- A read takes whatever the kernel has (up to 256 KiB) and handles every complete frame
  in it; records are decoded straight from that buffer.
- The selector is woken by a pipe (Java's Selector.wakeup()), written only when the
  SendThread may be sleeping.
"""

import errno
import logging
import os
import selectors
import socket
import struct
import time

from zookeeper_py.client_cnxn_socket import ClientCnxnSocket
from zookeeper_py.common.net_utils import close_socket
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ClientCnxnSocketNIO")

_INT = struct.Struct(">i")
_LEN_HDR = struct.Struct(">iii")  # frame length, RequestHeader{xid, type}
_RECV_SIZE = 262144
_MAX_GATHER = 1 << 20  # stop framing more packets once this much is waiting to be sent
_PING = OpCode.ping
_AUTH = OpCode.auth


class EndOfStreamException(IOError):
    """Mirror of org.apache.zookeeper.ClientCnxn.EndOfStreamException."""

    def __str__(self):
        return "EndOfStreamException: " + (self.args[0] if self.args else "")


class ClientCnxnSocketNIO(ClientCnxnSocket):
    """Mirror of org.apache.zookeeper.ClientCnxnSocketNIO."""

    def __init__(self, client_config):
        super().__init__(client_config)
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.selector.register(self._wake_r, selectors.EVENT_READ)
        self._woken = False
        self.sock = None  # Java's sockKey: set from connect() until cleanup()
        self.io = None  # what recv and send go through: the socket (ClientCnxnSocketNetty: its SslHandler)
        self._connecting = False
        self._want_write = False  # EVENT_WRITE registered: the kernel buffer was full
        self._outbuf = bytearray()
        self._inbuf = b""
        self.local_socket_address = None
        self.remote_socket_address = None

    def is_connected(self):
        return self.sock is not None

    # -- reading --

    def _do_read(self, pending_queue, cnxn):
        try:
            data = self.io.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            raise EndOfStreamException(
                "Unable to read additional data from server sessionid 0x%x, likely server has closed socket"
                % (self.session_id & 0xFFFFFFFFFFFFFFFF))
        if self._inbuf:
            data = self._inbuf + data
        n = len(data)
        pos = 0
        unpack = _INT.unpack_from
        read_response = self.send_thread.read_response
        while n - pos >= 4:
            length, = unpack(data, pos)
            self.check_length(length)
            end = pos + 4 + length
            if end > n:
                break
            self.recv_count += 1
            if not self.initialized:
                self.read_connect_result(data, pos + 4, end)
                self.initialized = True
            else:
                read_response(data, pos + 4, end)
            pos = end
            self.last_heard = self.now
        self._inbuf = data[pos:] if pos < n else b""

    # -- writing --

    def _frame_packets(self, pending_queue, cnxn):
        """Move sendable packets from outgoingQueue into the send buffer (doIO's write half)."""
        out = self._outbuf
        queue = self.outgoing_queue
        if not self.initialized:
            # Until the ConnectResponse arrives only the ConnectRequest goes out.
            if not out and queue and queue[0].type is None:
                p = queue.popleft()
                bb = p.bb
                _INT.pack_into(bb, 0, len(bb) - 4)
                out += bb
                self.sent_count += 1
            return
        if self.send_thread._sasl_enabled and self.send_thread.tunnel_auth_in_progress():
            # Java's findSendablePacket: everything waits until SASL authentication completes.
            return
        pack_into = _LEN_HDR.pack_into
        pending_append = pending_queue.append
        while queue and len(out) < _MAX_GATHER:
            try:
                p = queue.popleft()
            except IndexError:
                break
            op = p.type
            bb = p.bb
            if op is None:
                _INT.pack_into(bb, 0, len(bb) - 4)
            else:
                if op != _PING and op != _AUTH:
                    p.xid = cnxn.get_xid()
                    pending_append(p)  # replies come back in this order
                pack_into(bb, 0, len(bb) - 4, p.xid, op)
            out += bb
            self.sent_count += 1

    def _do_write(self, pending_queue, cnxn):
        self._frame_packets(pending_queue, cnxn)
        out = self._outbuf
        if out:
            try:
                n = self.io.send(out)
            except (BlockingIOError, InterruptedError):
                n = 0
            if n:
                del out[:n]
                self.last_send = self.now
        self._set_write_interest(bool(out) or self.io_wants_write())

    def _set_write_interest(self, want):
        if want != self._want_write:
            self._want_write = want
            self.selector.modify(self.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0))

    def io_wants_write(self):
        """Bytes below the send buffer wait for the socket (ClientCnxnSocketNetty's TLS records)."""
        return False

    def _has_sendable(self):
        return bool(self._outbuf) or bool(self.outgoing_queue)

    # -- connection --

    def cleanup(self):
        sock = self.sock
        if sock is not None:
            try:
                self.selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            close_socket(sock)
        # Java sleeps 100 ms here, which also spaces out reconnect attempts.
        time.sleep(0.1)
        self.sock = self.io = None
        self._connecting = False
        self._want_write = False
        self._outbuf = bytearray()
        self._inbuf = b""

    def close(self):
        try:
            self.selector.close()
        except OSError as e:
            LOG.warning("Ignoring exception during selector close", exc_info=e)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def create_sock(self, family):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def register_and_connect(self, sock, addr):
        self.sock = self.io = sock
        rc = sock.connect_ex(addr.sockaddr())
        if rc == 0:
            self._connecting = False
            self.selector.register(sock, selectors.EVENT_READ)
            self.update_socket_addresses()
            self.connected()
            self.send_thread.prime_connection()
        elif rc in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            self._connecting = True
            self.selector.register(sock, selectors.EVENT_WRITE)
        else:
            raise ConnectionError(rc, os.strerror(rc))

    def connect(self, addr):
        host = addr.get_address() or addr.get_host_string()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = self.create_sock(family)
        self.initialized = False
        self._outbuf = bytearray()
        self._inbuf = b""
        self._want_write = False
        try:
            self.register_and_connect(sock, addr)
        except Exception:
            LOG.error("Unable to open socket to %s", addr)
            try:
                self.selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
            self.sock = self.io = None
            raise

    def _finish_connect(self):
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise ConnectionError(err, os.strerror(err))
        self._connecting = False
        self.selector.modify(self.sock, selectors.EVENT_READ)

    def connected(self):
        """The TCP connection is up (ClientCnxnSocketNetty starts its TLS handshake here)."""

    def get_remote_socket_address(self):
        return self.remote_socket_address

    def get_local_socket_address(self):
        return self.local_socket_address

    def update_socket_addresses(self):
        try:
            self.local_socket_address = "/%s:%d" % self.sock.getsockname()[:2]
            self.remote_socket_address = "/%s:%d" % self.sock.getpeername()[:2]
        except OSError:
            pass

    # -- wakeups --

    def packet_added(self):
        self.wakeup_cnxn()

    def on_closing(self):
        self.wakeup_cnxn()

    def wakeup_cnxn(self):
        # One byte per sleep is enough; the flag is cleared after the pipe is drained and
        # before the queue is looked at, so a packet added later always writes a new byte.
        if not self._woken:
            self._woken = True
            try:
                os.write(self._wake_w, b"x")
            except (BlockingIOError, OSError):
                pass

    def _drain_wakeup(self):
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass
        self._woken = False

    # -- the transport step of the SendThread loop --

    def do_transport(self, wait_timeout, pending_queue, cnxn):
        events = self.selector.select(max(wait_timeout, 0) / 1000.0)
        self.update_now()
        sock = self.sock
        for key, mask in events:
            if key.fd == self._wake_r:
                self._drain_wakeup()
                continue
            if sock is None or key.fileobj is not sock:
                continue
            if self._connecting:
                self._finish_connect()
                self.update_last_send_and_heard()
                self.update_socket_addresses()
                self.connected()
                self.send_thread.prime_connection()
                continue
            if mask & selectors.EVENT_READ:
                self._do_read(pending_queue, cnxn)
            if mask & selectors.EVENT_WRITE and self.sock is not None:
                self._do_write(pending_queue, cnxn)
        # Java enables OP_WRITE here and writes on the next select; writing now saves a
        # round trip. While the kernel buffer is full we wait for EVENT_WRITE instead.
        if self.sock is not None and not self._connecting and not self._want_write and self._has_sendable():
            self._do_write(pending_queue, cnxn)

    def connection_primed(self):
        pass  # the connect packet is written by do_transport right after priming

    def testable_close_socket(self):
        LOG.info("testableCloseSocket() called")
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_packet(self, p):
        """Write one packet at once (Java uses it for SASL tokens)."""
        if self.sock is None:
            raise IOError("Socket is null!")
        p.create_bb()
        _LEN_HDR.pack_into(p.bb, 0, len(p.bb) - 4, p.xid, p.type)
        self.sock.sendall(p.bb)
