"""Mirror of org.apache.zookeeper.admin.ZooKeeperAdmin: a ZooKeeper that can reconfigure."""

import logging

from zookeeper_py import async_callback
from zookeeper_py.async_callback import is_callback
from zookeeper_py.keeper_exception import KeeperException
from zookeeper_py.proto import GetDataResponse, ReconfigRequest
from zookeeper_py.zoo_defs import OpCode, ZooDefs
from zookeeper_py.zookeeper import ZooKeeper, _copy_stat

LOG = logging.getLogger("ZooKeeperAdmin")


def _join(servers):
    """StringUtils.joinStrings(list, ","), and None stays None."""
    if servers is None or isinstance(servers, str):
        return servers
    return ",".join(servers)


class ZooKeeperAdmin(ZooKeeper):
    """Mirror of org.apache.zookeeper.admin.ZooKeeperAdmin."""

    def reconfigure(self, joining_servers, leaving_servers, new_members, from_config, stat_or_cb=None, ctx=None):
        """reconfig (opcode 16); returns the new config bytes, or with a DataCallback the
        result arrives as cb(rc, "/zookeeper/config", ctx, data, stat)."""
        request = ReconfigRequest(_join(joining_servers), _join(leaving_servers), _join(new_members), from_config)
        if is_callback(stat_or_cb):
            self.cnxn.queue_packet(OpCode.reconfig, request, GetDataResponse, async_callback.as_function(stat_or_cb),
                                   ZooDefs.CONFIG_NODE, ZooDefs.CONFIG_NODE, ctx, None)
            return None
        r, response = self.cnxn.submit_request(OpCode.reconfig, request, GetDataResponse, None)
        if r.err != 0:
            raise KeeperException.create(r.err, "")
        _copy_stat(response.stat, stat_or_cb)
        return response.data
