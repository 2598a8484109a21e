#!/usr/bin/env python3
"""What TLS on the client port costs: our server (CPython, PyPy) against Java ZooKeeper 3.8, one table.

    .tox/py/bin/python bench/bench_tls.py [--duration 3] [--warmup 1] [--ops get,set]
                                          [--servers python,pypy,java] [--workloads 0,1]
                                          [--protocol TLSv1.2] [--profile out.txt]

(.tox/py is the venv with `cryptography`, which tests/support/tls.py needs to make the
certificates; .venv-python lacks it.) The whole run takes about two minutes.

Each server is started once with both a plain `clientPort` and a `secureClientPort` (ssl.*
keys from tests/support/tls.py, PKCS12 stores, client certificates required), and the load
generator of bench/bench_server.py (raw-socket worker processes, frames built once) runs
each workload against the plain port and then, right after, against the TLS port with the
client certificate of TlsMaterial.client_pem(). Workloads, for getData and setData of
100 bytes:
  0 pipelined 4x32: 4 connections with 32 requests in flight each (throughput);
  1 window-1 1x1:   1 connection, one request at a time (p50/p99 of send-to-reply, us).

"TLS cost" = 1 - tls_ops/plain_ops for the same server, op and workload; the issue's goal is
that TLS costs ours no larger a fraction than it costs Java. "CPU cost" = tls/plain - 1 of the
server's CPU per op (from /proc), steadier than ops/s on a machine the load generator shares.
Below the table one line per op and workload compares each of ours with Java.

Servers: `python` is our server on the interpreter running this script, `pypy` on PyPy
(.venv-pypy3, as bench_server.py), `java` Java ZooKeeper 3.8 where installed with Netty.
Java serves a secure port only with NettyServerCnxnFactory (tests/support/servers.py sets
it), and that factory serves its plain port too: Java's plain numbers here are Netty's, not
the NIO factory's of bench_server.py. Ours is the NIO factory on both ports, TLS on the
selector threads (zookeeper_py/common/ssl_handler.py).

Numbers vary from run to run, a TLS cost by tens of percentage points (Java's window-1 get
was 10% in one run and 58% in the next): the machine has 2 cores, shared by the server, the
load generator (which pays for its own TLS too) and whoever else is working on it. Read the
server CPU per op column next to ops/s, and run twice before drawing a conclusion. Window-1
setData waits for the txn log's fsync, whose spread swamps what TLS adds to it.

What to expect: Java's Netty writes one TLS record per reply (NettyServerCnxn flushes each
response), ours one record per batch of replies a thread sends at once, so under pipelined
load TLS costs Java much more server (and client) CPU per op than it costs ours.

--protocol P puts ssl.protocol=P in every server's zoo.cfg; without it each server uses its
default (ours 3.5's TLSv1.2; the negotiated version and cipher are printed under the table).

--profile FILE: py-spy (GIL-holding samples, all threads) on our server during one extra
pipelined run per op on each port, hot functions to FILE (needs py-spy: on PATH or next to
this interpreter).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "bench"))

import bench_server  # noqa: E402
from bench_server import PyPyServer, _connect, _fmt, pypy_available, run_load, start, summarize_profile  # noqa: E402

from tests.support import java_zk  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from tests.support.servers import JavaServer, PythonServer  # noqa: E402
from tests.support.tls import TlsMaterial  # noqa: E402

# (label, connections, in-flight per connection)
WORKLOADS = [
    ("pipelined 4x32", 4, 32),
    ("window-1 1x1", 1, 1),
]
KINDS = {"python": PythonServer, "pypy": PyPyServer, "java": JavaServer}


def java_tls_available():
    return java_zk.tls_missing_reason() is None


AVAILABLE = {"python": lambda: True, "pypy": pypy_available, "java": java_tls_available}


def start_tls(name, base, tls, protocol=None):
    cfg = {"secureClientPort": str(free_port())}
    cfg.update(tls.zoo_cfg_keys("pkcs12"))
    if protocol:
        cfg["ssl.protocol"] = protocol
    server = start(KINDS[name], base, extra_cfg=cfg)
    server.secure_port = int(cfg["secureClientPort"])
    return server


def negotiated(port, client_pem):
    """'TLSv1.3 TLS_AES_256_GCM_SHA384' of one connection to the secure port."""
    s = _connect(port, client_pem)
    try:
        return "%s %s" % (s.version(), s.cipher()[0])
    finally:
        s.close()


def profile(server, ops, duration, warmup, client_pem, out_path):
    """py-spy on our server during a pipelined run of each op, plain port then TLS port."""
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(py_spy):
        print("py-spy not found: pip install py-spy to profile", file=sys.stderr)
        return
    label, nconns, window = WORKLOADS[0]
    report = []
    for op_name in ops:
        for port_kind, port, tls in (("plain", server.client_port, None), ("tls", server.secure_port, client_pem)):
            raw = "%s.%s.%s.%s.collapsed" % (out_path, server.kind, op_name, port_kind)
            spy = subprocess.Popen([py_spy, "record", "-p", str(server.proc.pid), "-d", str(int(duration + warmup)),
                                    "-r", "200", "--format", "raw", "-o", raw, "--nonblocking", "--gil",
                                    "--threads"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            res = run_load(port, op_name, nconns, window, duration, warmup, server.proc.pid, tls=tls)
            spy.wait(60)
            text = summarize_profile(raw, op_name, res)
            report.append(text.replace("pipelined 32x8", "%s %s %s" % (server.kind, label, port_kind), 1))
    with open(out_path, "a") as f:
        f.write("\n".join(report))
    print("profile of %s written to %s" % (server.kind, out_path), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=3.0, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of load before measuring")
    ap.add_argument("--ops", default="get,set", help="of: " + ",".join(bench_server.OPS))
    ap.add_argument("--servers", default="python,pypy,java")
    ap.add_argument("--workloads", default=",".join(str(i) for i in range(len(WORKLOADS))),
                    help="indexes into: " + "; ".join("%d=%s" % (i, w[0]) for i, w in enumerate(WORKLOADS)))
    ap.add_argument("--protocol", help="ssl.protocol for every server (TLSv1.2, TLSv1.3); default: each its own")
    ap.add_argument("--profile", metavar="FILE", help="py-spy our servers under pipelined load, hot spots to FILE")
    args = ap.parse_args()
    ops = args.ops.split(",")
    workloads = [WORKLOADS[int(i)] for i in args.workloads.split(",")]
    names = []
    for n in args.servers.split(","):
        if AVAILABLE[n]():
            names.append(n)
        else:
            print("skipping %s: not available here" % n, file=sys.stderr)
    print("servers: %s" % ", ".join(names), file=sys.stderr)
    if args.profile and os.path.exists(args.profile):
        os.remove(args.profile)
    results = {}
    ciphers = {}
    base = tempfile.mkdtemp(prefix="zk-bench-tls-")
    try:
        tls = TlsMaterial(os.path.join(base, "tls"))
        client_pem = tls.client_pem()
        for name in names:
            server = start_tls(name, os.path.join(base, name), tls, args.protocol)
            try:
                ciphers[name] = negotiated(server.secure_port, client_pem)
                print("%s: TLS port speaks %s" % (name, ciphers[name]), file=sys.stderr)
                for op_name in ops:
                    for label, nconns, window in workloads:
                        for port_kind, port, pem in (("plain", server.client_port, None),
                                                     ("tls", server.secure_port, client_pem)):
                            r = run_load(port, op_name, nconns, window, args.duration, args.warmup,
                                         server.proc.pid, tls=pem)
                            results[(name, port_kind, op_name, label)] = r
                            print("%-6s %-5s %-4s %-15s %8.0f ops/s  p50 %6s us  p99 %6s us  server %6.1f us/op  "
                                  "client %5.1f us/op  errors %d" % (
                                      name, port_kind, op_name, label, r["ops"], _fmt(r.get("p50_us")),
                                      _fmt(r.get("p99_us")), r["server_cpu_us_per_op"], r["client_cpu_us_per_op"],
                                      r["errors"]), file=sys.stderr, flush=True)
                if args.profile and name != "java":
                    profile(server, ops, args.duration, args.warmup, client_pem, args.profile)
            finally:
                server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print_table(results, names, ops, workloads, ciphers)


def tls_cost(results, name, op_name, label):
    plain = results.get((name, "plain", op_name, label))
    tls = results.get((name, "tls", op_name, label))
    if not plain or not tls or not plain["ops"]:
        return None
    return 1 - tls["ops"] / plain["ops"]


def cpu_cost(results, name, op_name, label):
    plain = results.get((name, "plain", op_name, label))
    tls = results.get((name, "tls", op_name, label))
    if not plain or not tls or not plain["server_cpu_us_per_op"]:
        return None
    return tls["server_cpu_us_per_op"] / plain["server_cpu_us_per_op"] - 1


def print_table(results, names, ops, workloads, ciphers):
    head = ["server", "port", "op", "workload", "ops/s", "p50 us", "p99 us", "TLS cost",
            "server CPU us/op", "CPU cost", "client CPU us/op"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * 4 + "---:|" * (len(head) - 4))
    for name in names:
        for op_name in ops:
            for label, _, _ in workloads:
                for port_kind in ("plain", "tls"):
                    r = results.get((name, port_kind, op_name, label))
                    if not r:
                        continue
                    cost = tls_cost(results, name, op_name, label) if port_kind == "tls" else None
                    cpu = cpu_cost(results, name, op_name, label) if port_kind == "tls" else None
                    print("| " + " | ".join([
                        name, port_kind, op_name, label, "%.0f" % r["ops"], _fmt(r.get("p50_us")),
                        _fmt(r.get("p99_us")), "-" if cost is None else "%.1f%%" % (100 * cost),
                        "%.1f" % r["server_cpu_us_per_op"], "-" if cpu is None else "%+.0f%%" % (100 * cpu),
                        "%.1f" % r["client_cpu_us_per_op"]]) + " |")
    print()
    for name in names:
        print("%s TLS: %s" % (name, ciphers.get(name, "?")))
    if "java" not in names:
        return
    print()
    print("TLS cost, ours against Java (goal: ours <= Java); server CPU cost, and p99 tls/plain, in brackets:")
    for op_name in ops:
        for label, _, window in workloads:
            java_cost = tls_cost(results, "java", op_name, label)
            for name in names:
                if name == "java":
                    continue
                cost = tls_cost(results, name, op_name, label)
                if cost is None or java_cost is None:
                    continue
                line = "  %-4s %-15s %-6s %5.1f%%  java %5.1f%%  %s" % (
                    op_name, label, name, 100 * cost, 100 * java_cost, "met" if cost <= java_cost else "NOT met")
                line += "  [CPU %s %s, java %s]" % (name, _pct(cpu_cost(results, name, op_name, label)),
                                                   _pct(cpu_cost(results, "java", op_name, label)))
                if window == 1:
                    line += "  [p99 %s %s, java %s]" % (name, _p99_ratio(results, name, op_name, label),
                                                        _p99_ratio(results, "java", op_name, label))
                print(line)


def _pct(v):
    return "-" if v is None else "%+.0f%%" % (100 * v)


def _p99_ratio(results, name, op_name, label):
    plain = results.get((name, "plain", op_name, label), {}).get("p99_us")
    tls = results.get((name, "tls", op_name, label), {}).get("p99_us")
    return "x%.2f" % (tls / plain) if plain and tls else "-"


if __name__ == "__main__":
    main()
