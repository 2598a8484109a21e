"""Mirror of org.apache.zookeeper.server.admin.JettyAdminServer: the Commands over HTTP, as JSON.

With the defaults, http://<host>:8080/commands lists every command as a link and
http://<host>:8080/commands/<name> runs one; URL parameters are its arguments
(/commands/set_trace_mask?traceMask=306); /view is zookeeper_py's live drawing of the
threads and queues (admin/thread_view, admin/static). Java embeds Jetty; here a selector
and a thread pool in Jetty's shape serve, the standard library's http.server parses each
request, and the replies carry Jetty's headers and error pages.
"""

import html
import logging
import os
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

from zookeeper_py.common import system_properties
from zookeeper_py.common.jetty_http_server import JettyHttpServer, JettyRequestHandler
from zookeeper_py.server.admin.admin_server import AdminServer, AdminServerException
from zookeeper_py.server.admin.commands import Commands
from zookeeper_py.server.admin.json_outputter import JsonOutputter

LOG = logging.getLogger("JettyAdminServer")


class JettyAdminServer(AdminServer):
    """Mirror of org.apache.zookeeper.server.admin.JettyAdminServer.

    Threads: `qtpAdminServer-acceptor-0{addr:port}` accepts and waits on every open connection;
    a `qtpAdminServer-<n>` thread (at most MAX_THREADS, Jetty's QueuedThreadPool default)
    answers each request whose head is in (common/jetty_http_server). A connection silent for
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
                server = JettyHttpServer(self.address, self.port, self.idle_timeout, CommandServlet,
                                         "qtpAdminServer", self)
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


class CommandServlet(JettyRequestHandler):
    """Mirror of org.apache.zookeeper.server.admin.JettyAdminServer.CommandServlet (with Jetty's framing).

    GET <commandURL>[/] lists the commands; GET <commandURL>/<name>?k=v runs one. Other
    paths are Jetty's 404, other methods HttpServlet's 405 (TRACE: 403, as 3.6+).
    """

    def _path_info(self):
        """(in the servlet's path, pathInfo after commandURL or None) for this request's URL."""
        path = unquote(urlsplit(self.path).path, errors="replace")
        url = self.server.context.command_url
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
            page = view_file(unquote(urlsplit(self.path).path), self.server.context.command_url)
            if page is None:
                self._error(404, "Not Found", send_body)
            else:
                self._reply(200, page[0], page[1], send_body, [("Cache-Control", "no-cache")])
            return
        if cmd is None or cmd == "/":
            # No command named: links to all of them.
            text = "".join("%s\n<br/>\n" % link for link in self.server.context.command_links())
            self._reply(200, None, text.encode("utf-8"), send_body)
            return
        kwargs = {}
        for key, value in parse_qsl(urlsplit(self.path).query, keep_blank_values=True, errors="replace"):
            kwargs.setdefault(key, value)  # the first value, as getParameterMap()[k][0]
        try:
            response = Commands.run_command(cmd[1:], self.server.context.zk_server, kwargs)
            outputter = JsonOutputter()
            out = []
            outputter.output(response, _Writer(out))
        except Exception:
            LOG.warning("Error running command %s", cmd[1:], exc_info=True)
            self._error(500, "Server Error", send_body)
            return
        self._reply(200, outputter.get_content_type(), "".join(out).encode("utf-8"), send_body)

    def _not_allowed(self):
        self._servlet_not_allowed(self._path_info()[0])

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_OPTIONS(self):
        self._servlet_options("GET, HEAD, TRACE, OPTIONS")

    def do_TRACE(self):
        self._forbid_trace()

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
