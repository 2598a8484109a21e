"""Mirror of org.apache.zookeeper.server.admin.AdminServer: the embedded HTTP server that runs Commands."""


class AdminServerException(Exception):
    """Mirror of org.apache.zookeeper.server.admin.AdminServer.AdminServerException."""

    JAVA_NAME = "org.apache.zookeeper.server.admin.AdminServer$AdminServerException"

    def to_java_string(self):
        """Throwable.toString(), which QuorumPeer.start prints to stdout."""
        return "%s: %s" % (self.JAVA_NAME, self)


class AdminServer:
    """Mirror of org.apache.zookeeper.server.admin.AdminServer.

    JettyAdminServer is the working implementation; DummyAdminServer does nothing and
    stands in when the server is disabled.
    """

    AdminServerException = AdminServerException

    def start(self):
        raise NotImplementedError

    def shutdown(self):
        raise NotImplementedError

    def set_zoo_keeper_server(self, zk_server):
        raise NotImplementedError
