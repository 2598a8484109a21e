"""A bare-socket ZooKeeper client for tests: one request at a time, no pings, no threads.

It lets a test do what real clients do not: let a session expire, send malformed or
unknown frames, look at the exact reply header.
"""

import socket
import struct

from zookeeper_py import proto
from zookeeper_py.data import ACL, Id

_LEN = struct.Struct(">i")
OPEN_ACL = [ACL(31, Id("world", "anyone"))]


class RawClient:
    def __init__(self, port, timeout_ms=30000, host="127.0.0.1", session_id=0, passwd=bytes(16)):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.xid = 0
        req = proto.ConnectRequest(0, 0, timeout_ms, session_id, passwd).to_bytes() + b"\0"
        self.send_frame(req)
        rsp, _ = proto.ConnectResponse.decode(self.recv_frame())
        self.negotiated_timeout = rsp.timeOut
        self.session_id = rsp.sessionId
        self.passwd = rsp.passwd

    def send_frame(self, payload):
        self.sock.sendall(_LEN.pack(len(payload)) + payload)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise EOFError("server closed the connection")
            out += chunk
        return out

    def recv_frame(self):
        n, = _LEN.unpack(self.recv_exact(4))
        return self.recv_exact(n)

    def request(self, op, record=None, body=None):
        """Send one request; return (ReplyHeader, body bytes after it). Watch events are skipped."""
        self.xid += 1
        payload = proto.RequestHeader(self.xid, op).to_bytes()
        if record is not None:
            payload += record.to_bytes()
        if body is not None:
            payload += body
        self.send_frame(payload)
        while True:
            frame = self.recv_frame()
            hdr, pos = proto.ReplyHeader.decode(frame)
            if hdr.xid != -1:
                return hdr, frame[pos:]

    def create(self, path, data=b"", ephemeral=False, sequential=False, acl=OPEN_ACL):
        flags = (1 if ephemeral else 0) | (2 if sequential else 0)
        hdr, body = self.request(1, proto.CreateRequest(path, data, acl, flags))
        if hdr.err:
            raise RuntimeError("create %s failed: %d" % (path, hdr.err))
        return proto.CreateResponse.decode(body)[0].path

    def close_session(self):
        hdr, _ = self.request(-11)
        self.abandon()
        return hdr

    def abandon(self):
        """Drop the connection without closing the session."""
        try:
            self.sock.close()
        except OSError:
            pass
