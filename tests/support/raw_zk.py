"""A ZooKeeper client on a raw socket, for tests that send what no real client would.

Frames are built with the jute records of zookeeper_py.proto and struct; nothing of the
client library is used, so a bug there cannot hide a server bug.
"""

import socket
import struct
import time

from zookeeper_py.proto import ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader

_LEN = struct.Struct(">i")


class ConnectionClosed(Exception):
    """The server closed the connection (EOF or reset)."""


class RawClient:
    def __init__(self, host, port, timeout=10, source_ip=None):
        # source_ip: bind the client end to another loopback address (127.0.0.2) to be another client IP.
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source_ip, 0) if source_ip else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.session_id = 0
        self.xid = 0

    # -- sending ------------------------------------------------------------------

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        self.sock.sendall(_LEN.pack(len(payload)) + payload)

    def connect(self, timeout_ms=30000, read_only_byte=True):
        """Send a ConnectRequest (new session) and read the ConnectResponse."""
        req = ConnectRequest(0, 0, timeout_ms, 0, bytes(16)).to_bytes()
        if read_only_byte:
            req += b"\0"
        self.send_frame(req)
        rsp, _ = ConnectResponse.decode(self.read_frame())
        if rsp.timeOut <= 0:
            raise ConnectionClosed("session refused: %r" % (rsp,))
        self.session_id = rsp.sessionId
        return rsp

    def send_request(self, op, body=b"", xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_frame(RequestHeader(xid, op).to_bytes() + body)
        return xid

    def request(self, op, record=None, body=None, timeout=10):
        """Send one request; return (ReplyHeader, response body bytes), skipping watch events."""
        if body is None:
            body = record.to_bytes() if record is not None else b""
        xid = self.send_request(op, body)
        while True:
            frame = self.read_frame(timeout)
            hdr, pos = ReplyHeader.decode(frame)
            if hdr.xid == -1:
                continue  # a watch event
            if hdr.xid != xid:
                raise AssertionError("reply xid %d, expected %d" % (hdr.xid, xid))
            return hdr, bytes(frame[pos:])

    # -- receiving ----------------------------------------------------------------

    def _fill(self, deadline):
        remaining = deadline - time.time()
        if remaining <= 0:
            raise socket.timeout("no reply in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError as e:
            raise ConnectionClosed(str(e)) from None
        if not data:
            raise ConnectionClosed("EOF")
        self.buf += data

    def read_frame(self, timeout=10):
        deadline = time.time() + timeout
        while len(self.buf) < 4:
            self._fill(deadline)
        n, = _LEN.unpack_from(self.buf, 0)
        while len(self.buf) < 4 + n:
            self._fill(deadline)
        frame = bytes(self.buf[4:4 + n])
        del self.buf[:4 + n]
        return frame

    def closed_by_server(self, timeout=10):
        """True once the server closed the connection (everything it sent before is dropped)."""
        deadline = time.time() + timeout
        try:
            while True:
                self._fill(deadline)
                self.buf.clear()
        except ConnectionClosed:
            return True
        except socket.timeout:
            return False

    def replies_until_closed(self, timeout=10):
        """Every reply frame the server sends before it closes; raises socket.timeout if it never closes."""
        frames = []
        deadline = time.time() + timeout
        while True:
            try:
                frames.append(self.read_frame(max(0.01, deadline - time.time())))
            except ConnectionClosed:
                return frames

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
