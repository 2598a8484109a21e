"""Mirror of org.apache.zookeeper.server.admin.CommandOutputter."""


class CommandOutputter:
    """Mirror of org.apache.zookeeper.server.admin.CommandOutputter: formats a CommandResponse."""

    def get_content_type(self):
        """The MIME type of the output, e.g. application/json."""
        raise NotImplementedError

    def output(self, response, pw):
        """Write the response to pw (anything with write(str))."""
        raise NotImplementedError
