"""Mirror of org.apache.zookeeper.server.persistence.TxnLog: the interface of a txn log."""


class TxnLog:
    """Mirror of org.apache.zookeeper.server.persistence.TxnLog."""

    def set_server_stats(self, server_stats):
        raise NotImplementedError

    def roll_log(self):
        """Start a new log file on the next append."""
        raise NotImplementedError

    def append(self, hdr, r, digest=None):
        """Append one txn; returns True when something was appended."""
        raise NotImplementedError

    def read(self, zxid):
        """A TxnIterator positioned at the first txn with a zxid >= `zxid`."""
        raise NotImplementedError

    def get_last_logged_zxid(self):
        raise NotImplementedError

    def truncate(self, zxid):
        """Drop every txn after `zxid`."""
        raise NotImplementedError

    def get_db_id(self):
        raise NotImplementedError

    def commit(self):
        """Make every appended txn durable."""
        raise NotImplementedError

    def get_txn_log_sync_elapsed_time(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TxnIterator:
    """Mirror of org.apache.zookeeper.server.persistence.TxnLog.TxnIterator."""

    def get_header(self):
        raise NotImplementedError

    def get_txn(self):
        raise NotImplementedError

    def next(self):
        """Move to the next txn; False when there is none."""
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def get_storage_size(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
