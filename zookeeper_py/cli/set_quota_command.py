"""Mirror of org.apache.zookeeper.cli.SetQuotaCommand (3.8's, with the -N/-B hard limits)."""

import logging
import sys

from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Option, OptionGroup, Options
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import KeeperException, NodeExistsException, NoNodeException
from zookeeper_py.quotas import Quotas
from zookeeper_py.stats_track import StatsTrack
from zookeeper_py.zk_util import ZKUtil
from zookeeper_py.zoo_defs import Ids

LOG = logging.getLogger("SetQuotaCommand")


def _java_long(text):
    text = text.strip() if text is not None else ""
    if not text or not text.lstrip("+-").isdigit() or text.count("-") + text.count("+") > 1:
        raise ValueError(text)
    return int(text)


class SetQuotaCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.SetQuotaCommand: `setquota -n|-b|-N|-B val path`."""

    min_args = 2

    def __init__(self):
        super().__init__("setquota", "-n|-b|-N|-B val path")
        group = OptionGroup()
        group.add_option(Option("n", True, "num soft quota"))
        group.add_option(Option("b", True, "bytes soft quota"))
        group.add_option(Option("N", True, "num hard quota"))
        group.add_option(Option("B", True, "bytes hard quota"))
        group.set_required(True)
        self.options = Options().add_option_group(group)

    def exec(self):
        path = self.args[1]
        if path.startswith(Quotas.quotaZookeeper):
            self.eprintln("cannot set a quota under the path: " + Quotas.quotaZookeeper)
            return False
        quota = StatsTrack()
        quota.set_count(-1)
        quota.set_bytes(-1)
        quota.set_count_hard_limit(-1)
        quota.set_byte_hard_limit(-1)
        if not self.check_option_value(quota):
            return False
        if any(self.cl.has_option(o) for o in "nNbB"):
            try:
                self.create_quota(self.zk, path, quota, self.out)
            except ValueError as ex:
                raise MalformedPathException(str(ex)) from None
            except KeeperException as ex:
                raise CliWrapperException(ex) from None
        else:
            self.eprintln(self.get_usage_str())
        return False

    def check_option_value(self, quota):
        try:
            for opt, setter, is_count in (("n", quota.set_count, True), ("b", quota.set_bytes, False),
                                          ("N", quota.set_count_hard_limit, True),
                                          ("B", quota.set_byte_hard_limit, False)):
                if not self.cl.has_option(opt):
                    continue
                value = _java_long(self.cl.get_option_value(opt))
                if is_count and not -(1 << 31) <= value < (1 << 31):
                    raise ValueError(value)
                if is_count and value <= 0:
                    self.eprintln("the num quota must be greater than zero")
                    return False
                if not is_count and value < 0:
                    self.eprintln("the bytes quota must be greater than or equal to zero")
                    return False
                setter(value)
        except ValueError:
            self.eprintln("NumberFormatException happens when parsing the option value")
            return False
        return True

    @staticmethod
    def create_quota(zk, path, quota, out=None):
        out = out or sys.stdout
        try:
            init_stat = zk.exists(path, False)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        if init_stat is None:
            raise ValueError(path + " does not exist.")
        quota_path = Quotas.quotaZookeeper
        SetQuotaCommand.check_if_child_quota(zk, path)
        SetQuotaCommand.check_if_parent_quota(zk, path)
        if zk.exists(quota_path, False) is None:
            try:
                zk.create(Quotas.procZookeeper, None, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
                zk.create(Quotas.quotaZookeeper, None, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
            except NodeExistsException:
                pass  # the nodes already exist
        for part in path.split("/")[1:]:
            quota_path += "/" + part
            if zk.exists(quota_path, False) is None:
                try:
                    zk.create(quota_path, None, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
                except NodeExistsException:
                    pass
        stat_path = quota_path + "/" + Quotas.statNode
        quota_path = quota_path + "/" + Quotas.limitNode
        if zk.exists(quota_path, False) is None:
            zk.create(quota_path, quota.get_stats_bytes(), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
            stats = StatsTrack()
            stats.set_count(0)
            stats.set_bytes(0)
            zk.create(stat_path, stats.get_stats_bytes(), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
            quota_strack = StatsTrack(zk.get_data(quota_path, False, Stat()))
            stat_strack = StatsTrack(zk.get_data(stat_path, False, Stat()))
            SetQuotaCommand.check_quota(quota_strack, stat_strack, out)
        else:
            quota_strack = StatsTrack(zk.get_data(quota_path, False, Stat()))
            if quota.get_count() > -1:
                quota_strack.set_count(quota.get_count())
            if quota.get_bytes() > -1:
                quota_strack.set_bytes(quota.get_bytes())
            if quota.get_count_hard_limit() > -1:
                quota_strack.set_count_hard_limit(quota.get_count_hard_limit())
            if quota.get_byte_hard_limit() > -1:
                quota_strack.set_byte_hard_limit(quota.get_byte_hard_limit())
            stat_strack = StatsTrack(zk.get_data(stat_path, False, Stat()))
            SetQuotaCommand.check_quota(quota_strack, stat_strack, out)
            zk.set_data(quota_path, quota_strack.get_stats_bytes(), -1)
        return True

    @staticmethod
    def check_quota(quota_strack, stat_strack, out):
        if ((quota_strack.get_count() > -1 and quota_strack.get_count() < stat_strack.get_count())
                or (quota_strack.get_count_hard_limit() > -1
                    and quota_strack.get_count_hard_limit() < stat_strack.get_count())):
            out.write("[Warning]: the count quota you create is less than the existing count:%d\n"
                      % stat_strack.get_count())
        if ((quota_strack.get_bytes() > -1 and quota_strack.get_bytes() < stat_strack.get_bytes())
                or (quota_strack.get_byte_hard_limit() > -1
                    and quota_strack.get_byte_hard_limit() < stat_strack.get_bytes())):
            out.write("[Warning]: the bytes quota you create is less than the existing bytes:%d\n"
                      % stat_strack.get_bytes())

    @staticmethod
    def check_if_child_quota(zk, path):
        real_path = Quotas.quotaZookeeper + path

        def visit(rc, quota_path, ctx, name):
            try:
                children = zk.get_children(quota_path, False)
            except NoNodeException:
                LOG.debug("child removed during quota check")
                return
            for child in children:
                if quota_path != Quotas.quotaZookeeper + path and child == Quotas.limitNode:
                    raise ValueError("%s has a child %s which has a quota"
                                     % (path, quota_path[len(Quotas.quotaZookeeper):]))

        try:
            ZKUtil.visit_sub_tree_dfs(zk, real_path, False, visit)
        except NoNodeException:
            pass  # no quotas below this path

    @staticmethod
    def check_if_parent_quota(zk, path):
        splits = path.split("/")
        quota_path = Quotas.quotaZookeeper
        for part in splits[1:-1]:
            quota_path += "/" + part
            try:
                children = zk.get_children(quota_path, False)
            except NoNodeException:
                LOG.debug("child removed during quota check")
                return
            if not children:
                return
            for child in children:
                if quota_path != Quotas.quotaZookeeper + path and child == Quotas.limitNode:
                    raise ValueError("%s has a parent %s which has a quota"
                                     % (path, quota_path[len(Quotas.quotaZookeeper):]))
