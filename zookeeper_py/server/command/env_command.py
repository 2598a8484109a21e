"""Mirror of org.apache.zookeeper.server.command.EnvCommand."""

from zookeeper_py.environment import Environment
from zookeeper_py.server.command.abstract_four_letter_command import AbstractFourLetterCommand


class EnvCommand(AbstractFourLetterCommand):
    """Mirror of org.apache.zookeeper.server.command.EnvCommand (envi)."""

    def command_run(self):
        self.println("Environment:")
        for key, value in Environment.list():
            self.println("%s=%s" % (key, value))
