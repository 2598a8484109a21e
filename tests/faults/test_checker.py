"""The linearizability checker on hand-written histories: it must pass the good ones and fail the bad
ones (a checker that cannot fail proves nothing)."""

import random

import pytest

from tests.faults.checker import INF, Op, RegisterModel, SetModel, check_history, check_operations

R = RegisterModel(init=(b"init", 0))
S = SetModel()


def reg(process, op, inp, out, call, ret=INF, key="/r0"):
    return Op(process, op, key, inp, out, call, ret)


def ok(ops, model=R):
    result = check_operations(model, ops)
    assert result.ok is True, result.message
    return result


def bad(ops, model=R):
    result = check_operations(model, ops)
    assert result.ok is False, "a bad history passed"
    assert "not linearizable" in result.message
    return result


# -- registers -------------------------------------------------------------------------------


def test_empty_history_is_linearizable():
    ok([])


def test_sequential_reads_and_writes():
    ok([
        reg(1, "read", None, (b"init", 0), 0, 1),
        reg(1, "write", b"a", 1, 2, 3),
        reg(2, "read", None, (b"a", 1), 4, 5),
        reg(2, "cas", (1, b"b"), ("ok", 2), 6, 7),
        reg(1, "cas", (1, b"c"), ("fail", None), 8, 9),
        reg(1, "read", None, (b"b", 2), 10, 11),
    ])


def test_concurrent_write_may_be_seen_or_not():
    # A read concurrent with a write may return the old or the new value.
    ok([
        reg(1, "write", b"a", 1, 0, 10),
        reg(2, "read", None, (b"init", 0), 1, 2),
        reg(3, "read", None, (b"a", 1), 3, 4),
    ])


def test_order_inside_overlap_is_found():
    # Two overlapping CAS: only one order explains the reads.
    ok([
        reg(1, "cas", (0, b"x"), ("ok", 1), 0, 10),
        reg(2, "cas", (1, b"y"), ("ok", 2), 0, 10),
        reg(3, "read", None, (b"y", 2), 11, 12),
    ])


def test_stale_read_fails():
    # The write completed before the read began, yet the read returns the old value.
    result = bad([
        reg(1, "write", b"a", 1, 0, 1),
        reg(2, "read", None, (b"init", 0), 2, 3),
    ])
    assert result.stuck.op == "read"


def test_stale_read_after_cas_fails():
    bad([
        reg(1, "cas", (0, b"a"), ("ok", 1), 0, 1),
        reg(2, "read", None, (b"a", 1), 2, 3),
        reg(3, "read", None, (b"init", 0), 4, 5),
    ])


def test_read_going_back_in_time_fails():
    # Two reads, one after the other, concurrent with one write: new then old is impossible.
    bad([
        reg(1, "write", b"a", 1, 0, 10),
        reg(2, "read", None, (b"a", 1), 1, 2),
        reg(2, "read", None, (b"init", 0), 3, 4),
    ])


def test_lost_write_fails():
    # An acknowledged write, then two later reads that do not show it (the write was lost).
    bad([
        reg(1, "write", b"a", 1, 0, 1),
        reg(1, "write", b"b", 2, 2, 3),
        reg(2, "read", None, (b"a", 1), 4, 5),
    ])


def test_cas_succeeding_twice_on_one_version_fails():
    bad([
        reg(1, "cas", (0, b"x"), ("ok", 1), 0, 5),
        reg(2, "cas", (0, b"y"), ("ok", 1), 1, 6),
    ])


def test_cas_reporting_a_wrong_version_fails():
    bad([reg(1, "cas", (0, b"x"), ("ok", 5), 0, 1)])


def test_cas_failing_on_the_right_version_fails():
    bad([
        reg(1, "read", None, (b"init", 0), 0, 1),
        reg(1, "cas", (0, b"x"), ("fail", None), 2, 3),
        reg(1, "read", None, (b"init", 0), 4, 5),
    ])


def test_write_from_nowhere_fails():
    bad([reg(1, "read", None, (b"never-written", 1), 0, 1)])


def test_indeterminate_write_that_happened():
    # A CAS lost its reply (connection loss); a later read shows it took effect.
    ok([
        reg(1, "cas", (0, b"x"), None, 0),
        reg(2, "read", None, (b"x", 1), 5, 6),
        reg(2, "cas", (1, b"y"), ("ok", 2), 7, 8),
        reg(2, "read", None, (b"y", 2), 9, 10),
    ])


def test_indeterminate_write_that_did_not_happen():
    ok([
        reg(1, "cas", (0, b"x"), None, 0),
        reg(2, "read", None, (b"init", 0), 5, 6),
        reg(2, "cas", (0, b"y"), ("ok", 1), 7, 8),
        reg(2, "read", None, (b"y", 1), 9, 10),
    ])


def test_indeterminate_write_may_happen_late():
    # Maybe-happened ops may take effect any time after their call, even much later.
    ok([
        reg(1, "write", b"x", None, 0),
        reg(2, "read", None, (b"init", 0), 5, 6),
        reg(2, "read", None, (b"init", 0), 7, 8),
        reg(2, "read", None, (b"x", 1), 9, 10),
    ])


def test_indeterminate_write_cannot_happen_twice():
    # It may happen once, not appear, disappear and reappear.
    bad([
        reg(1, "write", b"x", None, 0),
        reg(2, "read", None, (b"x", 1), 5, 6),
        reg(2, "read", None, (b"init", 0), 7, 8),
    ])


def test_indeterminate_cas_cannot_apply_on_a_passed_version():
    bad([
        reg(1, "cas", (0, b"x"), ("ok", 1), 0, 1),
        reg(2, "cas", (0, b"late"), None, 2),
        reg(3, "read", None, (b"late", 2), 5, 6),
    ])


def test_indeterminate_read_is_ignored():
    ok([
        reg(1, "read", None, None, 0),
        reg(2, "write", b"a", 1, 1, 2),
    ])


def test_many_indeterminate_ops_stay_fast():
    # 60 CAS that maybe happened, all on passed versions, among 400 sequential ops.
    ops = []
    t = 0.0
    version = 0
    for i in range(400):
        if i % 7 == 3:
            ops.append(reg(9, "cas", (version - 1 if version else 0, b"m%d" % i), None, t))
        ops.append(reg(1, "cas", (version, b"v%d" % i), ("ok", version + 1), t, t + 0.5))
        version += 1
        ops.append(reg(2, "read", None, (b"v%d" % i, version), t + 0.6, t + 0.9))
        t += 1
    result = ok(ops)
    assert result.seconds < 10


def test_random_concurrent_histories_from_a_real_register_pass():
    # Simulate an atomic register with 4 clients; each op takes effect at a random instant inside
    # its interval; some replies are lost. Every such history is linearizable.
    rng = random.Random(7)
    for _ in range(20):
        ops = []
        value, version = b"init", 0
        events = []
        for p in range(4):
            t = 0.0
            for n in range(30):
                call = t + rng.random()
                ret = call + rng.random() * 3
                at = call + (ret - call) * rng.random()
                events.append((at, p, n, call, ret))
                t = ret
        events.sort()
        for _at, p, n, call, ret in events:
            kind = rng.choice(["read", "write", "cas", "cas"])
            lost = rng.random() < 0.1 and kind != "read"
            if kind == "read":
                ops.append(reg(p, "read", None, (value, version), call, ret))
            elif kind == "write":
                value, version = b"w%d-%d" % (p, n), version + 1
                ops.append(reg(p, "write", value, None if lost else version, call, INF if lost else ret))
            else:
                expected = version if rng.random() < 0.6 else max(0, version - 1)
                if expected == version:
                    value, version = b"c%d-%d" % (p, n), version + 1
                    out = ("ok", version)
                    ops.append(reg(p, "cas", (expected, value), None if lost else out, call, INF if lost else ret))
                else:
                    ops.append(reg(p, "cas", (expected, b"no"), None if lost else ("fail", None), call,
                                   INF if lost else ret))
        ok(ops)


def test_gives_up_with_unknown_not_a_verdict():
    # Independent indeterminate writes of distinct values: exponential; a tiny budget gives up.
    ops = [reg(p, "write", b"v%d" % p, None, 0) for p in range(40)]
    ops.append(reg(99, "read", None, (b"nope", 99), 1, 2))
    result = check_operations(R, ops, timeout=0.01)
    assert result.ok in (None, False)


# -- the set ---------------------------------------------------------------------------------


def sop(process, op, inp, out, call, ret=INF):
    return Op(process, op, "set", inp, out, call, ret)


def test_set_adds_and_reads():
    ok([
        sop(1, "add", "a", "ok", 0, 1),
        sop(2, "add", "b", "ok", 0, 3),
        sop(3, "read", None, frozenset({"a"}), 2, 2.5),
        sop(3, "read", None, frozenset({"a", "b"}), 4, 5),
    ], S)


def test_set_lost_acknowledged_add_fails():
    bad([
        sop(1, "add", "a", "ok", 0, 1),
        sop(1, "add", "b", "ok", 2, 3),
        sop(2, "read", None, frozenset({"b"}), 4, 5),
    ], S)


def test_set_element_seen_before_its_add_fails():
    bad([
        sop(2, "read", None, frozenset({"a"}), 0, 1),
        sop(1, "add", "a", "ok", 2, 3),
    ], S)


def test_set_element_disappearing_fails():
    bad([
        sop(1, "add", "a", None, 0),
        sop(2, "read", None, frozenset({"a"}), 1, 2),
        sop(2, "read", None, frozenset(), 3, 4),
    ], S)


def test_set_indeterminate_adds():
    ok([
        sop(1, "add", "a", None, 0),
        sop(1, "add", "b", None, 1),
        sop(2, "read", None, frozenset(), 2, 3),
        sop(2, "read", None, frozenset({"b"}), 4, 5),
        sop(3, "add", "c", "ok", 4, 6),
        sop(2, "read", None, frozenset({"b", "c"}), 7, 8),
    ], S)


def test_set_add_of_present_element_fails_definitely():
    ok([
        sop(1, "add", "a", "ok", 0, 1),
        sop(2, "add", "a", "fail", 2, 3),
    ], S)
    bad([sop(2, "add", "a", "fail", 2, 3)], S)


# -- histories with several keys -------------------------------------------------------------------


def test_check_history_partitions_by_key():
    history = [
        reg(1, "write", b"a", 1, 0, 1, key="/r0"),
        reg(2, "read", None, (b"init", 0), 2, 3, key="/r1"),   # another register: fine
        reg(2, "read", None, (b"init", 0), 2, 3, key="/r0"),   # stale on /r0
        sop(1, "add", "x", "ok", 0, 1),
    ]
    results = check_history(history, {"set": S, None: R})
    assert set(results) == {"/r0", "/r1", "set"}
    assert results["/r0"].ok is False
    assert results["/r1"].ok is True
    assert results["set"].ok is True


def test_a_return_before_its_call_is_refused():
    with pytest.raises(ValueError):
        check_operations(R, [reg(1, "read", None, (b"init", 0), 5, 4)])


def test_random_histories_with_one_stale_read_fail():
    # The same simulated register, then a read after everything returned that shows the first state
    # although acknowledged writes came after it.
    rng = random.Random(11)
    for _ in range(10):
        ops = []
        version = 0
        t = 0.0
        for n in range(60):
            p = rng.randrange(4)
            call = t + rng.random()
            ret = call + rng.random()
            version += 1
            ops.append(reg(p, "cas", (version - 1, b"v%d" % n), ("ok", version), call, ret))
            if rng.random() < 0.3:
                ops.append(reg(p, "read", None, (b"v%d" % n, version), ret + 0.01, ret + 0.02))
            t = ret + 0.05
        ops.append(reg(9, "read", None, (b"init", 0), t + 1, t + 2))
        rng.shuffle(ops)   # the checker orders by time itself
        bad(ops)


def test_set_unobserved_indeterminate_adds_are_fast_and_do_not_hide_a_loss():
    ops = []
    t = 0.0
    for i in range(300):
        ops.append(sop(1, "add", "ok%d" % i, "ok", t, t + 0.5))
        if i % 10 == 0:
            ops.append(sop(2, "add", "maybe%d" % i, None, t))    # never seen: as if it never happened
        if i % 5 == 4:
            ops.append(sop(3, "read", None, frozenset("ok%d" % j for j in range(i + 1)), t + 0.6, t + 0.9))
        t += 1
    result = ok(ops, S)
    assert result.seconds < 5
    ops.append(sop(3, "read", None, frozenset("ok%d" % j for j in range(300) if j != 17), t, t + 1))
    bad(ops, S)


class PlainSet(SetModel):
    """The set model without the unique-add shortcut: states are frozensets."""

    def prepare(self, ops):
        return ops, self


def _random_set_history(rng, lose_one):
    events = []
    for p in range(4):
        t = 0.0
        for n in range(25):
            call = t + rng.random()
            ret = call + rng.random() * 2
            events.append((call + (ret - call) * rng.random(), p, n, call, ret))
            t = ret
    events.sort()
    ops, state, acked = [], set(), []
    for _at, p, n, call, ret in events:
        if rng.random() < 0.7:
            e = "e-%d-%d" % (p, n)
            state.add(e)
            lost = rng.random() < 0.1
            ops.append(sop(p, "add", e, None if lost else "ok", call, INF if lost else ret))
            if not lost:
                acked.append((ret, e))
        else:
            ops.append(sop(p, "read", None, frozenset(state), call, ret))
    end = max(op.ret for op in ops if op.ret != INF) + 1
    final = set(state)
    if lose_one and acked:
        final.discard(rng.choice(acked)[1])
    ops.append(sop(9, "read", None, frozenset(final), end, end + 1))
    return ops


def test_set_models_agree_on_random_histories():
    rng = random.Random(3)
    for i in range(30):
        lose = i % 2 == 1
        ops = _random_set_history(rng, lose)
        fast = check_operations(S, ops)
        plain = check_operations(PlainSet(), ops)
        assert fast.ok is plain.ok is (not lose), (i, fast.message, plain.message)
