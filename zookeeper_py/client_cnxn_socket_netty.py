"""Mirror of org.apache.zookeeper.ClientCnxnSocketNetty: the client socket that can speak TLS."""

import logging

from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.client_cnxn_socket_nio import _LEN_HDR, ClientCnxnSocketNIO
from zookeeper_py.common.client_x509_util import ClientX509Util
from zookeeper_py.common.ssl_handler import SslHandler

LOG = logging.getLogger("ClientCnxnSocketNetty")


class ClientCnxnSocketNetty(ClientCnxnSocketNIO):
    """Mirror of org.apache.zookeeper.ClientCnxnSocketNetty.

    Java's is built on Netty because Java's NIO socket cannot do TLS. Ours is the NIO socket
    with an SslHandler between it and the packets when zookeeper.client.secure is true: the
    TLS handshake runs in the SendThread's select loop, the ConnectRequest waits for it. The
    SSL context is built here, from the zookeeper.ssl.* keys of the client config, so a client
    asked for TLS it cannot set up fails when it is created, never falling back to plaintext.
    """

    def __init__(self, client_config):
        super().__init__(client_config)
        self.tls = None
        self.ssl_context = None
        self.secure = client_config.get_boolean(ZKClientConfig.SECURE_CLIENT)
        if self.secure:
            x509_util = ClientX509Util(client_config)
            x509_util.check_config()
            self.ssl_context = x509_util.create_ssl_context(server_side=False)
        self.server_host = None

    def connect(self, addr):
        self.server_host = addr.get_host_string() or addr.get_address()
        super().connect(addr)

    def connected(self):
        if self.ssl_context is None:
            return
        self.tls = self.io = SslHandler(self.sock, self.ssl_context, server_side=False,
                                        server_hostname=self.server_host)
        self.tls.start_handshake()
        self._set_write_interest(self.tls.wants_write())

    def _do_write(self, pending_queue, cnxn):
        tls = self.tls
        if tls is not None and not tls.ready():
            # The ConnectRequest waits for the handshake; only handshake records go out.
            tls.flush()
            self._set_write_interest(tls.wants_write())
            return
        super()._do_write(pending_queue, cnxn)

    def io_wants_write(self):
        return self.tls is not None and self.tls.wants_write()

    def send_packet(self, p):
        if self.tls is None:
            return super().send_packet(p)
        # Through the TLS records, after what is already framed; do_transport writes it.
        p.create_bb()
        _LEN_HDR.pack_into(p.bb, 0, len(p.bb) - 4, p.xid, p.type)
        self._outbuf += p.bb

    def cleanup(self):
        if self.tls is not None:
            self.tls.close()
            self.tls = None
        super().cleanup()
