"""Mirror of org.apache.zookeeper.server.admin.JettyAdminServer: the Commands over HTTP, as JSON.

With the defaults, http://<host>:8080/commands lists every command as a link and
http://<host>:8080/commands/<name> runs one; URL parameters are its arguments
(/commands/set_trace_mask?traceMask=306); /view is zookeeper_py's live drawing of the
threads and queues (admin/thread_view, admin/static). Java embeds Jetty; here the standard
library's ThreadingHTTPServer answers on a daemon thread, with Jetty's headers.
"""

import html
import itertools
import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
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

    Threads: `qtpAdminServer-acceptor-0{addr:port}` accepts; each connection is served by
    a `qtpAdminServer-<n>` thread until it has been idle for idleTimeout ms (keep-alive), at
    most MAX_THREADS of them (Jetty's QueuedThreadPool default); a connection beyond them is
    closed at once, where Jetty would queue it.
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


MAX_THREADS = 200


class _AdminHttpServer(ThreadingHTTPServer):
    """The listening socket and its connection threads, which shutdown can close."""

    daemon_threads = True
    request_queue_size = 50

    def __init__(self, admin):
        self.admin = admin
        self.address_family = socket.AF_INET6 if ":" in admin.address else socket.AF_INET
        self.connections = set()
        self.connections_lock = threading.Lock()
        self.thread_ids = itertools.count(1)
        super().__init__((admin.address, admin.port), CommandServlet)

    def server_bind(self):
        # HTTPServer.server_bind would also look up the host's FQDN, which can stall on DNS.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        with self.connections_lock:
            if len(self.connections) >= MAX_THREADS:
                # Idle keep-alive connections hold a thread each until idleTimeout: without a bound,
                # a client opening thousands held thousands of threads.
                LOG.debug("Closing admin connection from %s: %d connections are open", client_address,
                          len(self.connections))
                full = True
            else:
                self.connections.add(request)
                full = False
        if full:
            self.shutdown_request(request)
            return
        t = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True,
                             name="qtpAdminServer-%d" % next(self.thread_ids))
        t.start()

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        LOG.debug("Error serving %s", client_address, exc_info=True)


class CommandServlet(BaseHTTPRequestHandler):
    """Mirror of org.apache.zookeeper.server.admin.JettyAdminServer.CommandServlet (with Jetty's framing).

    GET <commandURL>[/] lists the commands; GET <commandURL>/<name>?k=v runs one. Other
    paths are Jetty's 404, other methods HttpServlet's 405 (TRACE: 403, as 3.6+).
    """

    protocol_version = "HTTP/1.1"

    def setup(self):
        self.timeout = self.server.admin.idle_timeout / 1000.0 if self.server.admin.idle_timeout > 0 else None
        super().setup()

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
