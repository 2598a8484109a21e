"""Mirror of org.apache.zookeeper.client.HostProvider."""


class HostProvider:
    """Mirror of org.apache.zookeeper.client.HostProvider: where the client connects next."""

    def size(self):
        raise NotImplementedError

    def next(self, spin_delay):
        """The next server to try; sleeps spin_delay ms once every server has been tried."""
        raise NotImplementedError

    def on_connected(self):
        raise NotImplementedError

    def update_server_list(self, server_addresses, current_host):
        raise NotImplementedError
