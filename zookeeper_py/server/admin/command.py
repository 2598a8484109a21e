"""Mirror of org.apache.zookeeper.server.admin.Command: what JettyAdminServer can run."""


class Command:
    """Mirror of org.apache.zookeeper.server.admin.Command.

    run(zk_server, kwargs) returns a CommandResponse holding at least "command" (the
    primary name) and "error" (None or a message); errors go there, not into exceptions.
    """

    def get_names(self):
        """Every name the command answers to, e.g. configuration, conf and config."""
        raise NotImplementedError

    def get_primary_name(self):
        """The name given in the response and in the list of commands."""
        raise NotImplementedError

    def get_doc(self):
        raise NotImplementedError

    def is_server_required(self):
        """3.6+: whether the command needs a running ZooKeeperServer (all 3.5.7 commands do)."""
        raise NotImplementedError

    def run(self, zk_server, kwargs):
        raise NotImplementedError
