"""Mirror of org.apache.zookeeper.ZKUtil: recursive delete, subtree walks, perm strings."""

import collections
import logging
import os
import threading

from zookeeper_py.common.path_utils import PathUtils
from zookeeper_py.keeper_exception import Code, NoNodeException
from zookeeper_py.op import Op
from zookeeper_py.zoo_defs import Perms

LOG = logging.getLogger("ZKUtil")

_PERM_CACHE = {}


class ZKUtil:
    """Mirror of org.apache.zookeeper.ZKUtil."""

    @staticmethod
    def delete_recursive(zk, path_root, batch_size_or_cb=1000, ctx=None):
        """deleteRecursive(zk, root[, batchSize]) -> bool, or (zk, root, VoidCallback, ctx).

        The batched form deletes leaves first with multi() of batch_size deletes, at most
        10 multis in flight (3.6+); it returns False if any batch failed.
        """
        PathUtils.validate_path(path_root)
        tree = ZKUtil.list_sub_tree_bfs(zk, path_root)
        LOG.debug("Deleting tree: %s", tree)
        if callable(batch_size_or_cb) or hasattr(batch_size_or_cb, "process_result"):
            for path in reversed(tree):
                zk.delete(path, -1, batch_size_or_cb, ctx)
            return None
        return ZKUtil._delete_in_batch(zk, tree, int(batch_size_or_cb))

    @staticmethod
    def _delete_in_batch(zk, tree, batch_size):
        rate_limit = 10
        sem = threading.Semaphore(rate_limit)
        success = [True]

        def cb(rc, path, ctx, op_results):
            if rc != Code.OK:
                success[0] = False
            sem.release()

        ops = []
        for i in range(len(tree) - 1, -1, -1):
            # Leaves first, the root last; -1 deletes any version.
            ops.append(Op.delete(tree[i], -1))
            if len(ops) == batch_size or i == 0:
                if not success[0]:
                    break  # fail fast
                sem.acquire()
                zk.multi(ops, cb, None)
                ops = []
        for _ in range(rate_limit):
            sem.acquire()
        return success[0]

    @staticmethod
    def validate_file_input(file_path):
        """None if the file can be read, else the message Java returns."""
        path = os.path.abspath(file_path)
        if not os.path.exists(path):
            return "File '%s' does not exist." % path
        if not os.access(path, os.R_OK):
            return "Read permission is denied on the file '%s'" % path
        if os.path.isdir(path):
            return "'%s' is a directory. it must be a file." % path
        return None

    @staticmethod
    def list_sub_tree_bfs(zk, path_root):
        """All paths of the subtree at path_root, breadth first, the root first."""
        queue = collections.deque([path_root])
        tree = [path_root]
        while queue:
            node = queue.popleft()
            for child in zk.get_children(node, False):
                child_path = ("" if node == "/" else node) + "/" + child
                queue.append(child_path)
                tree.append(child_path)
        return tree

    @staticmethod
    def visit_sub_tree_dfs(zk, path, watch, cb):
        """Call cb(rc, path, ctx, name) for path and then, per node, for all its sorted children
        before descending into each of them (what `ls -R` prints)."""
        PathUtils.validate_path(path)
        zk.get_data(path, watch, None)
        cb(Code.OK.value, path, None, path)
        ZKUtil._visit_sub_tree_dfs_helper(zk, path, watch, cb)

    @staticmethod
    def _visit_sub_tree_dfs_helper(zk, path, watch, cb):
        is_root = len(path) == 1
        try:
            children = sorted(zk.get_children(path, watch, None))
        except NoNodeException:
            return  # deleted while we walked
        prefix = path if is_root else path + "/"
        for child in children:
            cb(Code.OK.value, prefix + child, None, child)
        for child in children:
            ZKUtil._visit_sub_tree_dfs_helper(zk, prefix + child, watch, cb)

    @staticmethod
    def get_perm_string(perms):
        s = _PERM_CACHE.get(perms)
        if s is None:
            s = ""
            if perms & Perms.CREATE:
                s += "c"
            if perms & Perms.DELETE:
                s += "d"
            if perms & Perms.READ:
                s += "r"
            if perms & Perms.WRITE:
                s += "w"
            if perms & Perms.ADMIN:
                s += "a"
            _PERM_CACHE[perms] = s
        return s

    @staticmethod
    def acl_to_string(acls):
        return "".join("%s:%s:%s" % (a.id.scheme, a.id.id, ZKUtil.get_perm_string(a.perms)) for a in acls)
