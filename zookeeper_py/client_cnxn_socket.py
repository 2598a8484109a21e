"""Mirror of org.apache.zookeeper.ClientCnxnSocket: what every client socket layer shares.

Frame bookkeeping (length check, the connect reply), the idle clocks the SendThread
reads to decide on pings and timeouts, and the sent/received counters.
"""

import logging
import time

from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.proto import ConnectResponse

LOG = logging.getLogger("ClientCnxnSocket")


def current_elapsed_time():
    """Time.currentElapsedTime: monotonic milliseconds."""
    return time.monotonic_ns() // 1_000_000


class ClientCnxnSocket:
    """Mirror of org.apache.zookeeper.ClientCnxnSocket."""

    def __init__(self, client_config):
        self.client_config = client_config
        self.initialized = False
        self.sent_count = 0
        self.recv_count = 0
        self.last_heard = 0
        self.last_send = 0
        self.now = 0
        self.send_thread = None
        self.outgoing_queue = None
        self.session_id = 0
        self.packet_len = ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT
        self.init_properties()

    def introduce(self, send_thread, session_id, outgoing_queue):
        self.send_thread = send_thread
        self.session_id = session_id
        self.outgoing_queue = outgoing_queue

    def update_now(self):
        self.now = current_elapsed_time()

    def get_idle_recv(self):
        return self.now - self.last_heard

    def get_idle_send(self):
        return self.now - self.last_send

    def get_sent_count(self):
        return self.sent_count

    def get_recv_count(self):
        return self.recv_count

    def update_last_heard(self):
        self.last_heard = self.now

    def update_last_send(self):
        self.last_send = self.now

    def update_last_send_and_heard(self):
        self.last_send = self.now
        self.last_heard = self.now

    def check_length(self, length):
        """readLength's check of a frame's length prefix."""
        if length < 0 or length > self.packet_len:
            raise IOError("Packet len %d is out of range!" % length)

    def read_connect_result(self, buf, start, end):
        """The first frame: ConnectResponse, then the readOnly byte if the server sent one."""
        con_rsp, pos = ConnectResponse.decode(buf, start)
        is_ro = False
        if pos < end:
            is_ro = buf[pos] != 0
        else:
            LOG.warning("Connected to an old server; r-o mode will be unavailable")
        self.session_id = con_rsp.sessionId
        self.send_thread.on_connected(con_rsp.timeOut, self.session_id, con_rsp.passwd, is_ro)

    def init_properties(self):
        try:
            self.packet_len = self.client_config.get_int(
                ZKClientConfig.JUTE_MAXBUFFER, ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT)
            LOG.info("%s value is %d Bytes", ZKClientConfig.JUTE_MAXBUFFER, self.packet_len)
        except ValueError:
            msg = "Configured value %s for property %s can not be parsed to int" % (
                self.client_config.get_property(ZKClientConfig.JUTE_MAXBUFFER), ZKClientConfig.JUTE_MAXBUFFER)
            LOG.error(msg)
            raise IOError(msg) from None

    # -- implemented by ClientCnxnSocketNIO --

    def is_connected(self):
        raise NotImplementedError

    def connect(self, addr):
        raise NotImplementedError

    def get_remote_socket_address(self):
        raise NotImplementedError

    def get_local_socket_address(self):
        raise NotImplementedError

    def cleanup(self):
        raise NotImplementedError

    def packet_added(self):
        raise NotImplementedError

    def on_closing(self):
        raise NotImplementedError

    def connection_primed(self):
        raise NotImplementedError

    def do_transport(self, wait_timeout, pending_queue, cnxn):
        raise NotImplementedError

    def testable_close_socket(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def send_packet(self, p):
        raise NotImplementedError
