"""Mirror of org.apache.zookeeper.server.command.AbstractFourLetterCommand."""

import logging

LOG = logging.getLogger("AbstractFourLetterCommand")

ZK_NOT_SERVING = "This ZooKeeper instance is not currently serving requests"


class AbstractFourLetterCommand:
    """Mirror of org.apache.zookeeper.server.command.AbstractFourLetterCommand.

    A command writes its answer to `pw` (write() of text) on the connection's I/O
    thread; then the answer is queued and the connection closed once it is sent.
    """

    def __init__(self, pw, server_cnxn):
        self.pw = pw
        self.server_cnxn = server_cnxn
        self.zk_server = None
        self.factory = None

    def start(self):
        self.run()

    def run(self):
        try:
            self.command_run()
        except Exception:
            LOG.error("Error in running command ", exc_info=True)
        finally:
            cleanup_writer_socket(self.server_cnxn, self.pw)

    def set_zk_server(self, zk_server):
        self.zk_server = zk_server

    def is_zk_server_running(self):
        return self.zk_server is not None and self.zk_server.is_running()

    def set_factory(self, factory):
        self.factory = factory

    def println(self, text=""):
        self.pw.write(str(text) + "\n")

    def command_run(self):
        raise NotImplementedError


def cleanup_writer_socket(cnxn, pw):
    """ServerCnxn.cleanupWriterSocket: flush the answer, then close the connection.

    Java's answer has been written (blocking) when it closes; ours is queued on the
    connection's non-blocking write path, so the close is queued behind it (CLOSE_CONN)."""
    try:
        if pw is not None:
            pw.close()
    except Exception:
        LOG.info("Error closing PrintWriter ", exc_info=True)
    finally:
        try:
            cnxn.send_close_session()
        except Exception:
            LOG.error("Error closing a command socket ", exc_info=True)
