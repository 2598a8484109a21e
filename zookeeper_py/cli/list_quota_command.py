"""Mirror of org.apache.zookeeper.cli.ListQuotaCommand."""

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException, NoNodeException
from zookeeper_py.quotas import Quotas
from zookeeper_py.stats_track import StatsTrack


def limit_path(path):
    """Quotas.limitPath (3.7+ name)."""
    return Quotas.quotaZookeeper + path + "/" + Quotas.limitNode


def stat_path(path):
    """Quotas.statPath."""
    return Quotas.quotaZookeeper + path + "/" + Quotas.statNode


class ListQuotaCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.ListQuotaCommand: `listquota path`."""

    options = Options()
    min_args = 2

    def __init__(self):
        super().__init__("listquota", "path")

    def exec(self):
        path = self.args[1]
        try:
            self.eprintln("absolute path is " + limit_path(path))
            for i, st in enumerate(self.list_quota(self.zk, path)):
                self.println("Output %s for %s %s" % ("quota" if i == 0 else "stat", path, st))
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except NoNodeException:
            self.eprintln("quota for " + path + " does not exist.")
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False

    @staticmethod
    def list_quota(zk, path):
        stat = Stat()
        data = zk.get_data(limit_path(path), False, stat)
        tracks = [StatsTrack(data)]
        data = zk.get_data(stat_path(path), False, stat)
        tracks.append(StatsTrack(data))
        return tracks
