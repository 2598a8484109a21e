"""CommitProcessor with its real thread and CommitProcWork threads: when a worker ending a read
wakes the CommitProcessor thread (only when it waits for the pool to drain before a commit)."""

import threading

import pytest

from zookeeper_py.server.quorum.commit_processor import CommitProcessor
from zookeeper_py.server.request import Request
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.zoo_defs import OpCode

SESSION = 0x1234


class Listener:
    def __init__(self):
        self.stopping = []

    def notify_stopping(self, thread_name, exit_code):
        self.stopping.append((thread_name, exit_code))


class Next(RequestProcessor):
    """The next processor: records each request and the thread that ran it; a read waits for `gate`."""

    def __init__(self):
        self.done = []
        self.gate = threading.Event()
        self.gate.set()
        self.cond = threading.Condition()

    def process_request(self, request):
        if request.type == OpCode.getData:
            self.gate.wait(10)
        with self.cond:
            self.done.append((request.cxid, threading.current_thread().name))
            self.cond.notify_all()

    def shutdown(self):
        pass

    def wait_for(self, n, timeout=5):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.done) >= n, timeout), self.done


@pytest.fixture
def processor():
    listener = Listener()
    nxt = Next()
    cp = CommitProcessor(nxt, "1", True, listener)
    cp.start()
    yield cp, nxt
    cp.shutdown()
    cp.join(5)
    assert listener.stopping == []


def counting_wakeups(cp):
    calls = []
    real = cp.wakeup

    def wakeup():
        calls.append(threading.current_thread().name)
        real()

    cp.wakeup = wakeup
    return calls


def test_a_read_that_ends_does_not_wake_the_idle_commit_processor(processor):
    cp, nxt = processor
    wakeups = counting_wakeups(cp)
    for cxid in range(1, 51):
        cp.process_request(Request(None, SESSION, cxid, OpCode.getData))
        nxt.wait_for(cxid)
    assert [c for c, _ in nxt.done] == list(range(1, 51))
    assert all(name.startswith("CommitProcWorkThread-") for _, name in nxt.done), nxt.done
    # One wake-up per request, by the thread handing it over; none by the worker that ran it.
    assert len(wakeups) <= 50 and all(not name.startswith("CommitProcWork") for name in wakeups), wakeups


def test_a_commit_waits_for_the_reads_in_the_workers_and_is_woken_when_they_end(processor):
    cp, nxt = processor
    nxt.gate.clear()
    cp.process_request(Request(None, SESSION + 1, 1, OpCode.getData))  # held in a worker by the gate
    write = Request(None, SESSION, 7, OpCode.setData)
    cp.process_request(write)
    commit = Request(None, SESSION, 7, OpCode.setData, zxid=0x100000001)
    cp.commit(commit)
    with nxt.cond:
        assert not nxt.cond.wait_for(lambda: nxt.done, 0.5), "the commit did not wait for the read"
    nxt.gate.set()
    nxt.wait_for(2)
    assert [c for c, _ in nxt.done] == [1, 7]
    assert nxt.done[1][1] == "CommitProcessor:1"  # applied on the CommitProcessor thread
