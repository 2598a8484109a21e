"""Every queue between the server's threads: its owner, depth and the bound that holds it.

zookeeper_py's own (no Java twin): the AdminServer's `queues` command answers with it,
and the overload tests and bench/bench_overload.py poll it to show that no queue passes
its bound. Each entry names the bound the way the code's comments do:

- request queues of the processor chain: globalOutstandingLimit, plus one request per
  client connection (a connection is throttled only after the request that passed the
  limit), on each member whose clients feed this chain (a leader's chain also takes its
  learners' requests);
- a learner's packet queue on the leader: the proposals and commits of those requests;
- the selector threads' queues: the number of connections (a connection is queued at most
  once), and ACCEPTED_QUEUE_CAPACITY;
- a connection's unsent replies: the high-water mark (reading stops above it) plus the
  replies of the requests it had in flight when it stopped;
- the election queues: their own capacity.
"""

from zookeeper_py.server.nio_server_cnxn_factory import ACCEPTED_QUEUE_CAPACITY

# Attributes of a request processor that hold its queue, and the other processors it feeds.
_QUEUE_ATTRS = ("submitted_requests", "queued_requests", "committed_requests")
_NEXT_ATTRS = ("next_processor", "next", "sync_processor")


def _depth(q):
    return q.qsize() if hasattr(q, "qsize") else len(q)


def _owner(obj):
    return getattr(obj, "name", None) or type(obj).__name__


def _processors(first):
    seen = []
    todo = [first]
    while todo:
        p = todo.pop(0)
        if p is None or any(p is s for s in seen):
            continue
        seen.append(p)
        todo.extend(getattr(p, a, None) for a in _NEXT_ATTRS)
    return seen


def _entry(owner, name, depth, bound, bound_by):
    return {"owner": owner, "queue": name, "depth": depth, "bound": bound, "bound_by": bound_by}


def request_bound(zk_server, peer=None):
    """globalOutstandingLimit + connections, for every member whose clients feed this server's chain."""
    limit = zk_server.get_global_outstanding_limit()
    connections = zk_server.get_num_alive_connections()
    members = len(peer.get_view()) if peer is not None else 1
    # Other members' connections are not known here: allow as many as ours for each.
    return (limit + connections) * members


def queue_census(zk_server, factory=None, leader=None, peer=None):
    """A list of {owner, queue, depth, bound, bound_by} for the running server.

    leader: the Leader when zk_server leads; peer: the QuorumPeer in a quorum."""
    out = []
    bound = request_bound(zk_server, peer)
    bound_by = "(globalOutstandingLimit + connections) x members"
    for p in _processors(zk_server.first_processor):
        for attr in _QUEUE_ATTRS:
            q = getattr(p, attr, None)
            if q is not None:
                out.append(_entry(_owner(p), attr, _depth(q), bound, bound_by))
    out.append(_entry("ZooKeeperServer", "requests_in_process", zk_server.get_in_process(), bound, bound_by))
    if leader is not None:
        for handler in leader.get_learners():
            out.append(_entry(handler.name, "queued_packets", handler.queued_packets.qsize(), 2 * bound + 16,
                              "2 x request bound (proposal and commit of each) + pings"))
        out.append(_entry("Leader", "outstanding_proposals", len(leader.outstanding_proposals), bound, bound_by))
        out.append(_entry("Leader", "to_be_applied", len(leader.to_be_applied), bound, bound_by))
    if factory is not None:
        connections = factory.get_connections()
        for t in factory.selector_threads:
            out.append(_entry(t.name, "accepted_queue", t.accepted_queue.qsize(), ACCEPTED_QUEUE_CAPACITY,
                              "ACCEPTED_QUEUE_CAPACITY"))
            out.append(_entry(t.name, "update_queue", t.update_queue.qsize(), max(1, len(connections)),
                              "connections"))
        pool = factory.worker_pool
        for i, q in enumerate(pool.queues if pool is not None else ()):
            out.append(_entry("NIOWorker-%d" % i, "work_queue", q.qsize(), max(1, len(connections)), "connections"))
        deepest = max((c.outgoing_bytes for c in connections), default=0)
        paused = sum(1 for c in connections if c.write_paused)
        out.append(_entry("NIOServerCnxn (deepest)", "outgoing_bytes", deepest, factory.outgoing_high_water_mark,
                          "high-water mark, + the replies in flight when reading stopped (%d paused)" % paused))
    election = peer.election_alg if peer is not None else None
    if election is not None:
        out.append(_entry("WorkerSender", "sendqueue", election.sendqueue.qsize(), election.sendqueue.maxsize,
                          "FastLeaderElection.QUEUE_CAPACITY"))
        out.append(_entry("WorkerReceiver", "recvqueue", election.recvqueue.qsize(), election.recvqueue.maxsize,
                          "FastLeaderElection.QUEUE_CAPACITY"))
        manager = election.get_cnx_manager()
        out.append(_entry("QuorumCnxManager", "recv_queue", manager.recv_queue.qsize(), manager.RECV_CAPACITY,
                          "RECV_CAPACITY"))
    return out
