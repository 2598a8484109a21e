"""Mirror of org.apache.zookeeper.server.admin.AdminServerFactory."""

from zookeeper_py.common import system_properties
from zookeeper_py.server.admin.dummy_admin_server import DummyAdminServer


class AdminServerFactory:
    """Mirror of org.apache.zookeeper.server.admin.AdminServerFactory.

    Java loads JettyAdminServer by reflection so Jetty may be left off the classpath;
    the HTTP server here is in the standard library, so that case does not arise.
    """

    @staticmethod
    def create_admin_server():
        # Only the exact string "false" disables it, as Java's "false".equals(...).
        if system_properties.get_property("zookeeper.admin.enableServer") != "false":
            # lazy: the HTTP server and the commands are loaded only when the AdminServer is enabled
            from zookeeper_py.server.admin.jetty_admin_server import JettyAdminServer

            return JettyAdminServer()
        return DummyAdminServer()
