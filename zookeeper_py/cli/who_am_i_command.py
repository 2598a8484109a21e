"""Mirror of org.apache.zookeeper.cli.WhoAmICommand (3.7+)."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException


class WhoAmICommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.WhoAmICommand: `whoami`."""

    def __init__(self):
        super().__init__("whoami", "")

    def parse(self, cmd_args):
        return self

    def exec(self):
        try:
            client_infos = self.zk.who_am_i()
            self.println("Auth scheme: User")
            for info in client_infos or ():
                self.println("%s: %s" % (info.authScheme, info.user))
        except Exception as ex:
            raise CliWrapperException(ex) from None
        return False
