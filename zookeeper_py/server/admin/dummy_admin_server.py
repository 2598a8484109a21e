"""Mirror of org.apache.zookeeper.server.admin.DummyAdminServer."""

from zookeeper_py.server.admin.admin_server import AdminServer


class DummyAdminServer(AdminServer):
    """Mirror of org.apache.zookeeper.server.admin.DummyAdminServer: an AdminServer that does nothing.

    Used when zookeeper.admin.enableServer=false, so callers never need to check.
    """

    def start(self):
        pass

    def shutdown(self):
        pass

    def set_zoo_keeper_server(self, zk_server):
        pass
