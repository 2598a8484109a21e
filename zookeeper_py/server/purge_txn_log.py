"""Mirror of org.apache.zookeeper.server.PurgeTxnLog: delete old snapshots and txn logs.

Keeps the `count` newest valid snapshots and the logs needed to replay from the oldest of
them; deletes every older snapshot.* and log.* file.

    python -m zookeeper_py.server.purge_txn_log dataLogDir [snapDir] -n count
"""

import datetime
import logging
import os
import sys

from zookeeper_py.common import system_properties
from zookeeper_py.common.java_integer import parse_int
from zookeeper_py.server.persistence.file_txn_snap_log import FileTxnSnapLog
from zookeeper_py.server.persistence.util import Util

LOG = logging.getLogger("PurgeTxnLog")

COUNT_ERR_MSG = "count should be greater than or equal to 3"
PREFIX_SNAPSHOT = "snapshot"
PREFIX_LOG = "log"


def format_medium_date_time(ms):
    """DateFormat.getDateTimeInstance() in en_US: Nov 28, 2026, 6:24:18 PM."""
    d = datetime.datetime.fromtimestamp(ms / 1000.0)
    return "%s %d, %d, %d:%02d:%02d %s" % (
        d.strftime("%b"), d.day, d.year, d.hour % 12 or 12, d.minute, d.second, "AM" if d.hour < 12 else "PM")


class PurgeTxnLog:
    """Mirror of org.apache.zookeeper.server.PurgeTxnLog."""

    @staticmethod
    def print_usage():
        print("Usage:")
        print("PurgeTxnLog dataLogDir [snapDir] -n count")
        print("\tdataLogDir -- path to the txn log directory")
        print("\tsnapDir -- path to the snapshot directory")
        print("\tcount -- the number of old snaps/logs you want to keep, value should be greater than or equal to 3")

    @staticmethod
    def purge(data_dir, snap_dir, num):
        """Keep the `num` newest valid snapshots (num >= 3) and the logs they need; delete the rest.

        Valid, as Java 3.8 counts them (3.5.7 counted any snapshot.* file): torn or truncated
        snapshots, which a full disk leaves, must not push out the last ones a restore can use."""
        if num < 3:
            raise ValueError(COUNT_ERR_MSG)
        txn_log = FileTxnSnapLog(data_dir, snap_dir)
        snaps = txn_log.find_n_valid_snapshots(num)
        if snaps:
            PurgeTxnLog.purge_older_snapshots(txn_log, snaps[-1])

    @staticmethod
    def purge_older_snapshots(txn_log, snap_shot):
        least_zxid_to_be_retain = Util.get_zxid_from_name(os.path.basename(snap_shot), PREFIX_SNAPSHOT)
        retained_txn_logs = set(txn_log.get_snapshot_logs(least_zxid_to_be_retain))

        def accept(path, prefix):
            name = os.path.basename(path)
            if not name.startswith(prefix + "."):
                return False
            if path in retained_txn_logs:
                return False
            return Util.get_zxid_from_name(name, prefix) < least_zxid_to_be_retain

        files = []
        for directory, prefix in ((txn_log.get_data_dir(), PREFIX_LOG), (txn_log.get_snap_dir(), PREFIX_SNAPSHOT)):
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            files.extend(p for p in (os.path.join(directory, n) for n in names) if accept(p, prefix))

        # remove the old files
        for f in files:
            try:
                mtime_ms = int(os.path.getmtime(f) * 1000)
            except OSError:
                mtime_ms = 0
            msg = "Removing file: " + format_medium_date_time(mtime_ms) + "\t" + f
            LOG.info(msg)
            print(msg)
            try:
                os.remove(f)
            except OSError:
                print("Failed to remove " + f, file=sys.stderr)

    @staticmethod
    def main(args):
        if len(args) < 3 or len(args) > 4:
            print_usage_then_exit()
        data_dir = validate_and_get_file(args[0])
        snap_dir = data_dir
        if len(args) == 3:
            count_option = args[1]
            num = validate_and_get_count(args[2])
        else:
            snap_dir = validate_and_get_file(args[1])
            count_option = args[2]
            num = validate_and_get_count(args[3])
        if count_option != "-n":
            print_usage_then_exit()
        PurgeTxnLog.purge(data_dir, snap_dir, num)


def validate_and_get_file(path):
    if not os.path.exists(path):
        print("Path '%s' does not exist. " % os.path.abspath(path), file=sys.stderr)
        print_usage_then_exit()
    return path


def validate_and_get_count(number):
    try:
        result = parse_int(number)
    except ValueError:
        print("'%s' can not be parsed to integer." % number, file=sys.stderr)
        print_usage_then_exit()
    if result < 3:
        print(COUNT_ERR_MSG, file=sys.stderr)
        print_usage_then_exit()
    return result


def print_usage_then_exit():
    PurgeTxnLog.print_usage()
    sys.stdout.flush()
    sys.exit(1)


def main(argv=None):
    # lazy: click serves this command line only; the server imports PurgeTxnLog for its purge task
    import click

    # Java's arguments are positional, "-n" included, so click hands them over untouched.
    @click.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args):
        # the -D flags Java's script passes to the JVM
        system_properties.load_from_environment(("JVMFLAGS",))
        PurgeTxnLog.main(list(args))

    command.main(list(sys.argv[1:] if argv is None else argv), prog_name="PurgeTxnLog", standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
