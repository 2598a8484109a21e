"""Mirror of org.apache.zookeeper.server.admin.CommandBase."""

from zookeeper_py.server.admin.command import Command
from zookeeper_py.server.admin.command_response import CommandResponse


class CommandBase(Command):
    """Mirror of org.apache.zookeeper.server.admin.CommandBase: names (primary first), doc, a fresh response."""

    def __init__(self, names, server_required=True, doc=None):
        self.primary_name = names[0]
        self.names = frozenset(names)
        self.doc = doc
        self.server_required = server_required

    def get_primary_name(self):
        return self.primary_name

    def get_names(self):
        return self.names

    def get_doc(self):
        return self.doc

    def is_server_required(self):
        return self.server_required

    def initialize_response(self):
        """A response with the command set to the primary name and no error."""
        return CommandResponse(self.primary_name)
