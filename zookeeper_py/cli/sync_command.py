"""Mirror of org.apache.zookeeper.cli.SyncCommand."""

import threading

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException

SYNC_TIMEOUT = 30.0  # seconds


class SyncCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.SyncCommand: `sync path` (async sync, waits up to 30 s)."""

    options = Options()
    min_args = 2

    def __init__(self):
        super().__init__("sync", "path")

    def exec(self):
        path = self.args[1]
        done = threading.Event()
        result = []

        def cb(rc, path1, ctx):
            result.append(rc)
            done.set()

        try:
            self.zk.sync(path, cb, None)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        if not done.wait(SYNC_TIMEOUT):
            raise CliWrapperException(TimeoutError("java.util.concurrent.TimeoutException"))
        if result[0] == 0:
            self.println("Sync is OK")
        else:
            self.println("Sync has failed. rc=%d" % result[0])
        return False
