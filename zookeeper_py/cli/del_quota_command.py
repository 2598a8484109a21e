"""Mirror of org.apache.zookeeper.cli.DelQuotaCommand (3.8's, with -N/-B)."""

import sys

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Option, OptionGroup, Options
from zookeeper_py.cli.list_quota_command import limit_path
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException, NoNodeException
from zookeeper_py.quotas import Quotas
from zookeeper_py.stats_track import StatsTrack


class DelQuotaCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.DelQuotaCommand: `delquota [-n|-b|-N|-B] path`."""

    min_args = 2

    def __init__(self):
        super().__init__("delquota", "[-n|-b|-N|-B] path")
        group = OptionGroup()
        group.add_option(Option("n", False, "num soft quota"))
        group.add_option(Option("b", False, "bytes soft quota"))
        group.add_option(Option("N", False, "num hard quota"))
        group.add_option(Option("B", False, "bytes hard quota"))
        self.options = Options().add_option_group(group)

    def exec(self):
        path = self.args[1]
        quota = StatsTrack()
        if self.cl.has_option("n"):
            quota.set_count(1)
        if self.cl.has_option("b"):
            quota.set_bytes(1)
        if self.cl.has_option("N"):
            quota.set_count_hard_limit(1)
        if self.cl.has_option("B"):
            quota.set_byte_hard_limit(1)
        flag_set = any(self.cl.has_option(o) for o in "nNbB")
        try:
            self.del_quota(self.zk, path, quota if flag_set else None, self.out)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except NoNodeException:
            self.eprintln("quota for " + path + " does not exist.")
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return False

    @staticmethod
    def del_quota(zk, path, quota, out=None):
        out = out or sys.stdout
        parent_path = Quotas.quotaZookeeper + path
        quota_path = limit_path(path)
        if zk.exists(quota_path, False) is None:
            out.write("Quota does not exist for " + path + "\n")
            return True
        data = zk.get_data(quota_path, False, Stat())
        strack = StatsTrack(data)
        if quota is None:
            for child in zk.get_children(parent_path, False):
                zk.delete(parent_path + "/" + child, -1)
            DelQuotaCommand.trim_proc_quotas(zk, parent_path)
        else:
            if quota.get_count() > 0:
                strack.set_count(-1)
            if quota.get_bytes() > 0:
                strack.set_bytes(-1)
            if quota.get_count_hard_limit() > 0:
                strack.set_count_hard_limit(-1)
            if quota.get_byte_hard_limit() > 0:
                strack.set_byte_hard_limit(-1)
            zk.set_data(quota_path, strack.get_stats_bytes(), -1)
        return True

    @staticmethod
    def trim_proc_quotas(zk, path):
        """Delete the empty quota nodes from path up to /zookeeper/quota."""
        while path != Quotas.quotaZookeeper:
            if zk.get_children(path, False):
                return True
            zk.delete(path, -1)
            path = path[:path.rfind("/")]
        return True
