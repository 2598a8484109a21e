"""LinkedBlockingQueue and OneConsumerQueue (its PyPy form): FIFO, poll, no lost wake-up, timeouts."""

import queue
import threading
import time

import pytest

from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue, OneConsumerQueue

KINDS = [OneConsumerQueue, LinkedBlockingQueue]


@pytest.mark.parametrize("kind", KINDS)
def test_fifo_and_empty(kind):
    q = kind()
    assert q.empty() and q.qsize() == 0
    for i in range(5):
        q.put(i)
    assert q.qsize() == 5
    assert [q.get_nowait() for _ in range(5)] == list(range(5))
    with pytest.raises(queue.Empty):
        q.get_nowait()
    with pytest.raises(queue.Empty):
        q.get(False)


@pytest.mark.parametrize("kind", KINDS)
def test_get_times_out_then_takes_a_late_item(kind):
    q = kind()
    t0 = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
    assert time.monotonic() - t0 >= 0.19
    threading.Timer(0.1, q.put, ("late",)).start()
    assert q.get(timeout=5) == "late"


PRODUCERS = 4
PER_PRODUCER = 20000


def stream_through(q, take):
    """PRODUCERS threads put (producer, i) into q while one consumer takes PER_PRODUCER * PRODUCERS
    items with take(q); every item must arrive once, each producer's in order, and the consumer is
    never left asleep on a non-empty queue (it would hang the join)."""
    got = []

    def consume():
        for _ in range(PRODUCERS * PER_PRODUCER):
            got.append(take(q))

    def produce(p):
        for i in range(PER_PRODUCER):
            q.put((p, i))
            if i % 1000 == 0:
                time.sleep(0)  # let the consumer drain and go to sleep now and then

    consumer = threading.Thread(target=consume)
    consumer.start()
    producers = [threading.Thread(target=produce, args=(p,)) for p in range(PRODUCERS)]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    consumer.join(60)
    assert not consumer.is_alive(), "the consumer slept through items"
    assert len(got) == PRODUCERS * PER_PRODUCER
    for p in range(PRODUCERS):
        assert [i for (pp, i) in got if pp == p] == list(range(PER_PRODUCER))


@pytest.mark.parametrize("kind", KINDS)
def test_many_producers_one_consumer_lose_nothing(kind):
    stream_through(kind(), lambda q: q.get())


@pytest.mark.parametrize("kind", KINDS)
def test_ping_pong_wakes_the_sleeping_consumer_every_time(kind):
    a, b = kind(), kind()
    n = 3000

    def echo():
        for _ in range(n):
            b.put(a.get())

    t = threading.Thread(target=echo)
    t.start()
    for i in range(n):
        a.put(i)
        assert b.get(timeout=10) == i
    t.join(10)


@pytest.mark.parametrize("kind", KINDS)
def test_poll_returns_the_head_or_none_and_never_raises(kind):
    q = kind()
    assert q.poll() is None
    q.put("a")
    q.put("b")
    assert q.poll() == "a"
    assert q.get_nowait() == "b"
    assert q.poll() is None and q.empty()


@pytest.mark.parametrize("kind", KINDS)
def test_a_processor_loop_polling_then_blocking_loses_nothing(kind):
    """The loop of PrepRequestProcessor and SyncThread: poll(), and get() only when it gave None."""

    def take(q):
        item = q.poll()
        return q.get() if item is None else item

    stream_through(kind(), take)
