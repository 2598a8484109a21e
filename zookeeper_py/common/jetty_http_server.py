"""Jetty's ServerConnector and QueuedThreadPool, in their shape, for the HTTP endpoints
(the AdminServer, Prometheus /metrics), with the standard library's http.server parsing.

One thread accepts and selects on every open connection; a connection whose request head is
in is answered by one of at most MAX_THREADS pool threads and then watched again. So an idle
keep-alive connection, or one that sends half a request and waits, holds a descriptor and its
few bytes, never a thread. A connection silent for the idle timeout is closed.
"""

import collections
import html
import io
import itertools
import logging
import queue
import selectors
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from zookeeper_py.common.selector_waker import SelectorWaker

LOG = logging.getLogger("JettyHttpServer")

# What 3.5.7 shipped with; it names itself in the Server header and on error pages.
JETTY_VERSION = "9.4.24.v20191120"

MAX_THREADS = 200  # Jetty's QueuedThreadPool default maxThreads
MAX_REQUEST_HEAD = 8192  # Jetty's HttpConfiguration requestHeaderSize
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class _Connection:
    """One accepted socket and the bytes of its next request read so far."""

    __slots__ = ("sock", "address", "buffer", "last_read")

    def __init__(self, sock, address):
        self.sock = sock
        self.address = address
        self.buffer = b""
        self.last_read = time.monotonic()

    def head_complete(self):
        return any(end in self.buffer for end in _HEAD_ENDS) or len(self.buffer) > MAX_REQUEST_HEAD


class JettyHttpServer:
    """A listening socket, its selector thread's loop (serve_forever) and its pool.

    `handler_class` (a JettyRequestHandler) answers each request; it finds `context` (the
    AdminServer, the metrics provider) as self.server.context. Pool threads are named
    `<thread_prefix>-<n>`; idle_timeout is in ms (0: never)."""

    def __init__(self, address, port, idle_timeout, handler_class, thread_prefix, context=None):
        self.idle_timeout = idle_timeout
        self.handler_class = handler_class
        self.thread_prefix = thread_prefix
        self.context = context
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((address, port))
            self.socket.listen(50)
        except BaseException:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.socket, selectors.EVENT_READ, None)
        self.waker = SelectorWaker()
        self.selector.register(self.waker.r, selectors.EVENT_READ, self.waker)
        self.running = True
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.connections = set()  # every open _Connection, for close_connections
        self.given_back = collections.deque()  # answered connections for the selector to watch again
        # Jetty's job queue; holds each open connection at most once, so the open connections bound it.
        self.jobs = queue.Queue()
        self.workers = []
        self.idle_workers = 0
        self.thread_ids = itertools.count(1)

    # -- the acceptor and selector thread ----------------------------------------------------

    def serve_forever(self, poll_interval):
        try:
            next_sweep = time.monotonic() + poll_interval
            while self.running:
                for key, _ in self.selector.select(poll_interval):
                    if key.data is None:
                        self._accept()
                    elif key.data is self.waker:
                        self.waker.drain()
                    else:
                        self._read(key.data)
                self._watch_given_back()
                if time.monotonic() >= next_sweep:  # not on every wakeup: it walks every connection
                    self._close_idle()
                    next_sweep = time.monotonic() + poll_interval
        finally:
            self.stopped.set()

    def _accept(self):
        while True:
            try:
                sock, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as e:  # out of descriptors: the next select tries again
                LOG.debug("Accept failed: %s", e)
                time.sleep(0.01)
                return
            sock.setblocking(False)
            conn = _Connection(sock, address)
            with self.lock:
                self.connections.add(conn)
            self.selector.register(sock, selectors.EVENT_READ, conn)

    def _read(self, conn):
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(conn.sock)
            self._close(conn)
            return
        conn.buffer += data
        conn.last_read = time.monotonic()
        if conn.head_complete():
            self.selector.unregister(conn.sock)
            self._dispatch(conn)

    def _watch_given_back(self):
        while self.given_back:
            conn = self.given_back.popleft()
            if conn.head_complete():  # pipelined: the next request is in already
                self._dispatch(conn)
                continue
            try:
                conn.sock.setblocking(False)
                self.selector.register(conn.sock, selectors.EVENT_READ, conn)
            except (OSError, ValueError):
                self._close(conn)

    def _close_idle(self):
        if self.idle_timeout <= 0:
            return
        deadline = time.monotonic() - self.idle_timeout / 1000.0
        for key in list(self.selector.get_map().values()):
            conn = key.data
            if isinstance(conn, _Connection) and conn.last_read < deadline:
                self.selector.unregister(conn.sock)
                self._close(conn)

    # -- the thread pool -------------------------------------------------------------------

    def _dispatch(self, conn):
        with self.lock:
            start = self.idle_workers == 0 and len(self.workers) < MAX_THREADS
            if start:
                worker = threading.Thread(target=self._work, daemon=True,
                                          name="%s-%d" % (self.thread_prefix, next(self.thread_ids)))
                self.workers.append(worker)
        if start:
            worker.start()
        self.jobs.put(conn)

    def _work(self):
        while True:
            with self.lock:
                self.idle_workers += 1
            conn = self.jobs.get()
            with self.lock:
                self.idle_workers -= 1
            if conn is None:
                return
            try:
                handler = self.handler_class(conn, conn.address, self)
            except Exception:
                LOG.debug("Error serving %s", conn.address, exc_info=True)
                self._close(conn)
                continue
            if handler.close_connection or not self.running:
                self._close(conn)
            else:
                conn.buffer = handler.unread
                conn.last_read = time.monotonic()
                self.given_back.append(conn)
                self.waker.wakeup()

    # -- closing ---------------------------------------------------------------------------

    def _close(self, conn):
        with self.lock:
            self.connections.discard(conn)
        try:
            conn.sock.close()
        except OSError:
            pass

    def shutdown(self):
        """Stop the selector loop (serve_forever returns) and the pool's threads."""
        self.running = False
        self.waker.wakeup()
        self.stopped.wait(5)
        with self.lock:
            workers = list(self.workers)
        for _ in workers:
            self.jobs.put(None)

    def server_close(self):
        self.selector.close()
        self.socket.close()
        self.waker.close()

    def close_connections(self):
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._close(conn)


class _SocketWriter:
    """The handler's wfile: every write sent whole."""

    def __init__(self, sock):
        self.sock = sock

    def write(self, data):
        self.sock.sendall(data)
        return len(data)

    def flush(self):
        pass


class JettyRequestHandler(BaseHTTPRequestHandler):
    """One request of a JettyHttpServer connection, framed as Jetty frames it: its status
    line, headers and HTML error page; a malformed request gets Jetty's status and a close."""

    protocol_version = "HTTP/1.1"
    # An error in the request line is answered with a status line, as Jetty's (http.server wrote a bare page).
    default_request_version = "HTTP/1.1"

    def setup(self):
        """One request of `self.request` (a _Connection): its head is in the buffer the selector read."""
        conn = self.request
        self.connection = conn.sock
        idle_timeout = self.server.idle_timeout
        conn.sock.settimeout(idle_timeout / 1000.0 if idle_timeout > 0 else None)
        self.rfile = io.BytesIO(conn.buffer)
        self.wfile = _SocketWriter(conn.sock)
        self.command = None
        self.path = ""
        self.request_version = self.default_request_version
        self.unread = b""

    def handle(self):
        """One request; the connection goes back to the selector for the next."""
        self.close_connection = True
        if not self._head_too_long():
            self.handle_one_request()

    def finish(self):
        self.unread = self.rfile.read()  # a pipelined request's bytes

    def _head_too_long(self):
        """Jetty's 414 (request line) or 431 (headers) for a head over MAX_REQUEST_HEAD bytes."""
        buffer = self.request.buffer
        ends = [buffer.find(end) for end in _HEAD_ENDS if end in buffer]
        if (min(ends) if ends else len(buffer)) <= MAX_REQUEST_HEAD:
            return False
        line_end = buffer.find(b"\n")
        if 0 <= line_end <= MAX_REQUEST_HEAD:
            self._error(431, "Request Header Fields Too Large", True)
        else:
            self._error(414, "URI Too Long", True)
        return True

    def parse_request(self):
        """http.server's parse, made as strict as Jetty's where a lenient parse left a client
        hanging or answered without a status line."""
        words = str(self.raw_requestline, "iso-8859-1").split()
        if len(words) == 2:  # no version: http.server served it as HTTP/0.9, with no status line
            self.send_error(505, "HTTP/0.9 not supported")
            return False
        if len(words) == 3 and words[2].startswith("HTTP/") and words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            if words[2] == "HTTP/2.0":
                self.send_error(426, "Upgrade Required")
            else:
                self.send_error(505, "Unsupported Version")
            return False
        if not super().parse_request():
            return False
        if self.headers.defects:  # a line that is not a header: everything after it was dropped
            self.send_error(400, "Bad Header")
            return False
        if self.request_version == "HTTP/1.1" and "Host" not in self.headers:
            self.send_error(400, "No Host")
            return False
        return True

    def send_error(self, code, message=None, explain=None):
        """http.server's errors (bad request line, too many headers) as Jetty's page, closing."""
        self.close_connection = True
        self._error(code, message or self.responses.get(code, ("",))[0], self.command != "HEAD")

    def version_string(self):
        return "Jetty(%s)" % JETTY_VERSION

    def log_message(self, format, *args):
        LOG.debug("%s - %s", self.address_string(), format % args)

    def _servlet_not_allowed(self, in_servlet):
        """HttpServlet's 405 for a method its servlet does not serve (Jetty's 404 outside any
        servlet). A request body is not read, so the connection closes after the answer."""
        if "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            self.close_connection = True
        if in_servlet:
            self._error(405, "HTTP method %s is not supported by this URL" % self.command, True)
        else:
            self._error(404, "Not Found", True)

    def _servlet_options(self, allow):
        """HttpServlet.doOptions: 200 and the methods the servlet serves."""
        self.send_response_only(200)
        self.send_header("Date", self.date_time_string())
        self.send_header("Allow", allow)
        self.send_header("Content-Length", "0")
        self.send_header("Server", self.version_string())
        self.end_headers()

    def _forbid_trace(self):
        """3.6+ forbids TRACE on its Jetty servers (3.5.7's echoed the request)."""
        self.send_response_only(403)
        self.send_header("Content-Length", "0")
        self.send_header("Server", self.version_string())
        self.end_headers()

    def _reply(self, code, content_type, body, send_body, extra_headers=()):
        self.send_response_only(code)
        if code == 200:
            self.send_header("Date", self.date_time_string())
        for name, value in extra_headers:
            self.send_header(name, value)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server", self.version_string())
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _error(self, code, message, send_body):
        """Jetty's HTML error page."""
        reason = self.responses.get(code, ("",))[0]
        uri = html.escape(urlsplit(self.path).path)
        page = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
                "<title>Error %d %s</title>\n</head>\n<body><h2>HTTP ERROR %d %s</h2>\n<table>\n"
                "<tr><th>URI:</th><td>%s</td></tr>\n<tr><th>STATUS:</th><td>%d</td></tr>\n"
                "<tr><th>MESSAGE:</th><td>%s</td></tr>\n</table>\n"
                '<hr><a href="http://eclipse.org/jetty">Powered by Jetty:// %s</a><hr/>\n\n</body>\n</html>\n'
                % (code, html.escape(message), code, html.escape(message), uri, code, html.escape(message or reason),
                   JETTY_VERSION))
        self._reply(code, "text/html;charset=iso-8859-1", page.encode("iso-8859-1", "replace"), send_body,
                    [("Cache-Control", "must-revalidate,no-cache,no-store")])


