"""What the quorum TLS and SASL tests (test_tls_quorum.py, test_sasl_quorum.py) do alike to an ensemble:
write and read everywhere, survive the leader's kill -9, restart member by member under writes, and run
the Python members on CPython or PyPy."""

import threading

import pytest
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from tests.quorum.conftest import kazoo
from tests.support.net import wait_until
from tests.support.servers import pypy_python


def write_and_read_everywhere(ens, via, path, data, sids=None):
    """Create path through member `via`; every member (default: running) reads it after a sync."""
    with kazoo(ens.address(via)) as zk:
        zk.create(path, data)
    for sid in sids or ens.running():
        with kazoo(ens.address(sid)) as zk:
            zk.sync(path)
            assert zk.get(path)[0] == data, "member %d" % sid


def survive_leader_kill(ens, leader, prefix, via=None, timeout=30, rejoin=True):
    """An ensemble serving under `leader` replicates and survives the leader's kill -9:

    - /<prefix>-1, /<prefix>-2, ... are written through each member of `via` (default: the lowest follower,
      then the leader) and read by every running member;
    - the leader is killed (kill -9); the others elect another within `timeout`;
    - /<prefix>-after-kill is written through the lowest survivor and read by every survivor;
    - with `rejoin`, the old leader is restarted, the whole ensemble serves within `timeout`, and the old
      leader has every write.

    Returns the new leader."""
    if via is None:
        via = [min(sid for sid in ens.servers if sid != leader), leader]
    names = []
    for i, sid in enumerate(via, start=1):
        names.append("%s-%d" % (prefix, i))
        write_and_read_everywhere(ens, sid, "/" + names[-1], b"through member %d" % sid)
    ens.kill(leader)
    survivors = [sid for sid in ens.servers if sid != leader]
    new_leader = ens.wait_for_quorum(survivors, timeout=timeout)
    assert new_leader != leader
    names.append(prefix + "-after-kill")
    write_and_read_everywhere(ens, survivors[0], "/" + names[-1], b"after the kill")
    if rejoin:
        ens.start_member(leader)
        ens.wait_for_quorum(timeout=timeout)
        with kazoo(ens.address(leader)) as zk:
            zk.sync("/")
            assert set(names) <= set(zk.get_children("/")), "restarted member %d" % leader
    return new_leader


def on_runtime(ens, runtime):
    """Run the ensemble's Python members on CPython or PyPy (whose ssl leaves a failed call's OpenSSL
    errors to the thread's next call: see clear_openssl_errors)."""
    if runtime == "pypy":
        pypy = pypy_python()
        if pypy is None:
            pytest.skip("PyPy is not installed (Debian package pypy3)")
        for server in ens.servers.values():
            if server.kind == "python":
                server.python = pypy
    return ens


RUNTIMES = pytest.mark.parametrize("runtime", ["python", "pypy"])


# -- rolling restarts under writes ------------------------------------------------------------------


class Writer(threading.Thread):
    """Writes sequential znodes through every member until stopped; counts what was acknowledged."""

    def __init__(self, ens):
        super().__init__(name="rolling-writer", daemon=True)
        self.ens = ens
        self.stop = threading.Event()
        self.acked = []
        self.failures = 0

    def run(self):
        while not self.stop.is_set():
            try:
                with kazoo(self.ens.connect_string(), timeout=10) as zk:
                    while not self.stop.is_set():
                        self.acked.append(zk.create("/upgrade/w-", b"", sequence=True))
                        self.stop.wait(0.02)  # a write every 20 ms, not a synchronisation
            except (KazooException, KazooTimeoutError):
                self.failures += 1


def restart_with(ens, sid, cfg_changes, writer):
    """Restart one member with changed zoo.cfg keys; wait until all members serve and a write went through."""
    server = ens.servers[sid]
    server.cfg.update(cfg_changes)
    server.write_cfg()
    ens.stop_member(sid)
    ens.start_member(sid)
    ens.wait_for_quorum(timeout=60)
    before = len(writer.acked)
    wait_until(lambda: len(writer.acked) > before, timeout=30, message="writes after restarting %d" % sid)


def rolling_restarts(ens, steps, min_writes):
    """For each step (zoo.cfg changes), restart the members one at a time, followers first, the leader last,
    while a Writer writes through every member; more than `min_writes` writes are acknowledged, and every
    one is on every member at the end. Returns the leader at the end."""
    writer = Writer(ens)
    with kazoo(ens.connect_string()) as zk:
        zk.create("/upgrade", b"")
    writer.start()
    try:
        for changes in steps:
            leader = ens.wait_for_quorum(timeout=60)
            for sid in sorted(ens.servers, key=lambda s: s == leader):
                restart_with(ens, sid, changes, writer)
        leader = ens.wait_for_quorum(timeout=60)
    finally:
        writer.stop.set()
        writer.join(30)
    assert len(writer.acked) > min_writes, (len(writer.acked), writer.failures)
    expected = {path.rsplit("/", 1)[1] for path in writer.acked}
    for sid in ens.servers:
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/upgrade")
            assert expected <= set(zk.get_children("/upgrade")), "member %d lost writes" % sid
    return leader
