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
    """

    def __init__(self, itr=None):
        self.itr = itr
        self._has_next = itr is not None and itr.get_header() is not None

    def has_next(self):
        return self._has_next

    def next(self):
        itr = self.itr
        p = Proposal()
        try:
            hdr = itr.get_header()
            data = _marshall(hdr, itr.get_txn())
            p.packet = QuorumPacket(PROPOSAL, hdr.zxid, data, None)
            p.request = None
            # This is the only place that can throw IO exception
            self._has_next = itr.next()
        except (OSError, EOFError) as e:
            LOG.error("Unable to read txnlog from disk", exc_info=e)
            self._has_next = False
        return p

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


def _marshall(hdr, txn):
    out = bytearray()
    hdr.encode_into(out)
    if txn is not None:
        txn.encode_into(out)
    return bytes(out)


TxnLogProposalIterator.EMPTY_ITERATOR = TxnLogProposalIterator()
