"""A scripted server speaking the client protocol, for what a real server will not do on
demand: answer out of order, claim to be read-only, answer `isro`.

It is a real socket server on a free port, run by one thread. `on_request(conn, xid,
op, body)` decides the reply; the default answers pings and sends an empty OK reply.
"""

import socket
import struct
import threading
import time

from tests.support.net import free_port
from zookeeper_py.proto import ConnectRequest, ConnectResponse

_INT = struct.Struct(">i")
_REPLY = struct.Struct(">iqi")


class FakeServer:
    def __init__(self, read_only=False, isro_answer=b"ro", sessions_after_isro=False):
        self.port = free_port()
        # With sessions_after_isro the server drops session connects until asked `isro`.
        self.accepting = threading.Event()
        if not sessions_after_isro:
            self.accepting.set()
        self.read_only = read_only
        self.isro_answer = isro_answer
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.connects = []  # (ConnectRequest, readOnly byte) per session connect
        self.requests = []  # (xid, op) per request
        self.request_times = []  # time.monotonic() of each request
        self.answer_pings = True
        self.isro_count = 0
        self.connections = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="FakeServer", daemon=True)
        self.thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def on_request(self, conn, xid, op, body):
        if op == 100:  # auth
            self.send_reply(conn, -4, 0, 0)
        elif op in (3, 4, 8, 12):  # reads: "no node", which has no body
            self.send_reply(conn, xid, 0, -101)
        else:
            self.send_reply(conn, xid, 0, 0)

    @staticmethod
    def send_reply(conn, xid, zxid, err, body=b""):
        payload = _REPLY.pack(xid, zxid, err) + body
        conn.sendall(_INT.pack(len(payload)) + payload)

    def _serve(self):
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_exact(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _handle(self, conn):
        self.connections.append(conn)
        try:
            head = self._read_exact(conn, 4)
            if head == b"isro":
                self.isro_count += 1
                conn.sendall(self.isro_answer)
                self.accepting.set()
                conn.close()
                return
            body = self._read_exact(conn, _INT.unpack(head)[0])
            req, pos = ConnectRequest.decode(body)
            if not self.accepting.is_set():
                return
            self.connects.append((req, body[pos:pos + 1]))
            session_id = req.sessionId or 0x1234
            rsp = ConnectResponse(0, req.timeOut, session_id, b"p" * 16).to_bytes()
            rsp += b"\x01" if self.read_only else b"\x00"
            conn.sendall(_INT.pack(len(rsp)) + rsp)
            while True:
                n = _INT.unpack(self._read_exact(conn, 4))[0]
                frame = self._read_exact(conn, n)
                xid, op = struct.unpack_from(">ii", frame)
                self.request_times.append(time.monotonic())
                self.requests.append((xid, op))
                if op == 11:  # ping
                    if self.answer_pings:
                        self.send_reply(conn, -2, 0, 0)
                else:
                    self.on_request(conn, xid, op, frame[8:])
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped.set()
        self.listener.close()
        for c in self.connections:
            try:
                c.close()
            except OSError:
                pass
        self.thread.join(5)
