"""Logging from conf/logging.yaml: the log4j.properties of zookeeper_py.

The YAML is a logging.config.dictConfig document in which `${name:default}` is
replaced by the system property `name` (set with -Dname=value, as the scripts do
for zookeeper.log.dir, zookeeper.log.file and zookeeper.root.logger). As in Java,
`zookeeper.root.logger` is "LEVEL, APPENDER[, APPENDER...]" and picks the root
level and handlers. Lines look like log4j's:

    2020-02-10 11:23:25,123 [myid:1] - INFO  [SyncThread:1:FileTxnLog@215] - Creating new log file: log.100000001
"""

import faulthandler
import io
import logging
import logging.config
import os
import re
import signal
import sys
import threading
import traceback

import yaml

from zookeeper_py.common import system_properties

_PLACEHOLDER = re.compile(r"\$\{([^}:]+)(?::([^}]*))?\}")
_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
# yaml.safe_load's loader, in C (libyaml) where PyYAML has it: 5-6 times faster (7 ms on PyPy).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_FORMAT = "%(asctime)s [myid:%(myid)s] - %(levelname_java)-5s [%(threadName)s:%(name)s@%(lineno)d] - %(message)s"

_myid = ""


def set_myid(myid):
    """MDC.put("myid", ...): every later log line carries it."""
    global _myid
    _myid = str(myid)


class MyIdFilter(logging.Filter):
    """Adds the myid and Java's level name (WARN, not WARNING) to each record."""

    def filter(self, record):
        record.myid = _myid
        record.levelname_java = _LEVEL_NAMES.get(record.levelname, record.levelname)
        return True


def _substitute(text):
    return _PLACEHOLDER.sub(lambda m: system_properties.get_property(m.group(1), m.group(2) or ""), text)


def default_config_path():
    conf_dir = os.environ.get("ZOOCFGDIR")
    if conf_dir and os.path.exists(os.path.join(conf_dir, "logging.yaml")):
        return os.path.join(conf_dir, "logging.yaml")
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(here, "conf", "logging.yaml")


def configure_logging(path=None):
    """Configure logging from logging.yaml (ZOO_LOG_CONF, or conf/logging.yaml); fall back to the console."""
    path = path or os.environ.get("ZOO_LOG_CONF") or default_config_path()
    try:
        with open(path) as f:
            config = yaml.load(_substitute(f.read()), Loader=_YAML_LOADER)
    except OSError as e:
        _basic_console()
        logging.getLogger("ZooKeeperServerMain").warning("No logging configuration (%s); logging to the console", e)
        return
    root_spec = system_properties.get_property("zookeeper.root.logger")
    if root_spec:
        parts = [p.strip() for p in root_spec.split(",") if p.strip()]
        if parts:
            config.setdefault("root", {})["level"] = _python_level(parts[0])
            handlers = [h for h in parts[1:] if h in config.get("handlers", {})]
            if handlers:
                config["root"]["handlers"] = handlers
    for handler in config.get("handlers", {}).values():
        filename = handler.get("filename")
        if filename:
            os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
    logging.config.dictConfig(config)
    _warn_of_javas_logging_config(path)


def _warn_of_javas_logging_config(path):
    """A conf dir brought from Java ZooKeeper (Debian's /etc/zookeeper/conf, say) has a
    log4j.properties or logback.xml and no logging.yaml: say that it is not read, and what is."""
    conf_dir = os.environ.get("ZOOCFGDIR")
    if not conf_dir or os.path.exists(os.path.join(conf_dir, "logging.yaml")):
        return
    for name in ("log4j.properties", "logback.xml"):
        java_config = os.path.join(conf_dir, name)
        if os.path.exists(java_config):
            logging.getLogger("ZooKeeperServerMain").warning(
                "%s is Java's logging configuration and is not read; logging is configured by %s "
                "(copy it to %s to change it)", java_config, path, os.path.join(conf_dir, "logging.yaml"))


def _python_level(name):
    name = name.upper()
    levels = {"WARN": "WARNING", "FATAL": "CRITICAL", "TRACE": "DEBUG", "ALL": "NOTSET", "OFF": "CRITICAL"}
    return levels.get(name, name)


def _basic_console():
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(MyIdFilter())
    handler.setFormatter(logging.Formatter(DEFAULT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def thread_dump():
    """Every thread's name and stack, like a JVM's answer to kill -QUIT.

    Walking another thread's frames can fail on PyPy (SystemError: InvalidVirtualRef while
    a JIT-compiled frame is live); such a thread is printed without its stack."""
    try:
        frames = sys._current_frames()
    except Exception as e:
        frames = {}
        unreadable = e
    else:
        unreadable = None
    out = io.StringIO()
    out.write("Full thread dump zookeeper_py (Python %s):\n\n" % sys.version.split()[0])
    try:
        # jstack's states (WAITING on a queue, RUNNABLE in select ...), read from the frames.
        # lazy: thread_view loads the server (~0.8 s), and zkCli configures its logging here too.
        from zookeeper_py.server.admin.thread_view import thread_state
    except Exception:
        thread_state = None
    for t in threading.enumerate():
        state, detail = "RUNNABLE" if t.is_alive() else "TERMINATED", None
        if thread_state is not None:
            try:
                state, detail = thread_state(t, frames.get(t.ident))
            except Exception:
                pass
        out.write('"%s" %sid=%s %s\n' % (t.name, "daemon " if t.daemon else "", t.ident, state))
        out.write("   java.lang.Thread.State: %s%s\n" % (state, " (%s)" % detail if detail else ""))
        try:
            frame = frames.get(t.ident)
            lines = traceback.format_stack(frame)[::-1] if frame is not None else []
        except Exception as e:
            lines = ["(stack not readable: %s: %s)" % (type(e).__name__, e)]
        if unreadable is not None:
            lines = ["(stacks not readable: %s: %s)" % (type(unreadable).__name__, unreadable)]
        for line in lines:
            for sub in line.rstrip().splitlines():
                out.write("\tat " + sub.strip() + "\n")
        out.write("\n")
    return out.getvalue()


def install_thread_dump_handler():
    """kill -QUIT <pid> prints all threads to stderr, as a JVM prints to its stdout."""
    if not hasattr(signal, "SIGQUIT"):
        return
    try:
        # lazy (only where a handler is installed, see thread_dump); imported now, not inside the handler.
        import zookeeper_py.server.admin.thread_view  # noqa: F401
    except Exception:
        pass

    def handler(signum, frame):
        # A dump must never take the server down: whatever goes wrong stays in here, and
        # faulthandler (C level, reads no Python objects) prints the stacks instead.
        try:
            sys.stderr.write(thread_dump())
            sys.stderr.flush()
        except BaseException:  # noqa: B902
            try:
                sys.stderr.write("thread dump failed; faulthandler's instead:\n")
                sys.stderr.flush()
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            except BaseException:  # noqa: B902
                pass

    try:
        signal.signal(signal.SIGQUIT, handler)
    except ValueError:
        pass  # not the main thread
