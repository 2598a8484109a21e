"""ReplyBatch: replies queued on their connections, written together (not in Java)."""

import collections


class ReplyBatch:
    """The connections with replies queued but not yet written (zookeeper_py only).

    FinalRequestProcessor passes a batch to NIOServerCnxn.send_response: a reply to a
    connection with nothing queued is only queued and the connection added here; flush()
    then writes each connection with one send. Each thread that runs FinalRequestProcessor
    has its batch and flushes it before it waits for more work, so a reply never waits for a
    later request: SyncThread and PrepRequestProcessor (read-only) through
    FinalRequestProcessor.flush() (its own batch), the CommitProcessor thread and each
    CommitProcWork thread their own, named on each request (Request.reply_batch). A batch
    shared by several threads would work (deque append and popleft are thread-safe) but
    cost sends: one thread's flush would write the replies another is still adding to.
    """

    __slots__ = ("cnxns",)

    def __init__(self):
        # Bound: the number of connections (one is added only when its outgoing queue was empty).
        self.cnxns = collections.deque()

    def add(self, cnxn):
        self.cnxns.append(cnxn)

    def flush(self):
        cnxns = self.cnxns
        # Emptiness asked, not caught: an IndexError at the end of every flush was a young
        # object on PyPy.
        if len(cnxns) == 1:
            # One connection, as at window 1: written before the loop, which PyPy enters through
            # a new frame (its compiled loop) on every call.
            _flush_first(cnxns)
            if not cnxns:
                return
        while cnxns:
            _flush_first(cnxns)


def _flush_first(cnxns):
    """Write the first connection's replies. IndexError is still caught: another thread's flush
    (a shutdown's) may take the last connection after the caller saw it."""
    try:
        cnxn = cnxns.popleft()
    except IndexError:
        return
    cnxn.flush_outgoing()
