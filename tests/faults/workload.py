"""The fault suite's clients: kazoo sessions doing compare-and-set on a few registers and adds to a set,
every invocation and completion recorded (time.monotonic()) as a checker.Op.

Registers are the znodes /r0 ... /r{n-1}, created with data b"init" (version 0):

* read:  sync(path) then get(path) -> (data, version). ZooKeeper's plain reads are only
  sequentially consistent (a follower may lag); sync first is the documented way to read
  the latest committed state, so the reads are checked for linearizability.
  With read_barrier="write" the sync is a write of the reader's own session (set /barrier):
  Java's leader answers a sync of its own clients at once, so a read there can miss a write
  a follower already acknowledged; a server answers its client's write only after applying
  every txn before it, on a leader too.
* cas:   get(path) (not recorded), then set(path, new, version=v) -> ("ok", new version) or
  ("fail", None) on BadVersion.
* write: set(path, new, version=-1) -> the new version.

The set is the children of /set: add(e) is create("/set/" + e) with e unique to this
invocation ("ok", or "fail" on NodeExists, which a unique name never earns); read is
sync("/set") then get_children("/set") -> frozenset.

Outcomes: BadVersion and NodeExists are definite failures; any other error (connection
loss, session expiry, a reply not back within `op_timeout`) leaves the operation
indeterminate: output None, return time infinity (it may still take effect later).
A read with an error is dropped: it changed nothing.
"""

import logging
import os
import random
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NodeExistsError
from kazoo.retry import KazooRetry

from tests.faults.checker import INF, Op, RegisterModel, SetModel

SET_PATH = "/set"
BARRIER_PATH = "/barrier"
INIT = b"init"

logging.getLogger("kazoo").setLevel(logging.CRITICAL)


def register_paths(n):
    return ["/r%d" % i for i in range(n)]


def models():
    """Checker models for the keys this workload writes: the set, and every register (default)."""
    return {"set": SetModel(), None: RegisterModel(init=(INIT, 0))}


def new_client(hosts, session_timeout=6.0):
    return KazooClient(hosts=hosts, timeout=session_timeout,
                       connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=1.0),
                       logger=logging.getLogger("kazoo.faults"))


class Workload:
    """`clients` threads, each its own kazoo session on the whole connect string, until stop().

    `connect_string` may be a list: client p then connects to connect_string[p % len]."""

    def __init__(self, connect_string, clients=4, registers=5, session_timeout=6.0, op_timeout=10.0, seed=None,
                 think=0.0, read_barrier="sync"):
        self.connect_string = connect_string
        self.read_barrier = read_barrier
        self.clients = clients
        self.paths = register_paths(registers)
        self.session_timeout = session_timeout
        self.op_timeout = op_timeout
        self.think = think
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._threads = []
        self._histories = []
        self.errors = []                 # unexpected exceptions in a worker (a bug in the workload)
        self.started = None
        self.stopped = None

    # -- setup ----------------------------------------------------------------------------------

    def _hosts(self, p):
        if isinstance(self.connect_string, str):
            return self.connect_string
        return self.connect_string[p % len(self.connect_string)]

    def setup(self, timeout=60):
        """Create the registers and the set's parent (idempotent); retried until `timeout`."""
        if not isinstance(self.connect_string, str):
            for hosts in dict.fromkeys(self.connect_string):
                Workload(hosts, registers=len(self.paths), session_timeout=self.session_timeout).setup(timeout)
            return
        deadline = time.monotonic() + timeout
        zk = new_client(self.connect_string, self.session_timeout)
        zk.start(timeout=timeout)
        try:
            for path in self.paths + [SET_PATH, BARRIER_PATH]:
                while True:
                    try:
                        zk.create(path, INIT if path != SET_PATH else b"")
                        break
                    except NodeExistsError:
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
        finally:
            _close(zk)

    # -- running --------------------------------------------------------------------------------

    def start(self):
        self.started = time.monotonic()
        for p in range(self.clients):
            history = []
            self._histories.append(history)
            t = threading.Thread(target=self._worker, args=(p, history, random.Random(self.rng.random())),
                                 name="fault-client-%d" % p, daemon=True)
            self._threads.append(t)
            t.start()
        return self

    def stop(self, timeout=60):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self.stopped = time.monotonic()
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            raise RuntimeError("workload threads did not stop: %s" % alive)

    def history(self):
        ops = [op for h in self._histories for op in h]
        ops.sort(key=lambda op: op.call)
        return ops

    def _worker(self, p, history, rng):
        zk = new_client(self._hosts(p), self.session_timeout)
        try:
            while not self._stop.is_set():
                try:
                    zk.start(timeout=5)
                    break
                except Exception:
                    time.sleep(0.2)
            n = 0
            while not self._stop.is_set():
                n += 1
                try:
                    op = self._one(zk, p, n, rng)
                except Exception as e:   # a bug here, not a fault: keep it for the report
                    self.errors.append("client %d: %r" % (p, e))
                    op = None
                    time.sleep(0.1)
                if op is not None:
                    history.append(op)
                    if op.indeterminate:
                        time.sleep(0.05)   # the session is reconnecting; do not spin
                if self.think:
                    time.sleep(self.think)
        finally:
            _close(zk)

    def _wait(self, async_result):
        return async_result.get(timeout=self.op_timeout)

    def _one(self, zk, p, n, rng):
        if rng.random() < 0.6:
            path = rng.choice(self.paths)
            kind = rng.random()
            if kind < 0.3:
                return self._read(zk, p, path)
            if kind < 0.9:
                return self._cas(zk, p, n, path)
            return self._write(zk, p, n, path)
        if rng.random() < 0.85:
            return self._add(zk, p, n)
        return self._read_set(zk, p)

    def _barrier(self, zk, path):
        """What orders a read after every write acknowledged before it began (see the module doc)."""
        if self.read_barrier == "write":
            self._wait(zk.set_async(BARRIER_PATH, b"", version=-1))
        else:
            self._wait(zk.sync_async(path))

    def _read(self, zk, p, path):
        call = time.monotonic()
        try:
            self._barrier(zk, path)
            data, stat = self._wait(zk.get_async(path))
        except Exception:
            return None
        return Op(p, "read", path, None, (data, stat.version), call, time.monotonic())

    def _cas(self, zk, p, n, path):
        try:
            _, stat = self._wait(zk.get_async(path))
        except Exception:
            return None
        value = b"p%d-%d" % (p, n)
        op = Op(p, "cas", path, (stat.version, value), None, time.monotonic(), INF)
        try:
            new = self._wait(zk.set_async(path, value, version=stat.version))
            op.output = ("ok", new.version)
        except BadVersionError:
            op.output = ("fail", None)
        except Exception:
            return op
        op.ret = time.monotonic()
        return op

    def _write(self, zk, p, n, path):
        value = b"w%d-%d" % (p, n)
        op = Op(p, "write", path, value, None, time.monotonic(), INF)
        try:
            op.output = self._wait(zk.set_async(path, value, version=-1)).version
        except Exception:
            return op
        op.ret = time.monotonic()
        return op

    def _add(self, zk, p, n):
        element = "e-%d-%d" % (p, n)
        op = Op(p, "add", "set", element, None, time.monotonic(), INF)
        try:
            self._wait(zk.create_async(SET_PATH + "/" + element, b""))
            op.output = "ok"
        except NodeExistsError:
            op.output = "fail"
        except Exception:
            return op
        op.ret = time.monotonic()
        return op

    def _read_set(self, zk, p):
        call = time.monotonic()
        try:
            self._barrier(zk, SET_PATH)
            children = self._wait(zk.get_children_async(SET_PATH))
        except Exception:
            return None
        return Op(p, "read", "set", None, frozenset(children), call, time.monotonic())


def _close(zk):
    try:
        zk.stop()
    except Exception:
        pass
    try:
        zk.close()
    except Exception:
        pass


# -- after the heal ---------------------------------------------------------------------------------


def read_member(address, paths, process, timeout=20, session_timeout=6.0):
    """Read every register and the set from one member (sync first), as recorded reads.

    Returns (state, ops): state {path: (data, version), "set": frozenset}."""
    zk = KazooClient(hosts=address, timeout=session_timeout, randomize_hosts=False,
                     connection_retry=KazooRetry(max_tries=3, delay=0.1), logger=logging.getLogger("kazoo.faults"))
    zk.start(timeout=timeout)
    try:
        state = {}
        ops = []
        for path in paths:
            call = time.monotonic()
            zk.sync(path)
            data, stat = zk.get(path)
            state[path] = (data, stat.version)
            ops.append(Op(process, "read", path, None, (data, stat.version), call, time.monotonic()))
        call = time.monotonic()
        zk.sync(SET_PATH)
        children = frozenset(zk.get_children(SET_PATH))
        state["set"] = children
        ops.append(Op(process, "read", "set", None, children, call, time.monotonic()))
        return state, ops
    finally:
        _close(zk)


def summarize(history):
    """Counts for the report: ops, ok, failed definitely, indeterminate, acknowledged adds."""
    counts = {"ops": len(history), "ok": 0, "fail": 0, "indeterminate": 0}
    for op in history:
        if op.indeterminate:
            counts["indeterminate"] += 1
        elif op.output == "fail" or (isinstance(op.output, tuple) and op.output[0] == "fail"):
            counts["fail"] += 1
        else:
            counts["ok"] += 1
    counts["acked_adds"] = sum(1 for op in history if op.op == "add" and op.output == "ok")
    return counts


# -- one trial: ensemble, workload, nemesis, heal, checks ------------------------------------------------


class Verdict:
    """What one trial found; `passed` is the suite's assertion."""

    COLUMNS = ("members", "kinds", "nemesis", "faults", "ops", "indeterminate", "linearizable", "lost acked adds",
               "agree", "elapsed")

    def __init__(self, kinds, nemesis):
        self.kinds = list(kinds)
        self.members = len(self.kinds)
        self.nemesis = nemesis
        self.faults = 0
        self.counts = {"ops": 0, "indeterminate": 0, "acked_adds": 0}
        self.linearizable = "not checked"
        self.lost = None              # acknowledged adds missing from some member's final set
        self.agree = "not checked"
        self.rejoined = None
        self.elapsed = 0.0
        self.events = []
        self.problems = []            # texts explaining every "no"
        self.results = {}
        self.history_path = None

    @property
    def kinds_label(self):
        kinds = list(dict.fromkeys(self.kinds))
        return " + ".join("%d %s" % (self.kinds.count(k), k) for k in kinds) if len(kinds) > 1 else kinds[0]

    @property
    def passed(self):
        return self.linearizable == "yes" and self.lost == 0 and self.agree == "yes" and not self.problems

    def row(self):
        lost = "?" if self.lost is None else str(self.lost)
        return (str(self.members), self.kinds_label, self.nemesis, str(self.faults), str(self.counts["ops"]),
                str(self.counts["indeterminate"]), self.linearizable, lost, self.agree, "%.0fs" % self.elapsed)

    def report(self):
        lines = ["%s, %s: linearizable %s, lost acknowledged adds %s, members agree %s (%d ops, %d acked adds, "
                 "%d indeterminate, %d faults, %.0fs)" % (
                     self.kinds_label, self.nemesis, self.linearizable, "?" if self.lost is None else self.lost,
                     self.agree, self.counts["ops"], self.counts["acked_adds"], self.counts["indeterminate"],
                     self.faults, self.elapsed)]
        lines += ["  problem: " + p for p in self.problems]
        return "\n".join(lines)

    def timeline(self, t0):
        return "\n".join("  %7.2fs %s" % (t - t0, text) for t, text in self.events)


def format_table(verdicts):
    rows = [Verdict.COLUMNS] + [v.row() for v in verdicts]
    widths = [max(len(r[i]) for r in rows) for i in range(len(Verdict.COLUMNS))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] +
                     [line(r) for r in rows[1:]])


def _save_history(path, history):
    import json

    def enc(v):
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        if isinstance(v, (set, frozenset)):
            return sorted(v)
        if isinstance(v, tuple):
            return [enc(x) for x in v]
        return v

    with open(path, "w") as f:
        for op in history:
            f.write(json.dumps({"process": op.process, "op": op.op, "key": op.key, "input": enc(op.input),
                                "output": enc(op.output), "call": op.call,
                                "return": None if op.indeterminate else op.ret}) + "\n")


def run_trial(base_dir, kinds, nemesis_name, duration=20.0, clients=4, quiet=3.0, fault=4.0, seed=None,
              heal_timeout=90.0, check_timeout=120.0, log=None):
    """Start an ensemble of `kinds`, run the workload for `duration` seconds with the nemesis striking
    (quiet, fault, heal, ...), heal, wait until every member serves, then check. Returns a Verdict.

    Raises nemesis.PartitionUnavailable when a partition cannot be made here."""
    from tests.faults.checker import check_history
    from tests.faults.nemesis import NemesisRunner, make_nemesis, run_as_own_groups
    from tests.support.ensemble import Ensemble
    from tests.support.net import wait_until

    log = log or (lambda text: None)
    rng = random.Random(seed)
    verdict = Verdict(kinds, nemesis_name)
    t0 = time.monotonic()
    ens = Ensemble(base_dir, kinds=kinds)
    if nemesis_name == "partition":
        run_as_own_groups(ens)
    nemesis = None
    try:
        ens.start()
        leader = ens.wait_for_quorum(sids=list(ens.servers), timeout=90)
        verdict.events.append((time.monotonic(), "quorum, leader %d" % leader))
        nemesis = make_nemesis(nemesis_name, ens, random.Random(rng.random()))
        # A Java leader answers its own clients' syncs at once (see the module doc; ours waits).
        workload = Workload(ens.connect_string(), clients=clients, seed=rng.random(),
                            read_barrier="write" if "java" in kinds else "sync")
        workload.setup()
        runner = NemesisRunner(nemesis, quiet=quiet, fault=fault)
        workload.start()
        runner.start()
        time.sleep(duration)                       # the schedule: faults come and go meanwhile
        nemesis = None                             # runner.stop() heals and cleans up
        try:
            runner.stop()
        finally:
            verdict.events += runner.events
            verdict.faults = runner.faults
        verdict.events.append((time.monotonic(), "healed"))
        members = list(ens.servers)
        try:
            leader = ens.wait_for_quorum(sids=members, timeout=heal_timeout)
            verdict.rejoined = True
            verdict.events.append((time.monotonic(), "every member serves, leader %d" % leader))
        except (TimeoutError, RuntimeError) as e:
            verdict.rejoined = False
            verdict.problems.append("not every member serves %.0fs after the heal: %s" % (heal_timeout, e))
        workload.stop()
        verdict.events.append((time.monotonic(), "workload stopped"))
        if workload.errors:
            verdict.problems.append("workload errors: %s" % workload.errors[:5])
        history = workload.history()
        verdict.counts = summarize(history)

        # Every member, sync then read; until they agree (in-flight requests of closed sessions settle).
        states = {}
        final_ops = []

        def read_all():
            states.clear()
            for sid in members:
                try:
                    state, ops = read_member(ens.address(sid), workload.paths, "final-%d" % sid, timeout=10)
                except Exception as e:
                    states[sid] = None
                    verdict.events.append((time.monotonic(), "final read of member %d failed: %r" % (sid, e)))
                    continue
                states[sid] = state
                final_ops.extend(ops)
            values = list(states.values())
            return None not in values and all(v == values[0] for v in values)

        # A member that did not rejoin will not start to serve now: then one round says what differs.
        agreed = read_all()
        if not agreed and verdict.rejoined:
            try:
                agreed = wait_until(read_all, timeout=20, interval=0.5, message="members agreeing")
            except TimeoutError:
                pass
        if agreed:
            zxids = {}

            def same_zxid():
                zxids.update({sid: ens.zxid(sid) for sid in members})
                return None not in zxids.values() and len(set(zxids.values())) == 1

            try:
                wait_until(same_zxid, timeout=20, interval=0.2, message="one zxid")
                verdict.agree = "yes"
            except TimeoutError:
                verdict.agree = "no"
                verdict.problems.append("members' last zxids differ: %s" % {s: hex(z or 0) for s, z in zxids.items()})
        else:
            verdict.agree = "no"
            verdict.problems.append("members do not agree after the heal: " + _describe_disagreement(states))
        history += final_ops
        verdict.history_path = os.path.join(base_dir, "history.jsonl")
        _save_history(verdict.history_path, history)

        acked = {op.input for op in history if op.op == "add" and op.output == "ok"}
        read_sets = [s["set"] for s in states.values() if s is not None]
        if read_sets:
            missing = set()
            for s in read_sets:
                missing |= acked - s
            verdict.lost = len(missing)
            if missing:
                verdict.problems.append("acknowledged adds missing after the heal: %s" % sorted(missing)[:20])

        log("checking %d operations" % len(history))
        results = check_history(history, models(), timeout=check_timeout)
        verdict.results = results
        oks = [r.ok for r in results.values()]
        verdict.linearizable = "no" if False in oks else ("yes" if all(oks) else "unknown")
        for key, r in results.items():
            if r.ok is not True:
                verdict.problems.append("%s: %s" % (key, r.message))
        if verdict.problems:
            verdict.problems.append("history: %s" % verdict.history_path)
            verdict.problems.append("timeline:\n" + verdict.timeline(t0))
            verdict.problems.append("server logs under %s; their last warnings:\n%s" % (base_dir, _log_excerpt(ens)))
        return verdict
    finally:
        if nemesis is not None:
            nemesis.cleanup()
        verdict.elapsed = time.monotonic() - t0
        ens.stop()


def _log_excerpt(ens, lines=12):
    """The last WARN/ERROR lines of each member's log (the four-letter-word chatter left out)."""
    out = []
    for sid in ens.servers:
        hits = [line for line in ens.log(sid).splitlines()
                if (" WARN " in line or " ERROR " in line) and "Processing srvr" not in line]
        out.append("  --- member %d (%s) ---" % (sid, ens.kinds[sid]))
        out += ["  " + line[:300] for line in hits[-lines:]]
    return "\n".join(out)


def _describe_disagreement(states):
    unreadable = [sid for sid, s in states.items() if s is None]
    readable = {sid: s for sid, s in states.items() if s is not None}
    parts = []
    if unreadable:
        parts.append("members %s could not be read" % unreadable)
    if readable:
        keys = sorted(next(iter(readable.values())))
        for key in keys:
            values = {sid: s[key] for sid, s in readable.items()}
            if len(set(map(repr, values.values()))) > 1:
                if key == "set":
                    union = set().union(*values.values())
                    parts.append("set: %s" % {sid: "%d elements, missing %s" % (len(v), sorted(union - v)[:10])
                                              for sid, v in values.items()})
                else:
                    parts.append("%s: %s" % (key, values))
    return "; ".join(parts) or "no readable member"
