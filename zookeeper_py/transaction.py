"""Mirror of org.apache.zookeeper.Transaction: a builder for multi()."""

from zookeeper_py.op import Op


class Transaction:
    """Mirror of org.apache.zookeeper.Transaction."""

    def __init__(self, zk):
        self.zk = zk
        self.ops = []

    def create(self, path, data, acl, create_mode):
        self.ops.append(Op.create(path, data, acl, create_mode.to_flag()))
        return self

    def delete(self, path, version):
        self.ops.append(Op.delete(path, version))
        return self

    def check(self, path, version):
        self.ops.append(Op.check(path, version))
        return self

    def set_data(self, path, data, version):
        self.ops.append(Op.set_data(path, data, version))
        return self

    def commit(self, cb=None, ctx=None):
        """multi(ops): the results, or with cb a MultiCallback(rc, path, ctx, results)."""
        return self.zk.multi(self.ops, cb, ctx)
