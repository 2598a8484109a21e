"""Mirror of org.apache.zookeeper.AsyncCallback and its nested callback interfaces.

A callback is either an object of one of these classes (its process_result is called) or
any Python callable taking the same arguments in the same order. Where Java picks an
overload by the callback's interface (create with StringCallback or Create2Callback,
getChildren with ChildrenCallback or Children2Callback), a plain callable is told apart by
how many positional arguments it takes.
"""

import inspect


class AsyncCallback:
    """Mirror of org.apache.zookeeper.AsyncCallback."""

    def process_result(self, *args):
        raise NotImplementedError


class StatCallback(AsyncCallback):
    """process_result(rc, path, ctx, stat)"""


class AllChildrenNumberCallback(AsyncCallback):
    """process_result(rc, path, ctx, number)"""


class DataCallback(AsyncCallback):
    """process_result(rc, path, ctx, data, stat)"""


class ACLCallback(AsyncCallback):
    """process_result(rc, path, ctx, acl, stat)"""


class ChildrenCallback(AsyncCallback):
    """process_result(rc, path, ctx, children)"""


class Children2Callback(AsyncCallback):
    """process_result(rc, path, ctx, children, stat)"""


class Create2Callback(AsyncCallback):
    """process_result(rc, path, ctx, name, stat)"""


class StringCallback(AsyncCallback):
    """process_result(rc, path, ctx, name)"""


class VoidCallback(AsyncCallback):
    """process_result(rc, path, ctx)"""


class MultiCallback(AsyncCallback):
    """process_result(rc, path, ctx, op_results)"""


class EphemeralsCallback(AsyncCallback):
    """process_result(rc, ctx, paths)"""


for _cls in (StatCallback, AllChildrenNumberCallback, DataCallback, ACLCallback, ChildrenCallback,
             Children2Callback, Create2Callback, StringCallback, VoidCallback, MultiCallback,
             EphemeralsCallback):
    _cls.__doc__ = "Mirror of org.apache.zookeeper.AsyncCallback.%s: %s" % (_cls.__name__, _cls.__doc__)
    setattr(AsyncCallback, _cls.__name__, _cls)


def is_callback(obj):
    """True for an AsyncCallback object or a plain callable (not a Stat or other record)."""
    return isinstance(obj, AsyncCallback) or (callable(obj) and not isinstance(obj, type))


def as_function(cb):
    """The function to call for callback `cb`."""
    return cb.process_result if isinstance(cb, AsyncCallback) else cb


def takes_stat(cb, with_stat_cls, count):
    """Whether `cb` is the Stat-taking variant (Create2Callback, Children2Callback).

    Objects decide by class; a plain callable does when it accepts `count` positional
    arguments (5 for the Stat variants, against 4).
    """
    if isinstance(cb, AsyncCallback):
        return isinstance(cb, with_stat_cls)
    try:
        params = inspect.signature(cb).parameters.values()
    except (TypeError, ValueError):
        return False
    n = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return False  # *args: the plain variant, as Java would need a cast to choose
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n >= count
