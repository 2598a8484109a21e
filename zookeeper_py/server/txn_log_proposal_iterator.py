"""Mirror of org.apache.zookeeper.server.TxnLogProposalIterator."""

import logging

from zookeeper_py.server.quorum.proposal import Proposal
from zookeeper_py.server.quorum.quorum_packet import QuorumPacket

LOG = logging.getLogger("TxnLogProposalIterator")

PROPOSAL = 2  # Leader.PROPOSAL


class TxnLogProposalIterator:
    """Mirror of org.apache.zookeeper.server.TxnLogProposalIterator.

    Turns a TxnIterator into PROPOSAL packets for a leader syncing a learner from the
    txn log. Use has_next()/next() as in Java, or iterate; close() when done.

    A PROPOSAL's data is the entry as logged (header, txn and digest: what Java 3.8's
    Util.marshallTxnEntry makes of them again), so the txns are not decoded: the leader walks a
    log from its first txn to the learner's, and decoding each made that walk some 0.5 s for
    100,000 txns on CPython, longer than a tight initLimit lets the learner wait.
    """

    def __init__(self, itr=None):
        self.itr = itr
        self._has_next = itr is not None and itr.get_header() is not None
        if itr is not None:
            itr.headers_only = True

    def has_next(self):
        return self._has_next

    def next(self):
        itr = self.itr
        p = Proposal()
        try:
            hdr = itr.get_header()
            p.packet = QuorumPacket(PROPOSAL, hdr.zxid, itr.entry_bytes, None)
            p.request = None
            # This is the only place that can throw IO exception
            self._has_next = itr.next()
        except (OSError, EOFError) as e:
            LOG.error("Unable to read txnlog from disk", exc_info=e)
            self._has_next = False
        return p

    def skip_to(self, zxid):
        """Pass over the txns below zxid without making proposals of them (their entries are
        still checked); returns the zxid of the last one passed over, or -1 if none."""
        itr = self.itr
        hdr = itr.get_header() if self._has_next else None
        if hdr is None or hdr.zxid >= zxid:
            return -1
        itr.last_skipped_zxid = None
        prev = hdr.zxid
        try:
            self._has_next = itr.next(skip_below=zxid)
        except (OSError, EOFError) as e:
            LOG.error("Unable to read txnlog from disk", exc_info=e)
            self._has_next = False
        return prev if itr.last_skipped_zxid is None else itr.last_skipped_zxid

    def __iter__(self):
        return self

    def __next__(self):
        if not self._has_next:
            raise StopIteration
        return self.next()

    def remove(self):
        raise NotImplementedError("remove")

    def close(self):
        if self.itr is not None:
            try:
                self.itr.close()
            except OSError as e:
                LOG.warning("Error closing file iterator", exc_info=e)


TxnLogProposalIterator.EMPTY_ITERATOR = TxnLogProposalIterator()
