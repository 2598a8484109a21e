"""How long a leader takes to find a learner's place in its txn log: the walk LearnerHandler's
syncFollower makes when the learner is behind the committed log (500 txns) but within the log.

It writes a log of --txns setData txns of --size bytes, then times, --rounds times, what the
leader does under its log lock before the learner hears anything: open the log file holding the
learner's zxid, pass over the txns the learner has (their CRCs checked), and make PROPOSALs of
the --behind txns it lacks. The learner gives up after initLimit × tickTime.

    python bench/bench_txn_log_sync.py --txns 100000 --behind 2000 --size 1024

Java's walk cannot be timed alone (it runs inside LearnerHandler); the comparison is between
interpreters and commits of ours. Prints one line a round and the median.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from zookeeper_py.server.persistence.file_txn_log import FileTxnLog  # noqa: E402
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog  # noqa: E402
from zookeeper_py.server.zk_database import ZKDatabase  # noqa: E402
from zookeeper_py.txn import SetDataTxn, TxnHeader  # noqa: E402
from zookeeper_py.zoo_defs import OpCode  # noqa: E402

EPOCH = 1 << 32


def write_log(data_dir, txns, size):
    log_dir = os.path.join(data_dir, "version-2")
    os.makedirs(log_dir)
    log = FileTxnLog(log_dir)
    data = b"x" * size
    for i in range(1, txns + 1):
        log.append(TxnHeader(1, i, EPOCH + i, 0, OpCode.setData), SetDataTxn("/n%d" % (i % 100), data, i))
        if i % 1000 == 0:
            log.commit()
    log.commit()
    log.close()


def walk(db, learner_zxid):
    """(seconds, proposals made) for one syncFollower walk from learner_zxid."""
    start = time.perf_counter()
    itr = db.get_proposals_from_txn_log(learner_zxid, 1 << 40)
    try:
        skip_to = getattr(itr, "skip_to", None)  # older commits walk every txn as a proposal
        if skip_to is not None:
            skip_to(learner_zxid)
        made = sum(1 for p in itr if p.packet.zxid > learner_zxid)
    finally:
        itr.close()
    return time.perf_counter() - start, made


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txns", type=int, default=100000)
    parser.add_argument("--behind", type=int, default=2000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="bench-txn-log-sync-")
    try:
        write_log(data_dir, args.txns, args.size)
        db = ZKDatabase(FileTxnSnapLog(data_dir, data_dir))
        learner_zxid = EPOCH + args.txns - args.behind
        times = []
        for r in range(args.rounds):
            seconds, made = walk(db, learner_zxid)
            if made != args.behind:
                sys.exit("round %d made %d proposals, not %d" % (r, made, args.behind))
            times.append(seconds)
            print("round %d: %.3f s, %d proposals" % (r, seconds, made))
        print("%s: median %.3f s to walk %d txns of %d bytes for a learner %d behind"
              % (sys.implementation.name, statistics.median(times), args.txns, args.size, args.behind))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
