"""A replicated ensemble of server processes (ours, Java 3.8, or mixed) on loopback with free ports.

    ens = Ensemble(tmp_dir, kinds=["python", "python", "java"])
    ens.start()
    leader = ens.wait_for_quorum()   # sid of the leader once every member serves
    ens.kill(leader)                 # kill -9
    ...
    ens.stop()

Each member has its own directory (zoo.cfg, data/ with myid, logs) and the same
server.N lines; `tickTime`, `initLimit` and `syncLimit` default small so elections
are quick.
"""

import os
import re
import signal
import time

from tests.support.net import four_letter_word, free_ports, wait_until
from tests.support.servers import JavaServer, PythonServer

KINDS = {"python": PythonServer, "java": JavaServer}

_MODE = re.compile(r"^Mode: (\S+)", re.M)
_ZXID = re.compile(r"^Zxid: 0x([0-9a-f]+)", re.M)


def _process_state(pid):
    """The state letter of /proc/PID/stat (R, S, T for stopped, ...)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


class Ensemble:
    def __init__(self, base_dir, kinds=("python", "python", "python"), observers=(), tick_time=500, init_limit=10,
                 sync_limit=5, extra_cfg=None, flags=(), member_flags=None, dynamic_file=False, own_host="127.0.0.1"):
        """own_host: the address each member's own server.N line names (0.0.0.0: listen on every
        interface, a common container setup); the others are named as 127.0.0.1."""
        self.base_dir = base_dir
        self.kinds = {sid: kind for sid, kind in enumerate(kinds, start=1)}
        self.observers = set(observers)
        ports = free_ports(3 * len(kinds))
        self.client_ports = {}
        self.quorum_ports = {}
        self.election_ports = {}
        lines = {}
        for i, sid in enumerate(self.kinds):
            qport, eport, cport = ports[3 * i:3 * i + 3]
            self.quorum_ports[sid] = qport
            self.election_ports[sid] = eport
            self.client_ports[sid] = cport
            lines["server.%d" % sid] = "127.0.0.1:%d:%d%s" % (qport, eport,
                                                              ":observer" if sid in self.observers else "")
        self.servers = {}
        for sid, kind in self.kinds.items():
            cfg = {"tickTime": str(tick_time), "initLimit": str(init_limit), "syncLimit": str(sync_limit)}
            cfg.update(lines)
            cfg["server.%d" % sid] = cfg["server.%d" % sid].replace("127.0.0.1", own_host, 1)
            if sid in self.observers:
                cfg["peerType"] = "observer"
            cfg.update(extra_cfg or {})
            member_dir = os.path.join(base_dir, "s%d-%s" % (sid, kind))
            os.makedirs(member_dir, exist_ok=True)
            if dynamic_file:
                # The membership in a separate dynamic config file (server., group. and weight. keys).
                dynamic_path = os.path.join(member_dir, "zoo.cfg.dynamic")
                with open(dynamic_path, "w") as f:
                    for key in [k for k in cfg if k.startswith(("server.", "group.", "weight."))]:
                        f.write("%s=%s\n" % (key, cfg.pop(key)))
                cfg["dynamicConfigFile"] = dynamic_path
            server_flags = list(flags) + list((member_flags or {}).get(sid, ()))
            self.servers[sid] = KINDS[kind](member_dir, client_port=self.client_ports[sid], extra_cfg=cfg,
                                            flags=server_flags, myid=sid)

    # -- processes -----------------------------------------------------------------------

    def start(self, sids=None):
        for sid in sids or self.servers:
            self.servers[sid].start(wait=False)
        return self

    def start_first(self, first, timeout=60):
        """Start `first` (sids) and wait until they listen, then the others.

        A member started alone cannot win an election, but it is there when the others
        start: so the election order, not the start order of the processes (JVMs start
        slower), decides who leads."""
        self.start(first)
        for sid in first:
            wait_until(lambda: self.srvr(sid, timeout=1) != "" or not self.is_running(sid), timeout=timeout,
                       message="member %d listening" % sid)
        rest = [sid for sid in self.servers if sid not in first]
        if rest:
            self.start(rest)
        return self

    def start_member(self, sid):
        self.servers[sid].start(wait=False)

    def kill(self, sid):
        """kill -9."""
        return self.servers[sid].stop(kill=True)

    def stop_member(self, sid):
        """SIGTERM."""
        return self.servers[sid].stop()

    def pause(self, sid):
        """SIGSTOP the member and wait until it is stopped: it keeps its sockets but reads nothing."""
        pid = self.servers[sid].proc.pid
        os.kill(pid, signal.SIGSTOP)
        wait_until(lambda: _process_state(pid) == "T", timeout=10, message="member %d stopped" % sid)

    def resume(self, sid):
        """SIGCONT a member paused by pause()."""
        os.kill(self.servers[sid].proc.pid, signal.SIGCONT)

    def stop(self):
        for server in self.servers.values():
            try:
                server.stop(kill=True)
            except Exception:
                pass

    def is_running(self, sid):
        proc = self.servers[sid].proc
        return proc is not None and proc.poll() is None

    def running(self):
        return [sid for sid in self.servers if self.is_running(sid)]

    # -- status ---------------------------------------------------------------------------

    def srvr(self, sid, timeout=2):
        try:
            return four_letter_word("127.0.0.1", self.client_ports[sid], "srvr", timeout=timeout)
        except OSError:
            return ""

    def mode(self, sid):
        """leader, follower, observer, read-only, standalone, or None (not serving / not running)."""
        if not self.is_running(sid):
            return None
        m = _MODE.search(self.srvr(sid))
        return m.group(1) if m else None

    def zxid(self, sid):
        m = _ZXID.search(self.srvr(sid))
        return int(m.group(1), 16) if m else None

    def modes(self, sids=None):
        return {sid: self.mode(sid) for sid in (sids or self.running())}

    def assert_same_leader_for(self, leader, epoch, seconds):
        """For `seconds`, every member keeps serving under the same leader and epoch (no re-election)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            for sid in self.servers:
                assert self.is_running(sid), "server %d exited:\n%s" % (sid, self.servers[sid].output_tail())
            modes = self.modes()
            assert modes[leader] == "leader", (modes, self.tails())
            assert all(m in ("leader", "follower") for m in modes.values()), (modes, self.tails())
            zxid = self.zxid(leader)
            assert zxid is not None and zxid >> 32 == epoch, "re-election: epoch %s -> %s" % (epoch, zxid)
            time.sleep(0.2)  # the sampling period, not a synchronisation

    def wait_for_quorum(self, sids=None, timeout=60):
        """Wait until every given (default: running) member serves with one leader; return the leader's sid."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            for sid in sids or self.running():
                server = self.servers[sid]
                if server.proc is not None and server.proc.poll() is not None:
                    raise RuntimeError("server %d exited with %s:\n%s" % (sid, server.proc.returncode,
                                                                            server.output_tail()))
            modes = self.modes(sids)
            last = modes
            leaders = [sid for sid, m in modes.items() if m == "leader"]
            if len(leaders) == 1 and all(m in ("leader", "follower", "observer") for m in modes.values()):
                return leaders[0]
            time.sleep(0.05)
        raise TimeoutError("no quorum within %ss: %r\n%s" % (timeout, last, self.tails()))

    def leader(self):
        for sid in self.running():
            if self.mode(sid) == "leader":
                return sid
        return None

    # -- clients and logs ----------------------------------------------------------------------

    def address(self, sid):
        return "127.0.0.1:%d" % self.client_ports[sid]

    def connect_string(self, sids=None):
        return ",".join(self.address(sid) for sid in (sids or self.servers))

    def log(self, sid):
        """Everything the member logged (stdout and log file)."""
        return self.servers[sid].all_output()

    def tails(self, n=3000):
        return "\n".join("--- server %d (%s) ---\n%s" % (sid, self.kinds[sid], self.servers[sid].output_tail(n))
                         for sid in self.servers)

    def data_dir(self, sid):
        return self.servers[sid].data_dir
