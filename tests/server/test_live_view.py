"""The live view of the thread model: the AdminServer's threads, queues, chain and trace commands and /view.

Against a standalone server and the leader, a follower and the observer of a 3-voter ensemble, idle and
under load (raw-socket writers that pipeline bursts of setData, so the queues between the
threads fill): the Java thread names, jstack states (a processor idle on its queue is
WAITING on that queue), depths above zero, the processor chain of each role and one
request's hops through the threads. Then headless Chromium loads /view for each and must
show the thread names, a non-zero depth and the links to the Python modules and to the
Java classes at release-3.5.7 (skipped where chromium, chromedriver or selenium are missing).

Java 3.8 has none of these commands (its AdminServer has no threads/queues/chain/trace),
so there is nothing to compare with it; its `kill -QUIT` dump is: test_sigquit_dump_states.
"""

import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import urllib.request

import pytest

from tests.support import java_zk
from tests.support.ensemble import Ensemble
from tests.support.net import free_port, free_ports, wait_until
from tests.support.raw_zk import ConnectionClosed, RawClient
from tests.support.servers import JavaServer, PythonServer
from zookeeper_py.proto import CreateRequest, SetDataRequest
from zookeeper_py.zoo_defs import Ids, OpCode

pytestmark = pytest.mark.timeout(240)

JAVA_BLOB = "https://github.com/apache/zookeeper/blob/release-3.5.7/"
STATES = {"RUNNABLE", "WAITING", "TIMED_WAITING", "BLOCKED"}


def get(port, name, query=""):
    url = "http://127.0.0.1:%d/commands/%s%s" % (port, name, "?" + query if query else "")
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["Content-Type"] == "application/json"
        out = json.load(r)
    assert out["error"] is None, out
    return out


def threads_by_name(port, query=""):
    return {t["name"]: t for t in get(port, "threads", query)["threads"]}


class Writer(threading.Thread):
    """Pipelines bursts of setData on its own znode over a raw socket until stopped."""

    BURST = 2000

    def __init__(self, port, name):
        super().__init__(daemon=True, name="writer-" + name)
        self.port = port
        self.path = "/live-view-" + name
        self.stop_evt = threading.Event()
        self.replies = 0
        self.error = None

    def run(self):
        try:
            with RawClient("127.0.0.1", self.port, timeout=30) as c:
                c.connect()
                c.request(OpCode.create, CreateRequest(self.path, b"", list(Ids.OPEN_ACL_UNSAFE), 0))
                body = SetDataRequest(self.path, b"x" * 64, -1).to_bytes()
                while not self.stop_evt.is_set():
                    frames = []
                    for _ in range(self.BURST):
                        c.xid += 1
                        frames.append(_frame(c.xid, OpCode.setData, body))
                    c.send_raw(b"".join(frames))
                    for _ in range(self.BURST):
                        c.read_frame(timeout=60)
                        self.replies += 1
        except (OSError, ConnectionClosed) as e:
            if not self.stop_evt.is_set():
                self.error = e

    def stop(self):
        self.stop_evt.set()
        self.join(90)
        assert not self.is_alive(), "writer did not stop"
        assert self.error is None, self.error
        assert self.replies > 0


def _frame(xid, op, body):
    from zookeeper_py.proto import RequestHeader

    payload = RequestHeader(xid, op).to_bytes() + body
    return len(payload).to_bytes(4, "big") + payload


class load:
    """with load(port, ...): writers running for the block."""

    def __init__(self, *ports):
        self.writers = [Writer(p, "%d-%d" % (p, i)) for i, p in enumerate(ports)]

    def __enter__(self):
        for w in self.writers:
            w.start()
        wait_until(lambda: all(w.replies > 0 or w.error for w in self.writers), 30, message="writers answered")
        return self

    def __exit__(self, *exc):
        for w in self.writers:
            w.stop_evt.set()
        for w in self.writers:
            w.stop()


def seen_depth(port, owners, timeout=30):
    """Poll `queues` until a queue of one of `owners` (prefixes) is not empty; return that entry."""
    def deep():
        for q in get(port, "queues")["queues"]:
            if q["depth"] > 0 and q["owner"].startswith(owners):
                return q
        return None

    return wait_until(deep, timeout, interval=0.01, message="a non-empty queue of %s" % (owners,))


def trace_session(admin_port, client_port):
    """Arm a trace for a fresh session's next request, send setData on it, return the trace."""
    with RawClient("127.0.0.1", client_port, timeout=30) as c:
        c.connect()
        path = "/traced-%x" % c.session_id
        c.request(OpCode.create, CreateRequest(path, b"", list(Ids.OPEN_ACL_UNSAFE), 0))
        result = {}
        armer = threading.Thread(target=lambda: result.update(
            get(admin_port, "trace", "session=0x%x&wait=20000" % (c.session_id & 0xFFFFFFFFFFFFFFFF))))
        armer.start()
        # The trace is armed a moment after the request to the AdminServer: keep writing until it caught one.
        while armer.is_alive():
            c.request(OpCode.setData, SetDataRequest(path, b"y", -1))
            armer.join(0.05)
        tr = result["trace"]
    assert tr["session_id"] == "0x%x" % (c.session_id & 0xFFFFFFFFFFFFFFFF), tr
    assert tr["complete"] and tr["type"] == OpCode.setData and tr["op"] == "setData", tr
    times = [h["t_us"] for h in tr["hops"]]
    assert times == sorted(times) and times[0] == 0, tr
    return tr


# -- servers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    admin = free_port()
    server = PythonServer(str(tmp_path_factory.mktemp("standalone")), extra_cfg={
        "admin.enableServer": "true", "admin.serverAddress": "127.0.0.1", "admin.serverPort": str(admin)})
    server.admin_port = admin
    server.start()
    wait_until(lambda: _answers(admin), 30, message="AdminServer up")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    admins = dict(zip((1, 2, 3, 4), free_ports(4)))
    flags = {sid: ["-Dzookeeper.admin.serverPort=%d" % port, "-Dzookeeper.admin.serverAddress=127.0.0.1"]
             for sid, port in admins.items()}
    # Three voters and an observer (sid 4).
    ens = Ensemble(str(tmp_path_factory.mktemp("ensemble")), kinds=("python",) * 4, observers=(4,),
                   extra_cfg={"admin.enableServer": "true"}, member_flags=flags)
    ens.admin_ports = admins
    ens.start()
    try:
        leader = ens.wait_for_quorum(timeout=90)
        ens.leader_sid = leader
        ens.follower_sid = min(sid for sid in admins if sid not in (leader, 4))
        ens.observer_sid = 4
        for port in admins.values():
            wait_until(lambda: _answers(port), 30, message="AdminServer up")
        yield ens
    finally:
        ens.stop()


def _answers(port):
    """The AdminServer answers (a member looking for a leader answers ruok with "not serving")."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/commands/ruok" % port, timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


# -- JSON: standalone -----------------------------------------------------------------------


def test_standalone_threads_names_states_and_java_classes(standalone):
    port, cport = standalone.admin_port, standalone.client_port
    # Idle: each processor waits on its own input queue, as jstack shows a parked LinkedBlockingQueue.take.
    sync = wait_until(lambda: (lambda t: t if t["state"] == "WAITING" else None)(threads_by_name(port)["SyncThread:0"]),
                      10, message="SyncThread:0 WAITING")
    assert sync["waiting_on"] == "on SyncThread:0.queued_requests"
    assert sync["java_class"] == "org.apache.zookeeper.server.SyncRequestProcessor"
    assert sync["java_url"] == JAVA_BLOB + "zookeeper-server/src/main/java/org/apache/zookeeper/server/" \
                               "SyncRequestProcessor.java"
    assert sync["python_file"] == "zookeeper_py/server/sync_request_processor.py"
    threads = threads_by_name(port, "stack=true")
    prep = threads["ProcessThread(sid:0 cport:%d):" % cport]
    assert prep["state"] == "WAITING"
    assert prep["waiting_on"] == "on ProcessThread(sid:0 cport:%d):.submitted_requests" % cport
    assert prep["python_class"] == "PrepRequestProcessor"
    assert any("prep_request_processor.py" in s for s in prep["stack"])
    selector = threads["NIOServerCxnFactory.SelectorThread-0"]
    assert selector["state"] == "RUNNABLE" and "select" in selector["waiting_on"]
    assert threads["SessionTracker"]["state"] == "TIMED_WAITING"
    assert all(t["state"] in STATES for t in threads.values()), threads


def test_standalone_queues_chain_and_trace_under_load(standalone):
    port, cport = standalone.admin_port, standalone.client_port
    chain = get(port, "chain")
    assert chain["role"] == "standalone"
    assert [s["stage"] for s in chain["stages"]] == ["PrepRequestProcessor", "SyncRequestProcessor",
                                                    "FinalRequestProcessor"]
    assert [s["thread"] for s in chain["stages"]] == ["ProcessThread(sid:0 cport:%d):" % cport, "SyncThread:0", None]
    with load(cport, cport):
        q = seen_depth(port, ("ProcessThread", "SyncThread"))
        assert q["bound"] >= q["depth"] > 0
        busy = wait_until(lambda: [e for e in get(port, "queues")["queues"]
                                   if e["queue"] == "submitted_requests" and e["puts_per_sec"]], 10, interval=0.6,
                          message="puts/s of submitted_requests")
        assert busy[0]["puts_per_sec"] > 0 and busy[0]["oldest_age_ms"] is not None
        rates = wait_until(lambda: [s for s in get(port, "chain")["stages"] if s["requests_per_sec"]], 10,
                           interval=0.6, message="chain rates")
        assert {s["stage"] for s in rates} == {"PrepRequestProcessor", "SyncRequestProcessor", "FinalRequestProcessor"}
        selector = threads_by_name(port)["NIOServerCxnFactory.SelectorThread-0"]
        assert len(selector["connections"]) >= 2 and all(c["session_id"].startswith("0x") for c in
                                                          selector["connections"]), selector
        tr = trace_session(port, cport)
    hops = [(h["thread"], h["stage"], h["event"]) for h in tr["hops"]]
    assert hops == [("NIOServerCxnFactory.SelectorThread-0", "PrepRequestProcessor", "in"),
                    ("ProcessThread(sid:0 cport:%d):" % cport, "SyncRequestProcessor", "in"),
                    ("SyncThread:0", "FinalRequestProcessor", "in"),
                    ("SyncThread:0", "FinalRequestProcessor", "done")], tr
    assert get(port, "trace", "last=true")["trace"]["hops"] == tr["hops"]


def test_sigquit_dump_states(standalone, tmp_path):
    """kill -QUIT: each thread's jstack state, as Java 3.8's dump names the same threads (when installed)."""
    ours = _sigquit_states(standalone)
    assert ours["SyncThread:0"].startswith("WAITING"), ours
    assert ours["NIOServerCxnFactory.SelectorThread-0"].startswith("RUNNABLE"), ours
    assert ours["SessionTracker"].startswith("TIMED_WAITING"), ours
    if java_zk.missing_reason():
        pytest.skip(java_zk.missing_reason() + ": ours checked alone")
    java = JavaServer(str(tmp_path / "java"))
    java.start(timeout=60)
    try:
        theirs = _sigquit_states(java)
    finally:
        java.stop()
    for name in ("SyncThread:0", "NIOServerCxnFactory.SelectorThread-0", "SessionTracker"):
        assert ours[name].split()[0] == theirs[name].split()[0], (name, ours[name], theirs[name])


def _sigquit_states(server):
    """{thread name: "STATE (detail)"} from the server's kill -QUIT dump."""
    def dump():
        text = open(server.out_path, errors="replace").read()
        i = text.rfind("Full thread dump")
        if i < 0 or i < start:
            return None
        states = dict(re.findall(r'^"([^"]+)"[^\n]*\n\s+java\.lang\.Thread\.State: ([^\n]+)', text[i:], re.M))
        return states if "SessionTracker" in states else None

    start = len(open(server.out_path, errors="replace").read())
    os.kill(server.proc.pid, signal.SIGQUIT)
    return wait_until(dump, 20, interval=0.1, message="thread dump")


# -- JSON: leader and follower --------------------------------------------------------------


def test_leader_and_follower_idle_threads(ensemble):
    lsid, fsid = ensemble.leader_sid, ensemble.follower_sid
    lport, fport = ensemble.admin_ports[lsid], ensemble.admin_ports[fsid]

    def idle(port, name):
        return lambda: (lambda t: t if t and t["state"] == "WAITING" else None)(threads_by_name(port).get(name))

    # A quorum member's ProcessThread is named with cport:-1, as Java's (its ZooKeeperServer has no factory yet).
    t = wait_until(idle(lport, "ProcessThread(sid:%d cport:-1):" % lsid), 10, message="leader's ProcessThread WAITING")
    assert t["waiting_on"].endswith(".submitted_requests")
    t = wait_until(idle(fport, "FollowerRequestProcessor:%d" % fsid), 10, message="FollowerRequestProcessor WAITING")
    assert t["waiting_on"] == "on FollowerRequestProcessor:%d.queued_requests" % fsid
    assert t["java_class"] == "org.apache.zookeeper.server.quorum.FollowerRequestProcessor"
    t = wait_until(idle(fport, "CommitProcessor:%d" % fsid), 10, message="CommitProcessor WAITING")
    assert t["waiting_on"] == "on CommitProcessor:%d._wakeup" % fsid
    leader_threads = threads_by_name(lport)
    handlers = [n for n in leader_threads if n.startswith("LearnerHandler-")]
    assert len(handlers) == 3, sorted(leader_threads)  # two followers and the observer
    assert any(n.startswith("LearnerCnxAcceptor-") for n in leader_threads)
    assert "SyncThread:%d" % lsid in leader_threads and "CommitProcessor:%d" % lsid in leader_threads
    assert all(t["state"] in STATES for t in leader_threads.values())
    assert get(lport, "chain")["role"] == "leader" and get(fport, "chain")["role"] == "follower"


def test_leader_and_follower_under_load(ensemble):
    lsid, fsid = ensemble.leader_sid, ensemble.follower_sid
    lport, fport = ensemble.admin_ports[lsid], ensemble.admin_ports[fsid]
    leader_chain = [s["stage"] for s in get(lport, "chain")["stages"]]
    assert leader_chain == ["LeaderRequestProcessor", "PrepRequestProcessor", "ProposalRequestProcessor",
                            "CommitProcessor", "ToBeAppliedRequestProcessor", "FinalRequestProcessor",
                            "SyncRequestProcessor", "AckRequestProcessor"], leader_chain
    follower_chain = [s["stage"] for s in get(fport, "chain")["stages"]]
    assert follower_chain == ["FollowerRequestProcessor", "CommitProcessor", "FinalRequestProcessor",
                              "SyncRequestProcessor", "SendAckRequestProcessor"], follower_chain
    with load(ensemble.client_ports[lsid], ensemble.client_ports[fsid], ensemble.client_ports[fsid]):
        q = seen_depth(lport, ("ProcessThread", "SyncThread", "CommitProcessor", "LearnerHandler"))
        assert q["depth"] > 0
        q = seen_depth(fport, ("FollowerRequestProcessor", "SyncThread", "CommitProcessor"))
        assert q["depth"] > 0
        queues = get(lport, "queues")["queues"]
        assert sum(1 for e in queues
                   if e["owner"].startswith("LearnerHandler-") and e["queue"] == "queued_packets") == 3
        tr = trace_session(fport, ensemble.client_ports[fsid])
        stages = [h["stage"] for h in tr["hops"]]
        threads = [h["thread"] for h in tr["hops"]]
        assert stages[:2] == ["FollowerRequestProcessor", "CommitProcessor"], tr
        assert threads[1] == "FollowerRequestProcessor:%d" % fsid, tr
        assert "SyncRequestProcessor" in stages and "CommitProcessor.commit" in stages, tr
        assert tr["hops"][-1]["stage"] == "FinalRequestProcessor" and tr["hops"][-1]["event"] == "done", tr
        # Final runs on the commit processor (its thread or a CommitProcWorkThread), as in Java.
        assert tr["hops"][-1]["thread"].startswith("CommitProc"), tr
        print("follower trace:", json.dumps(tr, indent=1))
        tr = trace_session(lport, ensemble.client_ports[lsid])
        stages = [h["stage"] for h in tr["hops"]]
        # (AckRequestProcessor, the leader's own ACK, may come after the followers' ACKs committed it.)
        for stage in ("LeaderRequestProcessor", "PrepRequestProcessor", "ProposalRequestProcessor",
                      "SyncRequestProcessor", "CommitProcessor.commit", "ToBeAppliedRequestProcessor",
                      "FinalRequestProcessor"):
            assert stage in stages, (stage, tr)
        assert ("ProcessThread(sid:%d cport:-1):" % lsid, "ProposalRequestProcessor") in \
            [(h["thread"], h["stage"]) for h in tr["hops"]], tr


def test_observer_threads_chain_and_trace(ensemble):
    osid = ensemble.observer_sid
    port, cport = ensemble.admin_ports[osid], ensemble.client_ports[osid]
    chain = get(port, "chain")
    assert chain["role"] == "observer"
    assert [s["stage"] for s in chain["stages"]] == ["ObserverRequestProcessor", "CommitProcessor",
                                                    "FinalRequestProcessor", "SyncRequestProcessor"], chain
    t = wait_until(lambda: (lambda t: t if t["state"] == "WAITING" else None)(
        threads_by_name(port)["ObserverRequestProcessor:%d" % osid]), 10, message="ObserverRequestProcessor WAITING")
    assert t["waiting_on"] == "on ObserverRequestProcessor:%d.queued_requests" % osid
    assert t["java_class"] == "org.apache.zookeeper.server.quorum.ObserverRequestProcessor"
    with load(cport, cport):
        seen_depth(port, ("ObserverRequestProcessor", "SyncThread", "CommitProcessor"))
        tr = trace_session(port, cport)
    stages = [h["stage"] for h in tr["hops"]]
    assert stages[:2] == ["ObserverRequestProcessor", "CommitProcessor"], tr
    assert tr["hops"][1]["thread"] == "ObserverRequestProcessor:%d" % osid, tr
    # INFORM from the leader: the observer logs it and commits it, on its QuorumPeer thread.
    assert "CommitProcessor.commit" in stages and "SyncRequestProcessor" in stages, tr
    assert tr["hops"][-1]["stage"] == "FinalRequestProcessor" and tr["hops"][-1]["event"] == "done", tr


# -- the page, in a real browser ------------------------------------------------------------


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.skip("%s is not installed" % path)
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="live-view-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1600,1400", "--user-data-dir=" + profile):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_text(driver, element_id):
    # The page redraws every second: read it in one script, not through element references that go stale.
    return driver.execute_script("return document.getElementById(arguments[0]).innerText", element_id)


def page_hrefs(driver, selector):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(a => a.href)", selector)


def check_page(driver, admin_port, client_ports, thread_names, shot):
    driver.get("http://127.0.0.1:%d/view" % admin_port)
    wait_until(lambda: all(n in page_text(driver, "lanes") for n in thread_names), 30, interval=0.2,
               message="the page shows %s" % (thread_names,))
    with load(*client_ports):
        # The page keeps the deepest depth it has seen of each queue.
        wait_until(lambda: driver.execute_script(
            "return Array.from(document.querySelectorAll('.max')).some(e => +e.textContent > 0)"), 60,
            interval=0.2, message="a non-zero depth on the page")
        wait_until(lambda: "connection" in driver.execute_script(
            "return Array.from(document.querySelectorAll('.conns')).map(e => e.innerText).join(' ')"), 30,
            interval=0.2, message="a selector's connections on the page")
        driver.save_screenshot(shot)
    print("screenshot:", shot)
    java = page_hrefs(driver, "a.java")
    assert java and all(h.startswith(JAVA_BLOB + "zookeeper-server/src/main/java/org/apache/zookeeper/") for h in java)
    py = page_hrefs(driver, "a.py")
    assert any(h.endswith("/view/src/zookeeper_py/server/sync_request_processor.py") for h in py), py
    with urllib.request.urlopen(py[0], timeout=10) as r:
        assert b"Mirror of org.apache" in r.read()
    assert page_text(driver, "status").startswith("Updated")


def test_view_standalone_in_chromium(browser, standalone, tmp_path):
    cport = standalone.client_port
    check_page(browser, standalone.admin_port, (cport, cport),
               ["SyncThread:0", "ProcessThread(sid:0 cport:%d):" % cport, "NIOServerCxnFactory.SelectorThread-0"],
               str(tmp_path / "view-standalone.png"))
    # The trace panel: trace the next request from the page.
    browser.execute_script("document.querySelector('#trace-form button').click()")
    with load(cport):
        wait_until(lambda: "FinalRequestProcessor" in page_text(browser, "trace-body"), 30,
                   interval=0.2, message="a trace on the page")
    text = page_text(browser, "trace-body")
    assert "SyncThread:0" in text and "PrepRequestProcessor" in text


def test_view_leader_follower_and_observer_in_chromium(browser, ensemble, tmp_path):
    lsid, fsid = ensemble.leader_sid, ensemble.follower_sid
    ports = (ensemble.client_ports[lsid], ensemble.client_ports[fsid])
    check_page(browser, ensemble.admin_ports[lsid], ports,
               ["SyncThread:%d" % lsid, "CommitProcessor:%d" % lsid, "LearnerHandler-", "LearnerCnxAcceptor-"],
               str(tmp_path / "view-leader.png"))
    check_page(browser, ensemble.admin_ports[fsid], ports,
               ["FollowerRequestProcessor:%d" % fsid, "CommitProcessor:%d" % fsid, "SyncThread:%d" % fsid],
               str(tmp_path / "view-follower.png"))
    osid = ensemble.observer_sid
    check_page(browser, ensemble.admin_ports[osid], (ensemble.client_ports[osid],) * 2,
               ["ObserverRequestProcessor:%d" % osid, "CommitProcessor:%d" % osid, "SyncThread:%d" % osid],
               str(tmp_path / "view-observer.png"))


def test_meters_come_off_when_nobody_looks(monkeypatch):
    """In process: a metered method is the class's own again once the reaper finds no look for the idle time."""
    from zookeeper_py.server.admin import thread_view

    class Stage:
        def process_request(self, request):
            return request

    stage = Stage()
    monkeypatch.setattr(thread_view, "METER_IDLE_SECONDS", 0.5)
    thread_view._last_look = time.monotonic()
    meter = thread_view._install(stage, "process_request", "Stage")
    assert stage.process_request(7) == 7 and meter.count == 1 and "process_request" in vars(stage)
    assert any(t.name == "LiveViewMeterReaper" for t in threading.enumerate())
    wait_until(lambda: "process_request" not in vars(stage), 10, message="meter taken off")
    assert stage.process_request(8) == 8 and meter.count == 1


@pytest.fixture(scope="module")
def looking(tmp_path_factory):
    """Member 1 of a 3-member ensemble started alone: it looks for a leader and serves no client."""
    admin = free_port()
    ens = Ensemble(str(tmp_path_factory.mktemp("looking")), extra_cfg={"admin.enableServer": "true"},
                   member_flags={1: ["-Dzookeeper.admin.serverPort=%d" % admin,
                                     "-Dzookeeper.admin.serverAddress=127.0.0.1"]})
    ens.admin_port = admin
    ens.start([1])
    try:
        wait_until(lambda: _answers(admin), 30, message="AdminServer up")
        yield ens
    finally:
        ens.stop()


def test_looking_member_threads(looking):
    """No server to ask: chain is 'not serving', threads still shows the election threads."""
    port = looking.admin_port
    with urllib.request.urlopen("http://127.0.0.1:%d/commands/chain" % port, timeout=10) as r:
        assert "not currently serving" in json.load(r)["error"]

    def sender_waiting():
        # WorkerSender spends most of its time waiting on its queue, but a view can catch it
        # sending a vote or connecting to a peer (RUNNABLE): look again until it waits.
        threads = threads_by_name(port)
        sender = next((t for n, t in threads.items() if n.startswith("WorkerSender")), None)
        return (threads, sender) if sender and sender["state"] == "TIMED_WAITING" else None

    threads, sender = wait_until(sender_waiting, 20, message="WorkerSender waiting on its queue")
    assert any(n.startswith("QuorumPeer[myid=1]") for n in threads), sorted(threads)
    # No server to name the queues after: the owner found from the waiting frame (self.fle.sendqueue).
    assert sender["waiting_on"] == "on FastLeaderElection.sendqueue", sender
    assert sender["java_class"] == "org.apache.zookeeper.server.quorum.FastLeaderElection.Messenger.WorkerSender"
    assert sender["java_url"].endswith("/org/apache/zookeeper/server/quorum/FastLeaderElection.java")


def test_looking_member_page_in_chromium(browser, looking, tmp_path):
    browser.get("http://127.0.0.1:%d/view" % looking.admin_port)
    wait_until(lambda: "WorkerSender" in page_text(browser, "lanes") and "not serving" in page_text(browser, "role"),
               30, interval=0.2, message="the election threads of a member looking for a leader")
    shot = str(tmp_path / "view-looking.png")
    browser.save_screenshot(shot)
    print("screenshot:", shot)
    assert "Leader election" in page_text(browser, "lanes") or "LEADER ELECTION" in page_text(browser, "lanes")
