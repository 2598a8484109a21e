"""What the live view (AdminServer threads/queues/chain/trace and /view) costs the server.

A standalone server of ours takes pipelined setData bursts on a few raw connections, in
three phases on the same process: never looked at (no meter installed: the code path of
every server nobody watches), watched (the /view page's polls: chain, queues, threads and
trace?last=true every second, which keep the meters on), and after the page closed (the
meters come off 10 s after the last look). Each run uses a fresh server; the table prints
ops/s and the server's CPU time per op (steadier than ops/s on a shared machine), each
against the first phase.

    .tox/py/bin/python bench/bench_live_view.py [--duration 3] [--repeat 2] [--connections 4] [--control]

--control measures the same three windows without looking, for the drift that time alone
causes (log rolls, snapshots every snapCount txns).

ZK_TEST_PYTHON picks the server's interpreter (e.g. .venv-pypy3/bin/python).
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support.net import free_port, wait_until  # noqa: E402
from tests.support.raw_zk import ConnectionClosed, RawClient  # noqa: E402
from tests.support.servers import PythonServer  # noqa: E402
from zookeeper_py.proto import CreateRequest, RequestHeader, SetDataRequest  # noqa: E402
from zookeeper_py.zoo_defs import Ids, OpCode  # noqa: E402

BURST = 500


class Writer(threading.Thread):
    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.replies = 0
        self.stop_evt = threading.Event()
        self.error = None

    def run(self):
        try:
            with RawClient("127.0.0.1", self.port, timeout=60) as c:
                c.connect()
                c.request(OpCode.create, CreateRequest(self.path, b"", list(Ids.OPEN_ACL_UNSAFE), 0))
                body = SetDataRequest(self.path, b"x" * 64, -1).to_bytes()
                while not self.stop_evt.is_set():
                    out = []
                    for _ in range(BURST):
                        c.xid += 1
                        payload = RequestHeader(c.xid, OpCode.setData).to_bytes() + body
                        out.append(len(payload).to_bytes(4, "big") + payload)
                    c.send_raw(b"".join(out))
                    for _ in range(BURST):
                        c.read_frame(timeout=60)
                        self.replies += 1
        except (OSError, ConnectionClosed) as e:
            self.error = e


def get(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/commands/%s" % (port, name), timeout=30) as r:
        return json.load(r)


class Poller(threading.Thread):
    """What an open /view page asks every second."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop_evt = threading.Event()

    def run(self):
        while not self.stop_evt.is_set():
            for name in ("chain", "queues", "threads", "trace?last=true"):
                get(self.port, name)
            self.stop_evt.wait(1.0)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(writers, seconds, pid):
    """(ops/s, server CPU microseconds per op) over one window."""
    start, cpu0 = sum(w.replies for w in writers), cpu_seconds(pid)
    t0 = time.monotonic()
    time.sleep(seconds)  # a benchmark's measuring window, not synchronisation
    ops = sum(w.replies for w in writers) - start
    return ops / (time.monotonic() - t0), 1e6 * (cpu_seconds(pid) - cpu0) / max(1, ops)


def run_once(args):
    admin = free_port()
    server = PythonServer(tempfile.mkdtemp(prefix="bench-live-view-"), extra_cfg={
        "admin.enableServer": "true", "admin.serverAddress": "127.0.0.1", "admin.serverPort": str(admin)})
    server.start()
    pid = server.proc.pid
    writers = [Writer(server.client_port, "/bench-%d" % i) for i in range(args.connections)]
    try:
        for w in writers:
            w.start()
        wait_until(lambda: all(w.replies for w in writers), 30, message="writers answered")
        time.sleep(args.warmup)
        result = {"never looked at": measure(writers, args.duration, pid)}
        if args.control:
            # The same windows, never looked at: what time alone (log rolls, snapshots) changes.
            result["control 2"] = measure(writers, args.duration, pid)
            result["control 3"] = measure(writers, args.duration, pid)
            return result
        poller = Poller(admin)
        poller.start()
        time.sleep(0.5)
        result["watched (/view polling)"] = measure(writers, args.duration, pid)
        poller.stop_evt.set()
        poller.join()
        # The meters come off METER_IDLE_SECONDS (10 s) after the last look.
        time.sleep(12)
        result["after the page closed"] = measure(writers, args.duration, pid)
        return result
    finally:
        for w in writers:
            w.stop_evt.set()
        for w in writers:
            w.join(60)
        server.stop()
        errors = [w.error for w in writers if w.error is not None and not w.stop_evt.is_set()]
        if errors:
            raise RuntimeError(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--control", action="store_true", help="never look: the drift of three windows alone")
    args = parser.parse_args()
    print("| run | phase | setData ops/s | vs never looked at | server CPU us/op | vs never looked at |")
    print("|---|---|---:|---:|---:|---:|")
    for i in range(args.repeat):
        result = run_once(args)
        base_ops, base_cpu = result["never looked at"]
        for phase, (ops, cpu) in result.items():
            print("| %d | %s | %.0f | %+.1f%% | %.1f | %+.1f%% |" % (
                i + 1, phase, ops, 100.0 * (ops - base_ops) / base_ops, cpu, 100.0 * (cpu - base_cpu) / base_cpu))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
