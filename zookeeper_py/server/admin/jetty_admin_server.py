"""Mirror of org.apache.zookeeper.server.admin.JettyAdminServer: the Commands over HTTP, as JSON.

With the defaults, http://<host>:8080/commands lists every command as a link and
http://<host>:8080/commands/<name> runs one; URL parameters are its arguments
(/commands/set_trace_mask?traceMask=306); /view is zookeeper_py's live drawing of the
threads and queues (admin/thread_view, admin/static). Java embeds Jetty; here a selector
and a thread pool in Jetty's shape serve, the standard library's http.server parses each
request, and the replies carry Jetty's headers and error pages.
"""

import collections
import html
import io
import itertools
import logging
import os
import queue
import selectors
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

from zookeeper_py.common import system_properties
from zookeeper_py.server.admin.admin_server import AdminServer, AdminServerException
from zookeeper_py.server.admin.commands import Commands
from zookeeper_py.server.admin.json_outputter import JsonOutputter

LOG = logging.getLogger("JettyAdminServer")

# What 3.5.7 shipped with; it names itself in the Server header and on error pages.
JETTY_VERSION = "9.4.24.v20191120"


class JettyAdminServer(AdminServer):
    """Mirror of org.apache.zookeeper.server.admin.JettyAdminServer.

    Threads: `qtpAdminServer-acceptor-0{addr:port}` accepts and waits on every open connection;
    a `qtpAdminServer-<n>` thread (at most MAX_THREADS, Jetty's QueuedThreadPool default)
    answers each request whose head is in (_AdminHttpServer). A connection silent for
    idleTimeout ms is closed.
    """

    DEFAULT_PORT = 8080
    DEFAULT_IDLE_TIMEOUT = 30000
    DEFAULT_COMMAND_URL = "/commands"
    DEFAULT_ADDRESS = "0.0.0.0"

    def __init__(self, address=None, port=None, timeout=None, command_url=None):
        self.address = address if address is not None else system_properties.get_property(
            "zookeeper.admin.serverAddress", self.DEFAULT_ADDRESS)
        self.port = port if port is not None else system_properties.get_integer(
            "zookeeper.admin.serverPort", self.DEFAULT_PORT)
        self.idle_timeout = timeout if timeout is not None else system_properties.get_integer(
            "zookeeper.admin.idleTimeout", self.DEFAULT_IDLE_TIMEOUT)
        self.command_url = command_url if command_url is not None else system_properties.get_property(
            "zookeeper.admin.commandURL", self.DEFAULT_COMMAND_URL)
        self.zk_server = None
        self.server = None
        self.thread = None
        self.lock = threading.Lock()

    def _describe(self):
        return "address %s, port %d and command URL %s" % (self.address, self.port, self.command_url)

    def start(self):
        """Bind and serve (Jetty binds in start(), not in the constructor)."""
        with self.lock:
            if self.server is not None:
                return
            if not self.command_url.startswith("/"):
                # Jetty refuses the servlet mapping; serving every path as 404 would hide the typo.
                raise AdminServerException("Problem starting AdminServer on %s: the command URL must start "
                                           "with /" % self._describe())
            try:
                server = _AdminHttpServer(self)
            except (OSError, OverflowError, ValueError) as e:
                raise AdminServerException("Problem starting AdminServer on " + self._describe()) from e
            self.server = server
            self.thread = threading.Thread(target=server.serve_forever, args=(0.25,), daemon=True,
                                           name="qtpAdminServer-acceptor-0{%s:%d}" % (self.address, self.port))
            self.thread.start()
        LOG.info("Started AdminServer on %s", self._describe())

    def shutdown(self):
        """Stop accepting, close the listening socket and every open connection."""
        with self.lock:
            server, thread = self.server, self.thread
            self.server = self.thread = None
        if server is None:
            return
        try:
            server.shutdown()
            server.server_close()
            server.close_connections()
            thread.join()
        except Exception as e:
            raise AdminServerException("Problem stopping AdminServer on " + self._describe()) from e

    def set_zoo_keeper_server(self, zk_server):
        """The server the commands run against; None (while it is down) makes them answer an error."""
        self.zk_server = zk_server

    def command_links(self):
        """One link per primary command name, sorted."""
        return ['<a href="%s">%s</a>' % (self.command_url + "/" + name, name)
                for name in sorted(Commands.get_primary_names())]


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


class _AdminHttpServer:
    """Jetty's ServerConnector and QueuedThreadPool, in their shape.

    The acceptor thread also selects on every open connection (Jetty's selector): it reads
    until a request's head is in, then queues the connection for one of at most MAX_THREADS
    `qtpAdminServer-<n>` threads, which answers that one request and gives the connection
    back. So an idle keep-alive connection, or one that sends half a request and waits,
    holds a descriptor and its few bytes, never a thread: hundreds of them cannot keep
    another client out. A connection silent for idleTimeout is closed."""

    def __init__(self, admin):
        self.admin = admin
        family = socket.AF_INET6 if ":" in admin.address else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((admin.address, admin.port))
            self.socket.listen(50)
        except BaseException:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.socket, selectors.EVENT_READ, None)
        self.wakeup_reader, self.wakeup_writer = socket.socketpair()
        self.wakeup_reader.setblocking(False)
        self.wakeup_writer.setblocking(False)  # full means a wakeup is pending already
        self.selector.register(self.wakeup_reader, selectors.EVENT_READ, self.wakeup_reader)
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
            while self.running:
                for key, _ in self.selector.select(poll_interval):
                    if key.data is None:
                        self._accept()
                    elif key.data is self.wakeup_reader:
                        _drain(self.wakeup_reader)
                    else:
                        self._read(key.data)
                self._watch_given_back()
                self._close_idle()
        finally:
            self.stopped.set()

    def _accept(self):
        while True:
            try:
                sock, address = self.socket.accept()
            except BlockingIOError:
                return
            except OSError as e:  # out of descriptors: the next select tries again
                LOG.debug("AdminServer accept failed: %s", e)
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
        if self.admin.idle_timeout <= 0:
            return
        deadline = time.monotonic() - self.admin.idle_timeout / 1000.0
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
                                          name="qtpAdminServer-%d" % next(self.thread_ids))
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
                handler = CommandServlet(conn, conn.address, self)
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
                try:
                    self.wakeup_writer.send(b"x")
                except OSError:
                    pass

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
        try:
            self.wakeup_writer.send(b"x")
        except OSError:
            pass
        self.stopped.wait(5)
        with self.lock:
            workers = list(self.workers)
        for _ in workers:
            self.jobs.put(None)

    def server_close(self):
        self.selector.close()
        self.socket.close()
        self.wakeup_reader.close()
        self.wakeup_writer.close()

    def close_connections(self):
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._close(conn)


def _drain(sock):
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


class _SocketWriter:
    """The handler's wfile: every write sent whole."""

    def __init__(self, sock):
        self.sock = sock

    def write(self, data):
        self.sock.sendall(data)
        return len(data)

    def flush(self):
        pass


class CommandServlet(BaseHTTPRequestHandler):
    """Mirror of org.apache.zookeeper.server.admin.JettyAdminServer.CommandServlet (with Jetty's framing).

    GET <commandURL>[/] lists the commands; GET <commandURL>/<name>?k=v runs one. Other
    paths are Jetty's 404, other methods HttpServlet's 405 (TRACE: 403, as 3.6+).
    """

    protocol_version = "HTTP/1.1"
    # An error in the request line is answered with a status line, as Jetty's (http.server wrote a bare page).
    default_request_version = "HTTP/1.1"

    def setup(self):
        """One request of `self.request` (a _Connection): its head is in the buffer the selector read."""
        conn = self.request
        self.connection = conn.sock
        idle_timeout = self.server.admin.idle_timeout
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

    def _path_info(self):
        """(in the servlet's path, pathInfo after commandURL or None) for this request's URL."""
        path = unquote(urlsplit(self.path).path, errors="replace")
        url = self.server.admin.command_url
        if path == url:
            return True, None
        if path.startswith(url.rstrip("/") + "/"):
            return True, path[len(url.rstrip("/")):]
        return False, None

    def do_GET(self):
        self._get(send_body=True)

    def do_HEAD(self):
        self._get(send_body=False)

    def _get(self, send_body):
        in_servlet, cmd = self._path_info()
        if not in_servlet:
            page = view_file(unquote(urlsplit(self.path).path), self.server.admin.command_url)
            if page is None:
                self._error(404, "Not Found", send_body)
            else:
                self._reply(200, page[0], page[1], send_body, [("Cache-Control", "no-cache")])
            return
        if cmd is None or cmd == "/":
            # No command named: links to all of them.
            text = "".join("%s\n<br/>\n" % link for link in self.server.admin.command_links())
            self._reply(200, None, text.encode("utf-8"), send_body)
            return
        kwargs = {}
        for key, value in parse_qsl(urlsplit(self.path).query, keep_blank_values=True, errors="replace"):
            kwargs.setdefault(key, value)  # the first value, as getParameterMap()[k][0]
        try:
            response = Commands.run_command(cmd[1:], self.server.admin.zk_server, kwargs)
            outputter = JsonOutputter()
            out = []
            outputter.output(response, _Writer(out))
        except Exception:
            LOG.warning("Error running command %s", cmd[1:], exc_info=True)
            self._error(500, "Server Error", send_body)
            return
        self._reply(200, outputter.get_content_type(), "".join(out).encode("utf-8"), send_body)

    def _not_allowed(self):
        if "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # its body is not read
        in_servlet, _ = self._path_info()
        if in_servlet:
            self._error(405, "HTTP method %s is not supported by this URL" % self.command, True)
        else:
            self._error(404, "Not Found", True)

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_OPTIONS(self):
        self.send_response_only(200)
        self.send_header("Date", self.date_time_string())
        self.send_header("Allow", "GET, HEAD, TRACE, OPTIONS")
        self.send_header("Content-Length", "0")
        self.send_header("Server", self.version_string())
        self.end_headers()

    def do_TRACE(self):
        # 3.5.7's servlet echoed the request; 3.6+ forbids TRACE, and so do we.
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


# zookeeper_py's own: /view draws the thread model live from the commands (static files of the package).
_VIEW_TYPES = {"view.html": "text/html;charset=utf-8", "view.js": "application/javascript;charset=utf-8",
               "view.css": "text/css;charset=utf-8"}


def view_file(path, command_url):
    """(content type, bytes) of the /view page, one of its files or a module's source, or None."""
    if path in ("/view", "/view/"):
        name = "view.html"
    elif path.startswith("/view/src/"):
        return _source_file(path[len("/view/src/"):])
    elif path.startswith("/view/") and path[6:] in _VIEW_TYPES:
        name = path[6:]
    else:
        return None
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", name), "rb") as f:
        body = f.read()
    if name == "view.html":
        body = body.replace(b"{{COMMAND_URL}}", html.escape(command_url.rstrip("/") or "/").encode("utf-8"))
    return _VIEW_TYPES[name], body


def _source_file(rel):
    """A .py file of the zookeeper_py package as text (the page links each box to its module)."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full = os.path.realpath(os.path.join(os.path.dirname(package), rel))
    if not rel.endswith(".py") or not full.startswith(package + os.sep) or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        return "text/plain;charset=utf-8", f.read()


class _Writer:
    """The PrintWriter the outputter writes to."""

    def __init__(self, out):
        self.out = out

    def write(self, text):
        self.out.append(text)
