"""Mirror of org.apache.zookeeper.cli.CommandFactory (3.7+), plus 3.5.7's ls2 and rmr."""

import enum
import functools

from zookeeper_py.cli.add_auth_command import AddAuthCommand
from zookeeper_py.cli.add_watch_command import AddWatchCommand
from zookeeper_py.cli.close_command import CloseCommand
from zookeeper_py.cli.create_command import CreateCommand
from zookeeper_py.cli.del_quota_command import DelQuotaCommand
from zookeeper_py.cli.delete_all_command import DeleteAllCommand
from zookeeper_py.cli.delete_command import DeleteCommand
from zookeeper_py.cli.get_acl_command import GetAclCommand
from zookeeper_py.cli.get_all_children_number_command import GetAllChildrenNumberCommand
from zookeeper_py.cli.get_command import GetCommand
from zookeeper_py.cli.get_config_command import GetConfigCommand
from zookeeper_py.cli.get_ephemerals_command import GetEphemeralsCommand
from zookeeper_py.cli.list_quota_command import ListQuotaCommand
from zookeeper_py.cli.ls2_command import Ls2Command
from zookeeper_py.cli.ls_command import LsCommand
from zookeeper_py.cli.reconfig_command import ReconfigCommand
from zookeeper_py.cli.remove_watches_command import RemoveWatchesCommand
from zookeeper_py.cli.set_acl_command import SetAclCommand
from zookeeper_py.cli.set_command import SetCommand
from zookeeper_py.cli.set_quota_command import SetQuotaCommand
from zookeeper_py.cli.stat_command import StatCommand
from zookeeper_py.cli.sync_command import SyncCommand
from zookeeper_py.cli.version_command import VersionCommand
from zookeeper_py.cli.who_am_i_command import WhoAmICommand


class CommandFactory:
    """Mirror of org.apache.zookeeper.cli.CommandFactory."""

    class Command(enum.Enum):
        """Mirror of org.apache.zookeeper.cli.CommandFactory.Command."""

        CLOSE = CloseCommand
        CREATE = CreateCommand
        DELETE = DeleteCommand
        DELETE_ALL = DeleteAllCommand
        SET = SetCommand
        GET = GetCommand
        LS = LsCommand
        GET_ACL = GetAclCommand
        SET_ACL = SetAclCommand
        STAT = StatCommand
        SYNC = SyncCommand
        SET_QUOTA = SetQuotaCommand
        LIST_QUOTA = ListQuotaCommand
        DEL_QUOTA = DelQuotaCommand
        ADD_AUTH = AddAuthCommand
        RECONFIG = ReconfigCommand
        GET_CONFIG = GetConfigCommand
        REMOVE_WATCHES = RemoveWatchesCommand
        GET_EPHEMERALS = GetEphemeralsCommand
        GET_ALL_CHILDREN_NUMBER = GetAllChildrenNumberCommand
        VERSION = VersionCommand
        ADD_WATCH = AddWatchCommand
        WHO_AM_I = WhoAmICommand
        # 3.5.7's deprecated commands, gone from 3.6.
        LS2 = Ls2Command
        RMR = functools.partial(DeleteAllCommand, "rmr")

    @staticmethod
    def get_instance(command):
        return command.value()
