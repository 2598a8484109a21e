"""Mirror of org.apache.zookeeper.server.ServerCnxnFactory."""

import logging
import threading

from zookeeper_py.common import system_properties

LOG = logging.getLogger("ServerCnxnFactory")

ZOOKEEPER_SERVER_CNXN_FACTORY = "zookeeper.serverCnxnFactory"
NIO_SERVER_CNXN_FACTORY = "org.apache.zookeeper.server.NIOServerCnxnFactory"
NETTY_SERVER_CNXN_FACTORY = "org.apache.zookeeper.server.NettyServerCnxnFactory"
# 3.6's NettyServerCnxnFactory.PORT_UNIFICATION_KEY (zoo.cfg: client.portUnification): the plain
# client port also takes TLS clients.
PORT_UNIFICATION_KEY = "zookeeper.client.portUnification"


class _CloseConn:
    """ServerCnxnFactory.closeConn: queued after a reply, it closes the connection once sent."""

    def __len__(self):
        return 0

    def __repr__(self):
        return "closeConn"


CLOSE_CONN = _CloseConn()


class ServerCnxnFactory:
    """Mirror of org.apache.zookeeper.server.ServerCnxnFactory: listens on the client port."""

    closeConn = CLOSE_CONN

    def __init__(self):
        self.secure = False
        self.zk_server = None
        self.cnxns = set()
        self.cnxns_lock = threading.Lock()

    def get_num_alive_connections(self):
        return len(self.cnxns)

    def get_zoo_keeper_server(self):
        return self.zk_server

    def set_zoo_keeper_server(self, zks):
        self.zk_server = zks
        if zks is not None:
            if self.secure:
                zks.set_secure_server_cnxn_factory(self)
            else:
                zks.set_server_cnxn_factory(self)

    def is_secure(self):
        return self.secure

    def get_connections(self):
        with self.cnxns_lock:
            return list(self.cnxns)

    def startup(self, zk_server, start_server=True):
        raise NotImplementedError

    # Connection beans are JMX plumbing with no Python meaning.
    def register_connection(self, cnxn):
        pass

    def unregister_connection(self, cnxn):
        pass

    @staticmethod
    def create_factory(addr=None, max_client_cnxns=60):
        """ServerCnxnFactory.createFactory: the NIO factory unless zookeeper.serverCnxnFactory says otherwise."""
        name = system_properties.get_property(ZOOKEEPER_SERVER_CNXN_FACTORY)
        from zookeeper_py.server.nio_server_cnxn_factory import NIOServerCnxnFactory

        factory = NIOServerCnxnFactory()
        if name == NETTY_SERVER_CNXN_FACTORY:
            # Tools that launch Java ask for Netty because Java's NIO factory cannot do TLS; ours can.
            LOG.info("Using org.apache.zookeeper.server.NIOServerCnxnFactory as server connection factory: it "
                     "serves what %s would (plaintext, TLS, port unification) on selector threads", name)
        elif name and name != NIO_SERVER_CNXN_FACTORY:
            raise ValueError("%s=%s: zookeeper_py has %s (which also does what %s does)" % (
                "serverCnxnFactory", name, NIO_SERVER_CNXN_FACTORY, NETTY_SERVER_CNXN_FACTORY))
        else:
            LOG.info("Using org.apache.zookeeper.server.NIOServerCnxnFactory as server connection factory")
        if addr is not None:
            factory.configure(addr, max_client_cnxns)
        return factory
