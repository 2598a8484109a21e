"""A live view of the thread model: threads, queues, the processor chain and one request's trace.

zookeeper_py's own (no Java twin): the AdminServer's `threads`, `queues`, `chain` and
`trace` commands and its `/view` page answer from here, and `kill -QUIT` names thread
states with `thread_state`.

Thread states are read from sys._current_frames(), as jstack names them: a thread
parked in a queue's get, a Condition's wait or a WakeupSemaphore's acquire is WAITING
(on the queue, condition or semaphore, named after its owner), with a timeout
TIMED_WAITING, in time.sleep TIMED_WAITING, in select() or a socket read RUNNABLE (Java's
epollWait and socketRead are RUNNABLE too), waiting to enter `with lock:` BLOCKED.

Rates and ages cost nothing while nobody looks: a `queues`, `chain` or `trace` call
installs a counting wrapper on each processor instance's process_request (and on the put
of the election and learner queues), and the LiveViewMeterReaper thread takes them off
again METER_IDLE_SECONDS after the last look. The wrapper counts the put and keeps its
time in a ring, so the oldest item's age is the time of put number (puts - depth). A
trace is armed by one module flag that the wrappers read.
"""

import collections
import linecache
import os
import re
import sys
import threading
import time
import traceback

from zookeeper_py.server.request import Request
from zookeeper_py.server.util.queue_census import queue_census, request_bound

JAVA_BLOB = "https://github.com/apache/zookeeper/blob/release-3.5.7/zookeeper-server/src/main/java/"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_MIRROR = re.compile(r"Mirror of (org\.apache\.[\w.]+)")
_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(([^)]*)")
_U64 = 0xFFFFFFFFFFFFFFFF
_TIMES = 65536  # put times kept per queue: an older oldest item shows as at least this old


# -- Java names and links -------------------------------------------------------------------


def java_class_of(cls):
    """The Java class a Python class mirrors, from its docstring's first line, or None."""
    for c in getattr(cls, "__mro__", (cls,)):
        m = _MIRROR.search((c.__doc__ or "").split("\n", 1)[0])
        if m:
            return m.group(1).rstrip(".:")
    return None


def java_url(java_class):
    """The class's source file on GitHub at release-3.5.7 (inner classes: their outer file)."""
    if not java_class:
        return None
    parts = java_class.split(".")
    for i, part in enumerate(parts):
        if part[:1].isupper():
            parts = parts[:i + 1]
            break
    return JAVA_BLOB + "/".join(parts) + ".java"


def python_path(module):
    """The module's file, relative to the repository."""
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None)
    if not path:
        return None
    path = os.path.abspath(path)
    # Only the project's own modules (the page links them to /view/src/...), not the standard library's.
    return os.path.relpath(path, _REPO) if path.startswith(os.path.join(_REPO, "zookeeper_py") + os.sep) else None


def describe_class(cls):
    java = java_class_of(cls)
    return {
        "python_class": cls.__name__,
        "python_module": cls.__module__,
        "python_file": python_path(cls.__module__),
        "java_class": java,
        "java_url": java_url(java),
    }


# -- the objects behind the server ----------------------------------------------------------


def _leader(zk_server):
    # kill -QUIT's thread dump imports this module at start-up and needs no quorum server.
    # lazy: the quorum's servers are loaded for a distributed config only
    from zookeeper_py.server.quorum.leader_zoo_keeper_server import LeaderZooKeeperServer

    return zk_server.get_leader() if isinstance(zk_server, LeaderZooKeeperServer) else None


def _peer(zk_server):
    # lazy: as in _leader
    from zookeeper_py.server.quorum.quorum_zoo_keeper_server import QuorumZooKeeperServer

    return zk_server.self if isinstance(zk_server, QuorumZooKeeperServer) else None


def role(zk_server):
    peer = _peer(zk_server)
    if peer is None:
        return "standalone"
    name = type(zk_server).__name__
    for r in ("Leader", "Follower", "Observer", "ReadOnly"):
        if name.startswith(r):
            return r.lower()
    return name


# Processor attributes that hold an input queue, and the method that puts into it.
_QUEUE_PUTS = (("submitted_requests", "process_request"), ("queued_requests", "process_request"),
               ("committed_requests", "commit"))
_REQUEST_QUEUES = frozenset(attr for attr, _ in _QUEUE_PUTS)
_NEXT_ATTRS = ("next_processor", "next", "sync_processor")
_SERVER_PROCESSORS = ("first_processor", "prep_request_processor", "commit_processor", "sync_processor")


def processors(zk_server):
    """Every request processor reachable from the server, in chain order (first stage first)."""
    seen = []
    todo = [getattr(zk_server, a, None) for a in _SERVER_PROCESSORS]
    while todo:
        p = todo.pop(0)
        if p is None or any(p is s for s in seen):
            continue
        seen.append(p)
        todo[:0] = [getattr(p, a, None) for a in _NEXT_ATTRS]
    return seen


def _owner(obj):
    return getattr(obj, "name", None) if isinstance(obj, threading.Thread) else type(obj).__name__


def queue_objects(zk_server):
    """[(owner, queue name, the queue, (object, method) whose calls put into it or None)]."""
    out = []
    for p in processors(zk_server):
        for attr, method in _QUEUE_PUTS:
            q = getattr(p, attr, None)
            if q is not None:
                out.append((_owner(p), attr, q, (p, method)))
    leader = _leader(zk_server)
    if leader is not None:
        for handler in leader.get_learners():
            out.append((handler.name, "queued_packets", handler.queued_packets, (handler, "queue_packet")))
    factory = zk_server.get_server_cnxn_factory()
    if factory is not None:
        for t in factory.selector_threads:
            out.append((t.name, "accepted_queue", t.accepted_queue, (t.accepted_queue, "put")))
            out.append((t.name, "update_queue", t.update_queue, None))
    peer = _peer(zk_server)
    election = getattr(peer, "election_alg", None)
    if election is not None and hasattr(election, "sendqueue"):
        out.append(("WorkerSender", "sendqueue", election.sendqueue, (election.sendqueue, "put")))
        out.append(("WorkerReceiver", "recvqueue", election.recvqueue, (election.recvqueue, "put")))
        manager = election.get_cnx_manager()
        out.append(("QuorumCnxManager", "recv_queue", manager.recv_queue, (manager.recv_queue, "put")))
        for sid, q in list(manager.queue_send_map.items()):
            out.append(("QuorumCnxManager", "queue_send_map[%d]" % sid, q, (q, "put")))
    return out


def _depth(q):
    try:
        return q.qsize() if hasattr(q, "qsize") else len(q)
    except Exception:
        return 0


# -- meters: puts per second and the oldest item's age --------------------------------------


class Meter:
    """The puts into one queue (or calls of one inline stage): a count and the last times."""

    __slots__ = ("count", "times", "last_t", "last_count", "rate")

    def __init__(self):
        self.count = 0
        self.times = collections.deque(maxlen=_TIMES)
        self.last_t = time.monotonic()
        self.last_count = 0
        self.rate = 0.0

    def puts_per_sec(self):
        """The rate since the previous look (looks closer than half a second apart share one)."""
        now = time.monotonic()
        if now - self.last_t >= 0.5:
            count = self.count
            self.rate = (count - self.last_count) / (now - self.last_t)
            self.last_t, self.last_count = now, count
        return self.rate

    def oldest_age_ms(self, depth):
        times = self.times
        if depth <= 0 or not times:
            return 0.0
        try:
            t = times[-depth] if depth <= len(times) else times[0]
        except IndexError:
            return 0.0
        return round((time.perf_counter() - t) * 1000.0, 3)


_meters_lock = threading.Lock()
_installed = []  # (object, method name) wrapped now
_last_look = 0.0
# Meters come off after this long without a look, so a server nobody watches runs unwrapped.
METER_IDLE_SECONDS = 10.0


def _install(obj, method, stage, final=False, entry=False):
    """Wrap obj.method (on the instance only) to count and time each call; once per object."""
    with _meters_lock:
        current = getattr(obj, "__dict__", {}).get(method)
        if getattr(current, "_live_view_meter", None) is not None:
            return current._live_view_meter
        try:
            inner = getattr(obj, method)
        except AttributeError:
            return None
        meter = Meter()
        times = meter.times
        now = time.perf_counter

        if method == "put":  # queue.Queue.put(item, block=True, timeout=None)
            def wrapper(item, *rest, **kw):
                meter.count += 1
                times.append(now())
                return inner(item, *rest, **kw)
        else:  # process_request, commit, queue_packet: one argument, the hot path
            def wrapper(item):
                meter.count += 1
                times.append(now())
                if _trace_armed:
                    _hop(stage, item, "in", entry)
                    r = inner(item)
                    if final:
                        _hop(stage, item, "done", False)
                    return r
                return inner(item)

        wrapper._live_view_meter = meter
        try:
            setattr(obj, method, wrapper)
        except (AttributeError, TypeError):
            return None  # no instance dict (a C type): depth only
        _installed.append((obj, method))
        if len(_installed) == 1:
            threading.Thread(target=_reap_when_idle, name="LiveViewMeterReaper", daemon=True).start()
        return meter


def _uninstall_all():
    with _meters_lock:
        for obj, method in _installed:
            obj.__dict__.pop(method, None)  # the class's method again
        del _installed[:]


def _reap_when_idle():
    """Take the meters off once nobody has looked for METER_IDLE_SECONDS (and no trace waits)."""
    while True:
        time.sleep(1.0)  # a housekeeping period, not synchronisation
        if not _trace_armed and time.monotonic() - _last_look > METER_IDLE_SECONDS:
            _uninstall_all()
            return


def _meter_of(hook):
    if hook is None:
        return None
    obj, method = hook
    current = getattr(obj, "__dict__", {}).get(method)
    return getattr(current, "_live_view_meter", None)


def arm_meters(zk_server):
    """Install the meters on everything the server has now (roles change: called on each look)."""
    global _last_look
    _last_look = time.monotonic()
    first = getattr(zk_server, "first_processor", None)
    for p in processors(zk_server):
        # A trace starts where requests enter: the first processor, or Prep (a leader's learner requests).
        name = type(p).__name__
        _install(p, "process_request", name, final=name == "FinalRequestProcessor",
                 entry=p is first or name == "PrepRequestProcessor")
        if hasattr(p, "commit") and hasattr(p, "committed_requests"):
            _install(p, "commit", type(p).__name__ + ".commit")
    for owner, name, _q, hook in queue_objects(zk_server):
        if hook is not None:
            _install(hook[0], hook[1], "%s.%s" % (owner, name))


def queues(zk_server):
    """queue_census's entries with owner details, puts per second and the oldest item's age."""
    arm_meters(zk_server)
    peer = _peer(zk_server)
    census = queue_census(zk_server, zk_server.get_server_cnxn_factory(), _leader(zk_server), peer)
    by_key = {(e["owner"], e["queue"]): e for e in census}
    out = []
    for owner, name, q, hook in queue_objects(zk_server):
        entry = by_key.pop((owner, name), None)
        if entry is None and name in _REQUEST_QUEUES:  # a processor queue the census does not walk to
            entry = {"owner": owner, "queue": name, "depth": _depth(q), "bound": request_bound(zk_server, peer),
                     "bound_by": "(globalOutstandingLimit + connections) x members"}
        elif entry is None:
            entry = {"owner": owner, "queue": name, "depth": _depth(q), "bound": getattr(q, "maxsize", 0),
                     "bound_by": "its capacity"}
        meter = _meter_of(hook)
        entry["type"] = type(q).__name__
        entry["puts_per_sec"] = round(meter.puts_per_sec(), 1) if meter is not None else None
        entry["oldest_age_ms"] = meter.oldest_age_ms(entry["depth"]) if meter is not None else None
        out.append(entry)
    for entry in by_key.values():  # counters and lists without a queue object of their own
        entry.update({"type": None, "puts_per_sec": None, "oldest_age_ms": None})
        out.append(entry)
    return out


# -- the processor chain --------------------------------------------------------------------


def chain(zk_server):
    """The current role's processors in order: thread, input queues, requests/s, est. wait."""
    arm_meters(zk_server)
    stages = []
    for p in processors(zk_server):
        stage = {"stage": type(p).__name__}
        stage.update(describe_class(type(p)))
        stage["thread"] = p.name if isinstance(p, threading.Thread) else None
        stage["inline"] = not isinstance(p, threading.Thread)
        stage["next"] = [type(n).__name__ for n in (getattr(p, a, None) for a in _NEXT_ATTRS) if n is not None]
        meter = _meter_of((p, "process_request"))
        rate = meter.puts_per_sec() if meter is not None else None
        stage["requests_per_sec"] = round(rate, 1) if rate is not None else None
        qs = []
        for attr, _ in _QUEUE_PUTS:
            q = getattr(p, attr, None)
            if q is not None:
                qs.append({"queue": attr, "depth": _depth(q)})
        stage["queues"] = qs
        # Little's law: the time a request waits in the input queue is depth / arrival rate.
        depth = sum(q["depth"] for q in qs)
        stage["wait_ms_est"] = round(1000.0 * depth / rate, 3) if qs and rate else (0.0 if qs else None)
        stages.append(stage)
    return {"role": role(zk_server), "server_class": type(zk_server).__name__, "stages": stages}


# -- threads and their states ---------------------------------------------------------------


def _known_objects(zk_server):
    known = {}
    if zk_server is not None:
        try:
            for owner, name, q, _ in queue_objects(zk_server):
                known[id(q)] = "%s.%s" % (owner, name)
        except Exception:
            pass
    return known


def _resolve(path, frame):
    """The object a dotted name on a line stands for, from the frame's locals and globals."""
    parts = path.split(".")
    if parts[0] in frame.f_locals:
        obj = frame.f_locals[parts[0]]
    elif parts[0] in frame.f_globals:
        obj = frame.f_globals[parts[0]]
    else:
        return None
    for part in parts[1:]:
        try:
            obj = object.__getattribute__(obj, part) if not isinstance(obj, type(sys)) else getattr(obj, part)
        except Exception:
            try:
                obj = getattr(type(obj), part).__get__(obj)
            except Exception:
                return None
    return obj


def _name_of(obj, frame, known):
    """Name an object a thread waits on: a known queue, else `<owner>.<attribute>`, else its type."""
    target = getattr(obj, "__self__", obj)
    if id(target) in known:
        return known[id(target)]
    for f in (frame, getattr(frame, "f_back", None)):
        owner = f.f_locals.get("self") if f is not None else None
        d = getattr(owner, "__dict__", None)
        if d:
            for attr, value in list(d.items()):
                if value is target:
                    return "%s.%s" % (_owner(owner), attr)
            # One level down: self.fle.sendqueue is FastLeaderElection.sendqueue.
            for value in list(d.values()):
                for attr, inner in list(getattr(value, "__dict__", {}).items()):
                    if inner is target:
                        return "%s.%s" % (_owner(value), attr)
    return type(target).__name__


def _stdlib_file(filename):
    base = os.path.basename(filename)
    return base in ("threading.py", "queue.py", "selectors.py", "socket.py", "ssl.py", "socketserver.py") \
        and (filename.startswith(sys.prefix) or filename.startswith(sys.base_prefix) or "lib-python" in filename
             or "lib_pypy" in filename or "/usr/lib/" in filename)


def _in_queue(frame):
    """A frame inside a queue's own get or put (Python-level queues: the C SimpleQueue has no frame)."""
    return frame.f_code.co_name in ("get", "put") and hasattr(frame.f_locals.get("self"), "qsize")


def _in_wakeup(frame):
    """A frame inside WakeupSemaphore.acquire (on PyPy a libc call, which shows no Lock to name)."""
    return frame.f_code.co_name == "acquire" and os.path.basename(frame.f_code.co_filename) == "wakeup_semaphore.py"


def _in_condition_wait(frame):
    """A frame inside Condition.wait: the stdlib's, or monotonic_waits' (PyPy's timed waits)."""
    base = os.path.basename(frame.f_code.co_filename)
    return frame.f_code.co_name == "wait" and (base == "monotonic_waits.py" or (
        base == "threading.py" and _stdlib_file(frame.f_code.co_filename)))


def thread_state(thread, frame, known=None):
    """(jstack state, what it waits on or does) for a thread whose innermost frame is `frame`."""
    known = known or {}
    if not thread.is_alive():
        return "TERMINATED", None
    if frame is None:
        return "RUNNABLE", None
    f = frame
    waiting = None
    while f is not None and (_stdlib_file(f.f_code.co_filename) or _in_queue(f) or _in_wakeup(f)
                             or _in_condition_wait(f)):
        base = os.path.basename(f.f_code.co_filename)
        fn = f.f_code.co_name
        loc = f.f_locals
        if _in_queue(f):  # queue.Queue, PyPy's SimpleQueue, our LinkedBlockingQueue
            timed = loc.get("block", True) and loc.get("timeout") is not None
            waiting = ("TIMED_WAITING" if timed else "WAITING",
                       "on %s%s" % (_name_of(loc.get("self"), f.f_back, known), " (put: full)" if fn == "put" else ""))
        elif _in_wakeup(f):  # a queue's get around it names the queue instead
            waiting = ("WAITING" if loc.get("timeout") is None else "TIMED_WAITING",
                       "on %s" % _name_of(loc.get("self"), f.f_back, known))
        elif base == "threading.py" and fn in ("_wait_for_tstate_lock", "join"):
            waiting = ("WAITING", "on join of %s" % getattr(loc.get("self"), "name", "?"))
        elif _in_condition_wait(f):
            # Condition.wait, then Event.wait around it: the outer one names what is awaited.
            timed = loc.get("timeout") is not None or (waiting is not None and waiting[0] == "TIMED_WAITING")
            waiting = ("TIMED_WAITING" if timed else "WAITING",
                       "on %s" % _name_of(loc.get("self"), f.f_back, known))
        elif base == "selectors.py" and fn == "select":
            waiting = ("RUNNABLE", "in select (epollWait)")
        elif base in ("socket.py", "ssl.py") and fn in ("accept", "recv", "recv_into", "read", "readinto"):
            waiting = ("RUNNABLE", "in socket %s" % fn)
        elif base == "socketserver.py" and fn == "serve_forever" and waiting is None:
            waiting = ("RUNNABLE", "in select (epollWait)")
        f = f.f_back
    # The outermost stdlib frame names the wait: queue.get around Condition.wait names the queue.
    if waiting is not None:
        return waiting
    if f is None:
        return "RUNNABLE", None
    line = linecache.getline(f.f_code.co_filename, f.f_lineno).strip()
    for path, args in reversed(_CALL.findall(line)):
        fn = path.rsplit(".", 1)[-1]
        obj = _resolve(path, f)
        name = getattr(obj, "__name__", fn)
        target = getattr(obj, "__self__", None)
        no_args = not args.strip()
        if name == "get" and target is not None and hasattr(target, "qsize") and "False" not in args:
            timed = "timeout" in args or "," in args
            return ("TIMED_WAITING" if timed else "WAITING", "on %s" % _name_of(target, f, known))
        if name == "sleep" and (getattr(target, "__name__", None) == "time" or path.endswith("sleep")):
            return "TIMED_WAITING", "sleeping"
        if name in ("select", "poll", "epoll") and target is not None:
            return "RUNNABLE", "in select (epollWait)"
        if name in ("recv", "recv_into", "recvfrom", "accept", "read", "readinto") and target is not None \
                and hasattr(target, "fileno"):
            return "RUNNABLE", "in socket %s" % name
        if name == "acquire" and target is not None:
            return ("WAITING" if no_args else "TIMED_WAITING", "on %s" % _name_of(target, f, known))
    if line.startswith("with ") and line.endswith(":"):
        expr = line[5:-1].split(" as ")[0].strip()
        obj = _resolve(expr, f) if re.fullmatch(r"[\w.]+", expr) else None
        if obj is not None and hasattr(obj, "acquire"):
            return "BLOCKED", "on %s" % _name_of(obj, f, known)
    return "RUNNABLE", None


def _frames():
    try:
        return sys._current_frames(), None
    except Exception as e:  # PyPy can fail while a JIT-compiled frame is live
        return {}, e


def thread_target_class(t):
    """The class behind a thread: its own, or for a plain Thread(target=obj.method) the target's."""
    cls = type(t)
    if cls is threading.Thread:
        target = getattr(t, "_target", None)
        owner = getattr(target, "__self__", None)
        if owner is not None:
            return type(owner)
    return cls


def _connections_by_thread(zk_server):
    """{selector thread name: [{remote, session_id}]}: the client connections each selector serves."""
    out = {}
    factory = zk_server.get_server_cnxn_factory() if zk_server is not None else None
    if factory is None:
        return out
    for c in list(factory.get_connections()):
        t = getattr(c, "selector_thread", None)
        if t is not None:
            out.setdefault(t.name, []).append({"remote": c.get_remote_address_string(),
                                               "session_id": "0x%x" % (c.get_session_id() & _U64)})
    return out


def threads(zk_server=None, stack=False):
    """Every live thread: name, Python and Java class, jstack state, what it waits on (and its stack).

    A selector thread also lists the client connections it serves."""
    frames, error = _frames()
    known = _known_objects(zk_server)
    try:
        connections = _connections_by_thread(zk_server)
    except Exception:
        connections = {}
    out = []
    for t in sorted(threading.enumerate(), key=lambda t: t.name):
        if not t.is_alive():
            continue  # ended since enumerate(): jstack would not list it either
        frame = frames.get(t.ident)
        try:
            state, detail = thread_state(t, frame, known)
        except Exception as e:
            state, detail = "RUNNABLE", "(state not readable: %s)" % type(e).__name__
        entry = {"name": t.name, "id": t.ident, "daemon": t.daemon, "state": state, "waiting_on": detail}
        entry.update(describe_class(thread_target_class(t)))
        if t.name in connections:
            entry["connections"] = sorted(connections[t.name], key=lambda c: c["remote"])
        if stack:
            try:
                entry["stack"] = [s.rstrip() for s in traceback.format_stack(frame)[::-1]] if frame is not None \
                    else ([] if error is None else ["(stacks not readable: %s)" % error])
            except Exception as e:
                entry["stack"] = ["(stack not readable: %s: %s)" % (type(e).__name__, e)]
        out.append(entry)
    return out


# -- trace: one request through the threads -------------------------------------------------

_trace_armed = False
_trace_lock = threading.Lock()
_trace = {"session": None, "key": None, "t0": None, "hops": [], "done": threading.Event(), "armed_at": None}
_last_trace = None

# Types not worth a trace: ping (11), createSession (-10), closeSession (-11) unless asked by session.
_SKIP_TYPES = frozenset((11, -10, -11))


def _hop(stage, request, what, entry):
    """One hop of the armed trace: called by the meters' wrappers only while _trace_armed."""
    global _trace_armed, _last_trace
    session = getattr(request, "session_id", None)
    if session is None:
        return
    tr = _trace
    now = time.perf_counter()
    with _trace_lock:
        key = tr["key"]
        if key is None:
            if not entry or (tr["session"] is None and request.type in _SKIP_TYPES) \
                    or (tr["session"] is not None and (session ^ tr["session"]) & _U64):
                return
            key = tr["key"] = (session, request.cxid)
            tr["t0"] = now
            tr["type"] = request.type
        elif (session, request.cxid) != key:
            return
        tr["hops"].append({"thread": threading.current_thread().name, "stage": stage, "event": what,
                           "t_us": round((now - tr["t0"]) * 1e6, 1)})
        if what == "done":
            _trace_armed = False
            _last_trace = _trace_result()
            tr["done"].set()


def _trace_result():
    tr = _trace
    key = tr["key"]
    complete = tr["done"].is_set() or any(h["event"] == "done" for h in tr["hops"])
    return {"session_id": "0x%x" % (key[0] & _U64) if key else None,
            "cxid": key[1] if key else None, "type": tr.get("type"), "op": _op_name(tr.get("type")),
            "complete": complete, "hops": list(tr["hops"])}


def _op_name(op_type):
    return Request.op2_string(op_type) if op_type is not None else None


def trace(zk_server, session=None, wait_ms=3000):
    """Arm a trace of the next request (of `session` if given), wait for it, return its hops."""
    global _trace_armed, _last_trace
    arm_meters(zk_server)
    done = threading.Event()
    with _trace_lock:
        _trace.update({"session": session, "key": None, "t0": None, "hops": [], "done": done, "type": None})
        _trace_armed = True
    done.wait(wait_ms / 1000.0)
    with _trace_lock:
        _trace_armed = False
        result = _trace_result()
        if result["hops"]:
            _last_trace = result
    return result


def last_trace():
    return _last_trace


# -- the kill -QUIT dump ---------------------------------------------------------------------


def thread_dump_states():
    """{thread ident: (state, detail)} for the kill -QUIT dump (no server at hand: names by type)."""
    frames, _ = _frames()
    out = {}
    for t in threading.enumerate():
        try:
            out[t.ident] = thread_state(t, frames.get(t.ident))
        except Exception:
            out[t.ident] = ("RUNNABLE", None)
    return out
