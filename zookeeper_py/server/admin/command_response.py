"""Mirror of org.apache.zookeeper.server.admin.CommandResponse."""


class CommandResponse:
    """Mirror of org.apache.zookeeper.server.admin.CommandResponse.

    to_map() puts the data first and then "command" and "error", so Java's JSON lists
    a command's own keys before those two (unless the data sets "error" itself).
    """

    KEY_COMMAND = "command"
    KEY_ERROR = "error"

    def __init__(self, command, error=None):
        self.command = command
        self.error = error
        self.data = {}

    def get_command(self):
        return self.command

    def get_error(self):
        return self.error

    def put(self, key, value):
        prior = self.data.get(key)
        self.data[key] = value
        return prior

    def put_all(self, m):
        self.data.update(m)

    def to_map(self):
        m = dict(self.data)
        m[self.KEY_COMMAND] = self.command
        m[self.KEY_ERROR] = self.error
        m.update(self.data)
        return m
