"""Nemeses: faults injected into a running tests.support.ensemble.Ensemble on a schedule.

Each nemesis has `inject()` (start one fault, return a description) and `heal()` (end it);
`cleanup()` ends whatever is still in force and is safe to call twice. `NemesisRunner`
runs one on a thread: quiet, fault, heal, quiet, ... and records each event with its
time, until stopped; stopping always heals.

    kill-random     kill -9 of a random member, restarted at the heal
    kill-leader     kill -9 of the leader, restarted at the heal
    pause           SIGSTOP of the leader or a random member (in turn), SIGCONT at the heal
    partition       a minority (1 of 3, 2 of 5; the leader's side or a random one, in turn) cut
                    from the others on the quorum and election ports (iptables, needs root)
    resets          TCP connections to every member's client, quorum and election port, closed
                    with SO_LINGER 0 (an RST) right after connect, many times

The partition needs to tell the members' packets apart although they all use 127.0.0.1:
each member runs with its own gid (`run_as_own_groups`, before start), and rules in a chain
of our own on OUTPUT (every loopback packet goes through it) mark a connection with one
conntrack bit when a minority member's socket sends on it and another when a majority
member's does; a peer-port packet of a connection carrying both bits is dropped, and so
is a connection attempt from one side to the other side's peer ports. Client ports are
left alone: a client of a cut member stays connected to it, and that member must not
serve writes (or synced reads) while it is cut off.
"""

import atexit
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

from tests.support.net import wait_until

NEMESES = ("kill-random", "kill-leader", "pause", "partition", "resets")


class Nemesis:
    name = None

    def __init__(self, ens, rng=None):
        self.ens = ens
        self.rng = rng or random.Random()

    def inject(self):
        raise NotImplementedError

    def heal(self):
        raise NotImplementedError

    def cleanup(self):
        try:
            self.heal()
        except Exception:
            pass

    def _random_member(self):
        running = self.ens.running()
        return self.rng.choice(running or list(self.ens.servers))

    def _leader_or_random(self):
        return self.ens.leader() or self._random_member()


class KillNemesis(Nemesis):
    """kill -9 of a member (random, or the leader), restarted at the heal."""

    def __init__(self, ens, rng=None, leader=False):
        super().__init__(ens, rng)
        self.leader = leader
        self.name = "kill-leader" if leader else "kill-random"
        self.down = []

    def inject(self):
        sid = self._leader_or_random() if self.leader else self._random_member()
        was = self.ens.mode(sid)
        self.ens.kill(sid)
        self.down.append(sid)
        return "kill -9 member %d (%s)" % (sid, was or "not serving")

    def heal(self):
        started = []
        while self.down:
            sid = self.down.pop()
            if not self.ens.is_running(sid):
                self.ens.start_member(sid)
                started.append(sid)
        return "restart member %s" % started if started else None


class PauseNemesis(Nemesis):
    """SIGSTOP of the leader or of a random member, in turn; SIGCONT at the heal."""

    name = "pause"

    def __init__(self, ens, rng=None):
        super().__init__(ens, rng)
        self.paused = []
        self.turn = 0

    def inject(self):
        self.turn += 1
        sid = self._leader_or_random() if self.turn % 2 else self._random_member()
        was = self.ens.mode(sid)
        proc = self.ens.servers[sid].proc
        if proc is None or proc.poll() is not None:
            return "member %d not running; nothing paused" % sid
        os.kill(proc.pid, signal.SIGSTOP)
        self.paused.append((sid, proc))
        return "SIGSTOP member %d (%s)" % (sid, was or "not serving")

    def heal(self):
        resumed = []
        while self.paused:
            sid, proc = self.paused.pop()
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
                resumed.append(sid)
        return "SIGCONT member %s" % resumed if resumed else None

    def cleanup(self):
        super().cleanup()
        # Whatever happened, no member stays stopped.
        for sid in self.ens.servers:
            proc = self.ens.servers[sid].proc
            if proc is not None and proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGCONT)
                except OSError:
                    pass


class ResetNemesis(Nemesis):
    """Connect to every member's client, quorum and election port and reset (SO_LINGER 0) at once."""

    name = "resets"

    def __init__(self, ens, rng=None, rounds=60, pause=0.02):
        super().__init__(ens, rng)
        self.rounds = rounds
        self.pause = pause

    def ports(self):
        ports = []
        for sid in self.ens.servers:
            ports += [self.ens.client_ports[sid], self.ens.quorum_ports[sid], self.ens.election_ports[sid]]
        return ports

    def inject(self):
        ports = self.ports()
        done = refused = 0
        for _ in range(self.rounds):
            for port in ports:
                if reset_connection(port):
                    done += 1
                else:
                    refused += 1
            time.sleep(self.pause)
        return "%d resets on %d ports (%d connects refused)" % (done, len(ports), refused)

    def heal(self):
        return None


def reset_connection(port, host="127.0.0.1", timeout=1.0):
    """Connect, then close with SO_LINGER 0 so the kernel sends an RST. False when it could not connect."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            s.connect((host, port))
        except OSError:
            return False
        return True
    finally:
        s.close()


# -- partitions ------------------------------------------------------------------------------------


class PartitionUnavailable(Exception):
    """iptables cannot do what the partition needs here; the message says why."""


_chain_counter = [0]
_BIT_MINORITY = 0x00100000
_BIT_MAJORITY = 0x00200000


def iptables_command():
    """The iptables binary that works here (nf_tables, else legacy); raises PartitionUnavailable."""
    if os.geteuid() != 0:
        raise PartitionUnavailable("partitions need root (iptables, per-member gids); running as uid %d"
                                   % os.geteuid())
    errors = []
    for binary in ("iptables", "iptables-legacy"):
        try:
            r = subprocess.run([binary, "-w", "-L", "OUTPUT", "-n"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            errors.append("%s: %s" % (binary, e))
            continue
        if r.returncode == 0:
            return binary
        errors.append("%s: %s" % (binary, (r.stderr or r.stdout).strip()))
    raise PartitionUnavailable("no working iptables: " + "; ".join(errors))


def member_gid(ens, sid):
    """The group a member runs as for partitions: unique while its client port is taken."""
    return 30000 + ens.client_ports[sid]


def run_as_own_groups(ens):
    """Make every member run with its own gid (setpriv --regid), so iptables owner matches
    (--gid-owner) tell their sockets apart. The uid stays (root keeps reading the test's
    files and interpreter). Call before ens.start()."""
    for sid, server in ens.servers.items():
        gid = member_gid(ens, sid)
        inner = server.command

        def command(inner=inner, gid=gid):
            return ["setpriv", "--regid=%d" % gid, "--clear-groups", "--"] + inner()

        server.command = command


_open_tables = set()


@atexit.register
def _close_open_tables():
    for table in list(_open_tables):
        table.close()


def remove_stale_chains(binary):
    """Delete the chains (and their OUTPUT hooks) left by fault runs whose process is gone (kill -9)."""
    r = subprocess.run([binary, "-w", "-S"], capture_output=True, text=True, timeout=30)
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "-N" and parts[1].startswith("ZKFAULT-"):
            chain = parts[1]
            try:
                pid = int(chain.split("-")[1])
            except (IndexError, ValueError):
                continue
            if pid == os.getpid() or os.path.exists("/proc/%d" % pid):
                continue
            subprocess.run([binary, "-w", "-D", "OUTPUT", "-o", "lo", "-j", chain], capture_output=True, timeout=30)
            subprocess.run([binary, "-w", "-F", chain], capture_output=True, timeout=30)
            subprocess.run([binary, "-w", "-X", chain], capture_output=True, timeout=30)


class Iptables:
    """A chain of our own hooked into OUTPUT on lo; `close()` unhooks and deletes it (at exit too)."""

    def __init__(self):
        self.binary = iptables_command()
        _chain_counter[0] += 1
        self.chain = "ZKFAULT-%d-%d" % (os.getpid(), _chain_counter[0])
        self._run("-N", self.chain)
        try:
            self._run("-I", "OUTPUT", "-o", "lo", "-j", self.chain)
        except PartitionUnavailable:
            self._run("-X", self.chain, check=False)
            raise
        self.closed = False
        _open_tables.add(self)

    def _run(self, *args, check=True):
        r = subprocess.run([self.binary, "-w", *args], capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise PartitionUnavailable("%s %s: %s" % (self.binary, " ".join(args), (r.stderr or r.stdout).strip()))
        return r

    def add(self, *rule):
        self._run("-A", self.chain, *rule)

    def flush(self):
        self._run("-F", self.chain, check=False)

    def rules(self):
        return self._run("-S", self.chain, check=False).stdout

    def close(self):
        if self.closed:
            return
        self.closed = True
        _open_tables.discard(self)
        self._run("-D", "OUTPUT", "-o", "lo", "-j", self.chain, check=False)
        self._run("-F", self.chain, check=False)
        self._run("-X", self.chain, check=False)


def check_partition_support():
    """None when partitions work here, else the reason (for pytest.skip)."""
    try:
        remove_stale_chains(iptables_command())
        table = Iptables()
    except PartitionUnavailable as e:
        return str(e)
    try:
        table.add("-m", "owner", "--gid-owner", "30000", "-j", "CONNMARK", "--set-xmark",
                  "0x%x/0x%x" % (_BIT_MINORITY, _BIT_MINORITY))
        table.add("-p", "tcp", "-m", "connmark", "--mark", "0x%x/0x%x" % (_BIT_MINORITY, _BIT_MINORITY),
                  "-m", "multiport", "--ports", "1", "-j", "DROP")
    except PartitionUnavailable as e:
        return "iptables owner/connmark matches do not work here: %s" % e
    finally:
        table.close()
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing: members cannot run with their own gids"
    return None


class PartitionNemesis(Nemesis):
    """Cut a minority (the leader's side or a random one, in turn) from the majority on the peer ports.

    The ensemble's members must run with their own gids (run_as_own_groups)."""

    name = "partition"

    def __init__(self, ens, rng=None):
        super().__init__(ens, rng)
        self.table = Iptables()
        self.turn = 0
        self.active = None

    def peer_ports(self, sids):
        ports = []
        for sid in sids:
            ports += [self.ens.quorum_ports[sid], self.ens.election_ports[sid]]
        return ",".join(str(p) for p in ports)

    def inject(self):
        self.turn += 1
        sids = sorted(self.ens.servers)
        size = (len(sids) - 1) // 2
        first = self._leader_or_random() if self.turn % 2 else self._random_member()
        minority = [first] + self.rng.sample([s for s in sids if s != first], size - 1)
        majority = [s for s in sids if s not in minority]
        both = _BIT_MINORITY | _BIT_MAJORITY
        t = self.table
        for side, bit in ((minority, _BIT_MINORITY), (majority, _BIT_MAJORITY)):
            for sid in side:
                t.add("-m", "owner", "--gid-owner", str(member_gid(self.ens, sid)), "-j", "CONNMARK",
                      "--set-xmark", "0x%x/0x%x" % (bit, bit))
        t.add("-p", "tcp", "-m", "connmark", "--mark", "0x%x/0x%x" % (both, both), "-m", "multiport", "--ports",
              self.peer_ports(sids), "-j", "DROP")
        for side, other in ((minority, majority), (majority, minority)):
            for sid in side:
                t.add("-p", "tcp", "-m", "owner", "--gid-owner", str(member_gid(self.ens, sid)), "-m", "multiport",
                      "--dports", self.peer_ports(other), "-j", "DROP")
        was = {sid: self.ens.mode(sid) for sid in minority}
        self.active = (minority, majority)
        return "partition %s | %s (cut: %s)" % (minority, majority,
                                                ", ".join("%d %s" % (s, was[s] or "not serving") for s in minority))

    def heal(self):
        if self.active is None:
            return None
        self.table.flush()
        minority, majority = self.active
        self.active = None
        return "heal partition %s | %s" % (minority, majority)

    def cleanup(self):
        try:
            self.heal()
        finally:
            self.table.close()


def make_nemesis(name, ens, rng=None):
    if name == "kill-random":
        return KillNemesis(ens, rng)
    if name == "kill-leader":
        return KillNemesis(ens, rng, leader=True)
    if name == "pause":
        return PauseNemesis(ens, rng)
    if name == "partition":
        return PartitionNemesis(ens, rng)
    if name == "resets":
        return ResetNemesis(ens, rng)
    raise ValueError("unknown nemesis %r (one of %s)" % (name, ", ".join(NEMESES)))


class NemesisRunner:
    """quiet, inject, fault, heal, ... on a thread until stop(); stop() heals and returns the events."""

    def __init__(self, nemesis, quiet=3.0, fault=4.0, settle=20.0):
        self.nemesis = nemesis
        self.quiet = quiet
        self.fault = fault
        self.settle = settle          # at most this long waiting for every member to serve before a fault
        self.events = []              # (monotonic time, text)
        self.faults = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nemesis-" + nemesis.name, daemon=True)

    def event(self, text):
        if text:
            self.events.append((time.monotonic(), text))

    def start(self):
        self._thread.start()
        return self

    def _all_serving(self):
        ens = self.nemesis.ens
        modes = [ens.mode(sid) for sid in ens.servers]
        return all(m in ("leader", "follower", "observer") for m in modes) and modes.count("leader") == 1

    def _run(self):
        try:
            while not self._stop.wait(self.quiet):
                try:
                    wait_until(lambda: self._stop.is_set() or self._all_serving(), timeout=self.settle, interval=0.1,
                               message="every member serving")
                except TimeoutError:
                    self.event("not every member serves after %.0fs: %r" % (self.settle,
                                                                              self.nemesis.ens.modes(
                                                                                  list(self.nemesis.ens.servers))))
                if self._stop.is_set():
                    break
                self.event(self.nemesis.inject())
                self.faults += 1
                self._stop.wait(self.fault)
                ens = self.nemesis.ens
                self.event("modes before the heal: %s" % ", ".join(
                    "%d %s" % (sid, ens.mode(sid) or "-") for sid in ens.servers))
                self.event(self.nemesis.heal())
        except Exception as e:      # reported by stop()
            self.error = e

    def stop(self):
        self._stop.set()
        self._thread.join(120)
        try:
            self.event(self.nemesis.heal())
        finally:
            self.nemesis.cleanup()
        if self.error is not None:
            raise RuntimeError("nemesis %s failed: %r" % (self.nemesis.name, self.error)) from self.error
        return self.events
