"""A linearizability checker for the histories the fault suite records.

The search is Wing & Gong's, with Lowe's memoization, laid out as porcupine
(github.com/anishathalye/porcupine, checker.go) does it: the history becomes a doubly
linked list of call and return entries in time order; the search linearizes a pending
call whose call entry comes before the first remaining return entry, lifts both of its
entries out of the list, and backtracks when it meets a return entry whose call it could
not linearize. A cache of (linearized ops, model state) pairs already explored keeps it
from exploring a configuration twice.

Operations whose outcome the client never learned (connection loss, timeout, session
expiry) "maybe happened": their output is None (any outcome allowed) and their return
time is infinity, as Knossos and porcupine treat them; linearizing one at the end is the
same as its never having happened.

A history is a list of `Op`; it is split by key (one register per znode, the set as one
key) and each part is checked alone, which is sound and complete for linearizability
(it is a local property, Herlihy & Wing).

Models:

* `RegisterModel`: a znode's (data, version). `read` returns (data, version); `write`
  (setData with version -1) sets the data and bumps the version, returning the new
  version; `cas` (setData with an expected version) applies iff the version matches and
  then returns ("ok", new version), else ("fail", None) (BadVersion).
* `SetModel`: a set that only grows. `add` returns "ok" when the element was new,
  "fail" when it was there (NodeExists); `read` returns the whole set (a frozenset).

Two things keep the search small on the histories a faulty run produces (many
operations that maybe happened):

* an operation that is `dead` in a state -- it would change nothing there, and nothing
  in any later state either (a compare-and-set on a version the register has passed, an
  add of an element the set holds; versions and sets only grow) -- is linearized at once
  as a forced move: there is no choice to explore, so it costs no backtracking;
* reads that never completed are dropped (they change nothing), and so are adds that
  maybe happened whose element no read shows (`SetModel.prepare`).
"""

import gc
import math
import time
from dataclasses import dataclass, field

INF = math.inf


@dataclass
class Op:
    """One invocation and its completion. output None with ret == INF: maybe happened."""

    process: int
    op: str          # register: read, write, cas; set: add, read
    key: str         # the register's path, or the set's name
    input: object = None
    output: object = None
    call: float = 0.0
    ret: float = INF

    @property
    def indeterminate(self):
        return self.ret == INF

    def describe(self):
        ret = "inf" if self.ret == INF else "%.3f" % self.ret
        out = "?" if self.indeterminate else _short(self.output)
        return "p%s %s %s(%s) -> %s  [%.3f, %s]" % (self.process, self.key, self.op, _short(self.input), out,
                                                   self.call, ret)


def _short(value, limit=120):
    if isinstance(value, (set, frozenset)):
        text = "{%d: %s}" % (len(value), ", ".join(sorted(str(v) for v in value))[:limit])
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# -- models --------------------------------------------------------------------------------


class RegisterModel:
    """A znode: state (data, version)."""

    name = "register"

    def __init__(self, init=(b"", 0)):
        self.init = init

    def step(self, state, op):
        """(valid, new state) for `op` applied in `state`."""
        value, version = state
        if op.op == "read":
            return op.output == state, state
        if op.op == "write":
            new = (op.input, version + 1)
            return op.output is None or op.output == version + 1, new
        if op.op == "cas":
            expected, new_value = op.input
            if version == expected:
                ok = op.output is None or (op.output[0] == "ok" and op.output[1] in (None, version + 1))
                return ok, (new_value, version + 1)
            return op.output is None or op.output[0] == "fail", state
        raise ValueError("register op %r" % op.op)

    def dead(self, state, op):
        """Changes nothing now nor in any later state (versions only grow)."""
        return op.op == "cas" and state[1] > op.input[0] and (op.output is None or op.output[0] == "fail")


class SetModel:
    """A set that only grows: state frozenset."""

    name = "set"

    def __init__(self, init=frozenset()):
        self.init = frozenset(init)

    def step(self, state, op):
        if op.op == "read":
            return op.output == state, state
        if op.op == "add":
            present = op.input in state
            if op.output is None:
                return True, state if present else state | {op.input}
            if op.output == "ok":
                return not present, state | {op.input}
            return present, state           # "fail": NodeExists
        raise ValueError("set op %r" % op.op)

    def dead(self, state, op):
        return op.op == "add" and op.input in state and op.output in (None, "fail")

    def prepare(self, ops):
        """(ops, model) for the search.

        Drops the adds that maybe happened and whose element no read ever shows: in any
        linearization such an add comes after every read (each later read would show it),
        and there it changes nothing a read sees; so it is the same as its never having
        happened, and leaving it out keeps the verdict (kept in, the search would try it
        before each read in turn).

        When every element has one add at most (the workload's unique names), the state
        need not be the set itself: an add is then the only way its element gets in, so
        the set is fixed by which adds were linearized, and a `UniqueAddSetModel` keeps
        only (size, hash) -- O(1) per step instead of copying a set of thousands."""
        read_hashes = _read_hashes(ops)
        seen = read_hashes.pop(None)
        ops = [op for op in ops if not (op.op == "add" and op.output is None and op.input not in seen)]
        adds = [op.input for op in ops if op.op == "add"]
        if len(adds) == len(set(adds)) and not (set(adds) & self.init):
            return ops, UniqueAddSetModel(self.init, ops, read_hashes)
        return ops, self


def _read_hashes(ops):
    """{id(read op): (size, hash)} and, under None, every element some read shows.

    Reads of a set that grows differ little from the next bigger one: hash each from the
    one before by what differs (most reads hold thousands of elements)."""
    result = {}
    seen = set()
    prev, prev_hash = frozenset(), 0
    for op in sorted((op for op in ops if op.op == "read" and op.output is not None), key=lambda o: len(o.output)):
        diff = op.output ^ prev
        h = prev_hash
        for e in diff:
            h ^= _element_hash(e)
        seen |= diff
        result[id(op)] = (len(op.output), h)
        prev, prev_hash = op.output, h
    result[None] = seen
    return result


def _set_hash(elements):
    """128 bits that stand for a set of strings: the XOR of two salted 64-bit hashes of each."""
    h = 0
    for e in elements:
        h ^= _element_hash(e)
    return h


def _element_hash(e):
    return (hash(e) & 0xFFFFFFFFFFFFFFFF) | ((hash((e, 0x5A17)) & 0xFFFFFFFFFFFFFFFF) << 64)


class UniqueAddSetModel:
    """SetModel for histories where each element has at most one add and is not in the initial set.

    State (size, 128-bit hash of the elements). An add is then never of a present
    element; a read matches when size and hash do (a false match needs a 128-bit collision)."""

    name = "set"

    def __init__(self, init, ops, read_hashes=None):
        self.init = (len(init), _set_hash(init))
        self._init_set = frozenset(init)
        self._adds = {id(op): _element_hash(op.input) for op in ops if op.op == "add"}
        self._reads = read_hashes if read_hashes is not None else _read_hashes(ops)

    def step(self, state, op):
        if op.op == "read":
            return self._reads[id(op)] == state, state
        if op.op == "add":
            if op.output == "fail":
                return False, state           # NodeExists for an element nobody else adds
            return True, (state[0] + 1, state[1] ^ self._adds[id(op)])
        raise ValueError("set op %r" % op.op)

    def dead(self, state, op):
        return False

    def explain_state(self, state, prefix):
        return self._init_set | {op.input for op in prefix if op.op == "add"}


# -- the search ----------------------------------------------------------------------------


class _Entry:
    __slots__ = ("op", "id", "is_call", "time", "match", "prev", "next")

    def __init__(self, op, id_, is_call, time_):
        self.op = op
        self.id = id_
        self.is_call = is_call
        self.time = time_
        self.match = None
        self.prev = None
        self.next = None


@dataclass
class Result:
    """Verdict for one key: ok True (linearizable), False (not), None (search gave up)."""

    key: str
    ok: object
    ops: int
    explored: int = 0
    seconds: float = 0.0
    message: str = ""
    prefix: list = field(default_factory=list)   # longest linearized prefix (ops), when not ok
    stuck: object = None                          # the op whose return could not be reached

    def __bool__(self):
        return self.ok is True


def _lift(entry):
    entry.prev.next = entry.next
    if entry.next is not None:
        entry.next.prev = entry.prev
    match = entry.match
    match.prev.next = match.next
    if match.next is not None:
        match.next.prev = match.prev


def _unlift(entry):
    match = entry.match
    match.prev.next = match
    if match.next is not None:
        match.next.prev = match
    entry.prev.next = entry
    if entry.next is not None:
        entry.next.prev = entry


def check_operations(model, ops, key="", timeout=60.0):
    """Check one key's operations against `model`; returns a Result."""
    # The search allocates a tuple per step and frees none in cycles; with a big history in
    # memory, each collection of the cyclic GC would walk all of it (seconds per search).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(model, ops, key, timeout)
    finally:
        if enabled:
            gc.enable()


def _check(model, ops, key, timeout):
    started = time.monotonic()
    ops = [op for op in ops if not (op.op == "read" and op.indeterminate)]
    if hasattr(model, "prepare"):
        ops, model = model.prepare(ops)
    for op in ops:
        if op.ret < op.call:
            raise ValueError("operation returns before it is called: %s" % op.describe())
    entries = []
    for i, op in enumerate(ops):
        call = _Entry(op, i, True, op.call)
        ret = _Entry(op, i, False, op.ret)
        call.match = ret
        entries.append(call)
        entries.append(ret)
    # Time order; at equal times calls first (the two operations are then concurrent).
    entries.sort(key=lambda e: (e.time, not e.is_call))
    head = _Entry(None, -1, False, -INF)
    prev = head
    for e in entries:
        prev.next = e
        e.prev = prev
        prev = e

    state = model.init
    linearized = 0
    cache = {(0, state)}
    # The linearized calls as a persistent stack, (entry, state before, forced, below), so the
    # longest linearization so far is kept without copying it.
    calls = None
    depth = 0
    entry = head.next
    explored = 0
    best_depth = -1
    best = None
    while head.next is not None:
        explored += 1
        if explored % 20000 == 0 and time.monotonic() - started > timeout:
            return Result(key, None, len(ops), explored, time.monotonic() - started,
                          "search gave up after %.0fs (%d configurations)" % (timeout, explored))
        if entry.is_call:
            op = entry.op
            forced = model.dead(state, op)
            valid, new_state = model.step(state, op)
            if valid:
                new_linearized = linearized | (1 << entry.id)
                if (new_linearized, new_state) not in cache:
                    cache.add((new_linearized, new_state))
                    calls = (entry, state, forced, calls)
                    depth += 1
                    state = new_state
                    linearized = new_linearized
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
            continue
        # A return entry: its call is still pending, so backtrack.
        if depth > best_depth:
            best_depth = depth
            best = (calls, entry.op, state)
        while True:
            if calls is None:
                return _failure(model, key, ops, explored, started, best)
            top, state, forced, calls = calls
            depth -= 1
            linearized &= ~(1 << top.id)
            _unlift(top)
            if not forced:
                entry = top.next
                break
    return Result(key, True, len(ops), explored, time.monotonic() - started)


def _failure(model, key, ops, explored, started, best):
    calls, stuck, state = best
    prefix = []
    while calls is not None:
        prefix.append(calls[0].op)
        calls = calls[3]
    prefix.reverse()
    if hasattr(model, "explain_state"):
        state = model.explain_state(state, prefix)
    lines = ["not linearizable: %d of %d operations linearized at most; then the state is %s and this "
             "operation cannot be linearized before it returns:" % (len(prefix), len(ops), _short(state)),
             "  " + stuck.describe(),
             "last operations of that longest linearization:"]
    lines += ["  " + op.describe() for op in prefix[-8:]]
    concurrent = [op for op in ops if op.call <= stuck.ret and op.ret >= stuck.call and op is not stuck]
    if concurrent:
        lines.append("operations concurrent with it:")
        lines += ["  " + op.describe() for op in concurrent[:12]]
    return Result(key, False, len(ops), explored, time.monotonic() - started, "\n".join(lines), prefix, stuck)


def check_history(history, models, timeout=60.0):
    """Split `history` by key and check each part with models[key] (or models[None]).

    Returns {key: Result}."""
    by_key = {}
    for op in history:
        by_key.setdefault(op.key, []).append(op)
    results = {}
    for key in sorted(by_key):
        model = models.get(key) or models.get(None)
        results[key] = check_operations(model, by_key[key], key=key, timeout=timeout)
    return results


# -- histories on disk ------------------------------------------------------------------------------


def load_history(path):
    """Read a history saved by tests.faults.workload (JSON lines) back into Ops."""
    import json

    ops = []
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            key, op, inp, out = d["key"], d["op"], d["input"], d["output"]
            if key == "set":
                if op == "read" and out is not None:
                    out = frozenset(out)
            else:
                if op == "read" and out is not None:
                    out = (out[0].encode(), out[1])
                elif op == "write":
                    inp = inp.encode()
                elif op == "cas":
                    inp = (inp[0], inp[1].encode())
                    out = tuple(out) if out is not None else None
            ret = INF if d["return"] is None else d["return"]
            ops.append(Op(d["process"], op, key, inp, out, d["call"], ret))
    return ops


if __name__ == "__main__":
    # python -m tests.faults.checker history.jsonl: check a saved history again.
    import sys

    from tests.faults.workload import models

    for path in sys.argv[1:]:
        for key, result in check_history(load_history(path), models()).items():
            print("%s %s: %s (%d ops, %d configurations, %.2fs)" % (path, key, result.ok, result.ops,
                                                                    result.explored, result.seconds))
            if result.message:
                print(result.message)
