"""Mirror of org.apache.zookeeper.ZooKeeper: the client handle.

Java overloads map onto Python signatures like this (cb is an AsyncCallback object or a
callable taking the same arguments; a call with cb returns None at once and the result
arrives on the EventThread):

    create(path, data, acl, mode)                       -> created path (opcode create/createContainer)
    create(path, data, acl, mode, stat[, ttl])          -> created path, stat filled (create2/createTTL)
    create(path, data, acl, mode, cb, ctx[, ttl])       StringCallback(rc, path, ctx, name) or
                                                        Create2Callback(rc, path, ctx, name, stat)
    delete(path, version[, cb, ctx])
    exists(path, watch[, cb, ctx])                      -> Stat or None
    get_data(path, watch, stat | cb, ctx)               -> bytes
    set_data(path, data, version[, cb, ctx])            -> Stat
    get_acl(path, stat[, cb, ctx])                      -> [ACL]
    set_acl(path, acl, version[, cb, ctx])              -> Stat
    get_children(path, watch[, stat | cb, ctx])         -> [str] (with a stat: getChildren2)
    multi(ops[, cb, ctx]) / transaction()               -> [OpResult]
    sync(path[, cb, ctx])                               (Java is async only; without cb it waits)
    get_config(watch, stat | cb, ctx), get_ephemerals([prefix][, cb, ctx]),
    get_all_children_number(path[, cb, ctx]), who_am_i(), add_watch(path[, watcher], mode[, cb, ctx]),
    remove_watches(path, watcher, type, local[, cb, ctx]), remove_all_watches(path, type, local[, cb, ctx])

`watch` is a bool (use the default watcher) or a Watcher (an object with process(event),
or a callable taking the WatchedEvent); None means no watch.
"""

import logging
import threading

from zookeeper_py import async_callback, client_cnxn as _client_cnxn
from zookeeper_py.async_callback import is_callback
from zookeeper_py.client.connect_string_parser import ConnectStringParser
from zookeeper_py.client.inet_socket_address import InetSocketAddress
from zookeeper_py.client.static_host_provider import StaticHostProvider
from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.client_cnxn_socket_netty import ClientCnxnSocketNetty
from zookeeper_py.client_cnxn_socket_nio import ClientCnxnSocketNIO
from zookeeper_py.common.path_utils import PathUtils
from zookeeper_py.keeper_exception import Code, InvalidACLException, KeeperException
from zookeeper_py.multi_response import MultiResponse
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.op import OpKind, _validate_ttl
from zookeeper_py.op_result import ErrorResult
from zookeeper_py.proto import (
    AddWatchRequest,
    CheckWatchesRequest,
    Create2Response,
    CreateRequest,
    CreateResponse,
    CreateTTLRequest,
    DeleteRequest,
    ErrorResponse,
    ExistsRequest,
    GetACLRequest,
    GetACLResponse,
    GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse,
    GetChildren2Request,
    GetChildren2Response,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    GetEphemeralsRequest,
    GetEphemeralsResponse,
    RemoveWatchesRequest,
    SetACLRequest,
    SetACLResponse,
    SetDataRequest,
    SetDataResponse,
    SyncRequest,
    SyncResponse,
    WhoAmIResponse,
)
from zookeeper_py.states import States
from zookeeper_py.transaction import Transaction
from zookeeper_py.watch_deregistration import WatchDeregistration
from zookeeper_py.watcher import AddWatchMode
from zookeeper_py.zk_watch_manager import as_watcher_function
from zookeeper_py.zoo_defs import OpCode, ZooDefs

LOG = logging.getLogger("ZooKeeper")

# The client's loggers have Java's class names, as the server's. A library logs only where its
# application sends it (Java's client, with slf4j unconfigured, prints nothing): without a handler
# of their own, Python's last resort would print their warnings (each failed connect) to stderr.
# Records still reach the handlers an application (or the server's logging.yaml) puts on the root.
for _name in ("ZooKeeper", "ClientCnxn", "ClientCnxnSocket", "ClientCnxnSocketNIO", "ClientCnxnSocketNetty",
              "StaticHostProvider", "ZKClientConfig", "ZooKeeperSaslClient", "ZKWatchManager", "Login",
              "SaslServerPrincipal", "ZKUtil"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_OK = 0
_NONODE = Code.NONODE.value


class WatchRegistration:
    """Mirror of org.apache.zookeeper.ZooKeeper.WatchRegistration: a watch that is added to
    the client's tables when the reply arrives, if the server set it."""

    __slots__ = ("watch_manager", "watcher", "client_path")

    def __init__(self, watch_manager, watcher, client_path):
        self.watch_manager = watch_manager
        self.watcher = watcher
        self.client_path = client_path

    def get_watches(self, rc):
        raise NotImplementedError

    def register(self, rc):
        if self.should_add_watch(rc):
            self.watch_manager.add_watch(self.get_watches(rc), self.client_path, self.watcher)

    def should_add_watch(self, rc):
        return rc == _OK


class ExistsWatchRegistration(WatchRegistration):
    """Mirror of org.apache.zookeeper.ZooKeeper.ExistsWatchRegistration: a data watch if the
    node exists, else an exist watch (set even on NONODE)."""

    __slots__ = ()

    def get_watches(self, rc):
        return self.watch_manager.data_watches if rc == _OK else self.watch_manager.exist_watches

    def should_add_watch(self, rc):
        return rc == _OK or rc == _NONODE


class DataWatchRegistration(WatchRegistration):
    """Mirror of org.apache.zookeeper.ZooKeeper.DataWatchRegistration."""

    __slots__ = ()

    def get_watches(self, rc):
        return self.watch_manager.data_watches


class ChildWatchRegistration(WatchRegistration):
    """Mirror of org.apache.zookeeper.ZooKeeper.ChildWatchRegistration."""

    __slots__ = ()

    def get_watches(self, rc):
        return self.watch_manager.child_watches


class AddWatchRegistration(WatchRegistration):
    """Mirror of org.apache.zookeeper.ZooKeeper.AddWatchRegistration (3.6+ persistent watches)."""

    __slots__ = ("mode",)

    def __init__(self, watch_manager, watcher, client_path, mode):
        super().__init__(watch_manager, watcher, client_path)
        self.mode = mode

    def get_watches(self, rc):
        if self.mode is AddWatchMode.PERSISTENT:
            return self.watch_manager.persistent_watches
        if self.mode is AddWatchMode.PERSISTENT_RECURSIVE:
            return self.watch_manager.persistent_recursive_watches
        raise ValueError("Mode not supported: %s" % self.mode)

    def should_add_watch(self, rc):
        return rc == _OK or rc == _NONODE


def _copy_stat(src, dst):
    """DataTree.copyStat: fill the caller's Stat in place."""
    if dst is not None and src is not None:
        dst.copy_from(src)


class ZooKeeper:
    """Mirror of org.apache.zookeeper.ZooKeeper."""

    ZOOKEEPER_CLIENT_CNXN_SOCKET = "zookeeper.clientCnxnSocket"
    SECURE_CLIENT = "zookeeper.client.secure"
    States = States

    def __init__(self, connect_string, session_timeout, watcher=None, can_be_read_only=False, session_id=0,
                 session_passwd=None, host_provider=None, client_config=None):
        LOG.info("Initiating client connection, connectString=%s sessionTimeout=%d watcher=%s sessionId=0x%x "
                 "sessionPasswd=%s", connect_string, session_timeout, watcher, session_id & 0xFFFFFFFFFFFFFFFF,
                 "<null>" if session_passwd is None else "<hidden>")
        self.client_config = client_config if client_config is not None else ZKClientConfig()
        parser = ConnectStringParser(connect_string)
        if host_provider is None:
            host_provider = StaticHostProvider(parser.get_server_addresses())
        self.host_provider = host_provider
        self.cnxn = _client_cnxn.ClientCnxn(
            parser.get_chroot_path(), host_provider, session_timeout, self.client_config, watcher,
            self.get_client_cnxn_socket(), session_id, session_passwd, can_be_read_only)
        if session_id != 0:
            self.cnxn.seen_rw_server_before = True  # since the user has provided a sessionId
        self.cnxn.start()
        self._close_lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get_client_cnxn_socket(self):
        """ClientCnxnSocketNIO unless zookeeper.clientCnxnSocket names Netty's; a secure client
        always gets ClientCnxnSocketNetty (Java's NIO socket cannot do TLS, and a client asked for
        TLS must never speak plaintext)."""
        name = self.client_config.get_property(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET)
        if name in (None, "ClientCnxnSocketNIO", "org.apache.zookeeper.ClientCnxnSocketNIO"):
            if not self.client_config.get_boolean(ZKClientConfig.SECURE_CLIENT):
                return ClientCnxnSocketNIO(self.client_config)
            if name is not None:
                LOG.info("%s=true: using ClientCnxnSocketNetty, the socket that does TLS",
                         ZKClientConfig.SECURE_CLIENT)
        elif name not in ("ClientCnxnSocketNetty", "org.apache.zookeeper.ClientCnxnSocketNetty"):
            raise ValueError("%s=%s: zookeeper_py has org.apache.zookeeper.ClientCnxnSocketNIO and "
                             "org.apache.zookeeper.ClientCnxnSocketNetty"
                             % (ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, name))
        return ClientCnxnSocketNetty(self.client_config)

    def get_client_config(self):
        return self.client_config

    def update_server_list(self, connect_string):
        """Rebalance onto a new server list (after a reconfig); may move the connection."""
        parser = ConnectStringParser(connect_string)
        sock = self.cnxn.send_thread.client_cnxn_socket
        current = None
        remote = sock.get_remote_socket_address()
        if remote:
            host, _, port = remote.lstrip("/").rpartition(":")
            current = InetSocketAddress(host, int(port), host)
        if self.host_provider.update_server_list(parser.get_server_addresses(), current):
            # Drop the connection so the client moves to its new server.
            sock.testable_close_socket()

    def get_watch_manager(self):
        return self.cnxn.get_watcher_manager()

    def get_data_watches(self):
        return self.get_watch_manager().get_data_watch_list()

    def get_exist_watches(self):
        return self.get_watch_manager().get_exist_watch_list()

    def get_child_watches(self):
        return self.get_watch_manager().get_child_watch_list()

    def get_persistent_watches(self):
        return self.get_watch_manager().get_persistent_watch_list()

    def get_persistent_recursive_watches(self):
        return self.get_watch_manager().get_persistent_recursive_watch_list()

    def get_session_id(self):
        return self.cnxn.get_session_id()

    def get_session_passwd(self):
        return self.cnxn.get_session_passwd()

    def get_session_timeout(self):
        return self.cnxn.get_session_timeout()

    def add_auth_info(self, scheme, auth):
        """addAuthInfo(scheme, bytes): sent now and again after every reconnect."""
        if isinstance(auth, str):
            auth = auth.encode("utf-8")
        self.cnxn.add_auth_info(scheme, auth)

    def register(self, watcher):
        """Replace the default watcher."""
        self.get_watch_manager().set_default_watcher(watcher)

    def close(self, wait_for_shutdown_timeout_ms=None):
        """Close the session. With a timeout, also wait for both client threads to end and
        return whether they did."""
        with self._close_lock:
            if not self.cnxn.get_state().is_alive():
                LOG.debug("Close called on already closed client")
            else:
                LOG.debug("Closing session: 0x%x", self.get_session_id() & 0xFFFFFFFFFFFFFFFF)
                try:
                    self.cnxn.close()
                except OSError:
                    LOG.debug("Ignoring unexpected exception during close", exc_info=True)
                LOG.info("Session: 0x%x closed", self.get_session_id() & 0xFFFFFFFFFFFFFFFF)
        if wait_for_shutdown_timeout_ms is not None:
            return self.testable_wait_for_shutdown(wait_for_shutdown_timeout_ms)
        return None

    def testable_wait_for_shutdown(self, wait):
        self.cnxn.send_thread.join(wait / 1000.0)
        if self.cnxn.send_thread.is_alive():
            return False
        if threading.current_thread() is not self.cnxn.event_thread:
            self.cnxn.event_thread.join(wait / 1000.0)
            return not self.cnxn.event_thread.is_alive()
        return True

    def prepend_chroot(self, client_path):
        chroot = self.cnxn.chroot_path
        if chroot is not None:
            if len(client_path) == 1:  # "/"
                return chroot
            return chroot + client_path
        return client_path

    def _strip_chroot(self, server_path):
        chroot = self.cnxn.chroot_path
        return server_path if chroot is None else server_path[len(chroot):]

    def _default_watcher(self, required):
        if required:
            watcher = self.get_watch_manager().get_default_watcher()
            if watcher is None:
                raise RuntimeError("Default watcher is required, but it is null.")
            return watcher
        return None

    def _watcher(self, watch):
        """A bool picks the default watcher (or none); anything else is the watcher itself."""
        if watch is None or watch is False:
            return None
        if watch is True:
            return self._default_watcher(True)
        return as_watcher_function(watch)

    @staticmethod
    def _validate_acl(acl):
        if not acl or any(a is None for a in acl):
            raise InvalidACLException()

    @staticmethod
    def _raise(r, client_path):
        raise KeeperException.create(r.err, client_path)

    def _request(self, op, request, response_cls, cb, ctx, client_path, server_path, wcb=None):
        """With a callback: queue the request and return None. Without: wait for the reply and
        return its record, raising the KeeperException of an error reply."""
        if cb is not None:
            self.cnxn.queue_packet(op, request, response_cls, async_callback.as_function(cb), client_path,
                                   server_path, ctx, wcb)
            return None
        r, response = self.cnxn.submit_request(op, request, response_cls, wcb)
        if r.err != 0:
            self._raise(r, client_path)
        return response

    # -- create --

    def create(self, path, data, acl, create_mode, stat_or_cb=None, ctx_or_ttl=None, ttl=None):
        client_path = path
        if is_callback(stat_or_cb):
            cb, ctx = stat_or_cb, ctx_or_ttl
            ttl = -1 if ttl is None else ttl
            PathUtils.validate_path(client_path, create_mode.is_sequential())
            _validate_ttl(create_mode, ttl)
            server_path = self.prepend_chroot(client_path)
            fn = async_callback.as_function(cb)
            if async_callback.takes_stat(cb, async_callback.Create2Callback, 5) or create_mode.is_ttl():
                op, record = self._create2_request(create_mode, server_path, data, acl, ttl)
                self.cnxn.queue_packet(op, record, Create2Response, fn, client_path, server_path, ctx, None)
            else:
                op = OpCode.createContainer if create_mode.is_container() else OpCode.create
                request = CreateRequest(server_path, data, acl, create_mode.to_flag())
                self.cnxn.queue_packet(op, request, CreateResponse, fn, client_path, server_path, ctx, None)
            return None
        stat = stat_or_cb
        if ttl is None:
            ttl = ctx_or_ttl if ctx_or_ttl is not None else -1
        PathUtils.validate_path(client_path, create_mode.is_sequential())
        _validate_ttl(create_mode, ttl)
        self._validate_acl(acl)
        server_path = self.prepend_chroot(client_path)
        if stat is None and not create_mode.is_ttl():
            op = OpCode.createContainer if create_mode.is_container() else OpCode.create
            request = CreateRequest(server_path, data, acl, create_mode.to_flag())
            r, response = self.cnxn.submit_request(op, request, CreateResponse, None)
            if r.err != 0:
                self._raise(r, client_path)
            return self._strip_chroot(response.path)
        op, record = self._create2_request(create_mode, server_path, data, acl, ttl)
        r, response = self.cnxn.submit_request(op, record, Create2Response, None)
        if r.err != 0:
            self._raise(r, client_path)
        _copy_stat(response.stat, stat)
        return self._strip_chroot(response.path)

    @staticmethod
    def _create2_request(create_mode, server_path, data, acl, ttl):
        """setCreateHeader + makeCreateRecord."""
        if create_mode.is_ttl():
            return OpCode.createTTL, CreateTTLRequest(server_path, data, acl, create_mode.to_flag(), ttl)
        op = OpCode.createContainer if create_mode.is_container() else OpCode.create2
        return op, CreateRequest(server_path, data, acl, create_mode.to_flag())

    # -- delete --

    def delete(self, path, version=-1, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        # delete("/") keeps its meaning under a chroot: it never succeeds.
        server_path = client_path if client_path == "/" else self.prepend_chroot(client_path)
        self._request(OpCode.delete, DeleteRequest(server_path, version), None, cb, ctx, client_path, server_path)

    # -- multi --

    def multi(self, ops, cb=None, ctx=None):
        ops = list(ops)
        if cb is not None:
            results = self._validate_ops(ops)
            if results:
                self.cnxn.queue_callback(cb, Code.BADARGUMENTS.value, None, ctx, results)
                return None
            self._multi_internal_async(self._generate_multi_transaction(ops), cb, ctx)
            return None
        for op in ops:
            op.validate()
        return self._multi_internal(self._generate_multi_transaction(ops))

    @staticmethod
    def _validate_ops(ops):
        """validatePath for the async multi: per-op ErrorResults if any op is malformed."""
        results = []
        error = False
        for op in ops:
            try:
                op.validate()
            except ValueError:
                LOG.error("Unexpected exception", exc_info=True)
                results.append(ErrorResult(Code.BADARGUMENTS.value))
                error = True
                continue
            except KeeperException as ke:
                LOG.error("Unexpected exception", exc_info=True)
                results.append(ErrorResult(int(ke.code())))
                error = True
                continue
            results.append(ErrorResult(Code.RUNTIMEINCONSISTENCY.value))
        return results if error else []

    def _generate_multi_transaction(self, ops):
        return MultiTransactionRecord([self._with_root_prefix(op) for op in ops])

    def _with_root_prefix(self, op):
        if op.get_path() is not None:
            server_path = self.prepend_chroot(op.get_path())
            if op.get_path() != server_path:
                return op.with_chroot(server_path)
        return op

    def _multi_internal_async(self, request, cb, ctx):
        if request.size() == 0:
            # Nothing to send: answer on the EventThread (Java's LocalCallback).
            self.cnxn.queue_callback(cb, _OK, None, ctx, [])
            return
        op = OpCode.multiRead if request.get_op_kind() is OpKind.READ else OpCode.multi
        self.cnxn.queue_packet(op, request, MultiResponse, async_callback.as_function(cb), None, None, ctx, None)

    def _multi_internal(self, request):
        if request.size() == 0:
            return []
        op = OpCode.multiRead if request.get_op_kind() is OpKind.READ else OpCode.multi
        r, response = self.cnxn.submit_request(op, request, MultiResponse, None)
        if r.err != 0:
            raise KeeperException.create(r.err)
        results = response.get_result_list()
        if request.get_op_kind() is OpKind.READ:
            return results  # errors stay in the results of a multiRead
        fatal = next((x for x in results if isinstance(x, ErrorResult) and x.err != _OK), None)
        if fatal is not None:
            ex = KeeperException.create(fatal.err)
            ex.set_multi_results(results)
            raise ex
        return results

    def transaction(self):
        return Transaction(self)

    # -- exists / getData / setData --

    def exists(self, path, watch=False, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        watcher = self._watcher(watch)
        wcb = ExistsWatchRegistration(self.get_watch_manager(), watcher, client_path) if watcher else None
        server_path = self.prepend_chroot(client_path)
        request = ExistsRequest(server_path, watcher is not None)
        if cb is not None:
            self.cnxn.queue_packet(OpCode.exists, request, SetDataResponse, async_callback.as_function(cb),
                                   client_path, server_path, ctx, wcb)
            return None
        r, response = self.cnxn.submit_request(OpCode.exists, request, SetDataResponse, wcb)
        if r.err != 0:
            if r.err == _NONODE:
                return None
            self._raise(r, client_path)
        return None if response.stat.czxid == -1 else response.stat

    def get_data(self, path, watch=False, stat_or_cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        watcher = self._watcher(watch)
        wcb = DataWatchRegistration(self.get_watch_manager(), watcher, client_path) if watcher else None
        server_path = self.prepend_chroot(client_path)
        request = GetDataRequest(server_path, watcher is not None)
        if is_callback(stat_or_cb):
            return self._request(OpCode.getData, request, GetDataResponse, stat_or_cb, ctx, client_path, server_path,
                                 wcb)
        response = self._request(OpCode.getData, request, GetDataResponse, None, None, client_path, server_path, wcb)
        _copy_stat(response.stat, stat_or_cb)
        return response.data

    def get_config(self, watch=False, stat_or_cb=None, ctx=None):
        """getData of /zookeeper/config (no chroot applies)."""
        config_znode = ZooDefs.CONFIG_NODE
        watcher = self._watcher(watch)
        wcb = DataWatchRegistration(self.get_watch_manager(), watcher, config_znode) if watcher else None
        request = GetDataRequest(config_znode, watcher is not None)
        if is_callback(stat_or_cb):
            return self._request(OpCode.getData, request, GetDataResponse, stat_or_cb, ctx, config_znode,
                                 config_znode, wcb)
        response = self._request(OpCode.getData, request, GetDataResponse, None, None, config_znode, config_znode,
                                 wcb)
        _copy_stat(response.stat, stat_or_cb)
        return response.data

    def set_data(self, path, data, version=-1, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        server_path = self.prepend_chroot(client_path)
        response = self._request(OpCode.setData, SetDataRequest(server_path, data, version), SetDataResponse, cb, ctx,
                                 client_path, server_path)
        return None if response is None else response.stat

    # -- ACLs --

    def get_acl(self, path, stat=None, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        server_path = self.prepend_chroot(client_path)
        response = self._request(OpCode.getACL, GetACLRequest(server_path), GetACLResponse, cb, ctx, client_path,
                                 server_path)
        if response is None:
            return None
        _copy_stat(response.stat, stat)
        return response.acl

    def set_acl(self, path, acl, version=-1, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        server_path = self.prepend_chroot(client_path)
        request = SetACLRequest(server_path, acl, version)
        if cb is None:
            self._validate_acl(acl)  # Java checks the ACL in the blocking call only
        response = self._request(OpCode.setACL, request, SetACLResponse, cb, ctx, client_path, server_path)
        return None if response is None else response.stat

    # -- children --

    def get_children(self, path, watch=False, stat_or_cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        watcher = self._watcher(watch)
        wcb = ChildWatchRegistration(self.get_watch_manager(), watcher, client_path) if watcher else None
        server_path = self.prepend_chroot(client_path)
        if is_callback(stat_or_cb):
            cb = stat_or_cb
            if async_callback.takes_stat(cb, async_callback.Children2Callback, 5):
                op, request, rsp = OpCode.getChildren2, GetChildren2Request(server_path, watcher is not None), \
                    GetChildren2Response
            else:
                op, request, rsp = OpCode.getChildren, GetChildrenRequest(server_path, watcher is not None), \
                    GetChildrenResponse
            self.cnxn.queue_packet(op, request, rsp, async_callback.as_function(cb), client_path, server_path,
                                   ctx, wcb)
            return None
        stat = stat_or_cb
        if stat is None:
            request = GetChildrenRequest(server_path, watcher is not None)
            r, response = self.cnxn.submit_request(OpCode.getChildren, request, GetChildrenResponse, wcb)
        else:
            request = GetChildren2Request(server_path, watcher is not None)
            r, response = self.cnxn.submit_request(OpCode.getChildren2, request, GetChildren2Response, wcb)
        if r.err != 0:
            self._raise(r, client_path)
        if stat is not None:
            _copy_stat(response.stat, stat)
        return response.children

    def get_all_children_number(self, path, cb=None, ctx=None):
        """3.6+: the number of all descendants of path."""
        client_path = path
        PathUtils.validate_path(client_path)
        server_path = self.prepend_chroot(client_path)
        response = self._request(OpCode.getAllChildrenNumber, GetAllChildrenNumberRequest(server_path),
                                 GetAllChildrenNumberResponse, cb, ctx, client_path, server_path)
        return None if response is None else response.totalNumber

    def get_ephemerals(self, prefix_path="/", cb=None, ctx=None):
        """3.6+: this session's ephemeral nodes under prefix_path (paths as the server has them)."""
        if is_callback(prefix_path):  # getEphemerals(cb, ctx)
            prefix_path, cb, ctx = "/", prefix_path, cb
        PathUtils.validate_path(prefix_path)
        request = GetEphemeralsRequest(prefix_path)
        if cb is not None:
            self.cnxn.queue_packet(OpCode.getEphemerals, request, GetEphemeralsResponse,
                                   async_callback.as_function(cb), None, None, ctx, None)
            return None
        r, response = self.cnxn.submit_request(OpCode.getEphemerals, request, GetEphemeralsResponse, None)
        if r.err != 0:
            raise KeeperException.create(r.err)
        return response.ephemerals

    # -- sync --

    def sync(self, path, cb=None, ctx=None):
        client_path = path
        PathUtils.validate_path(client_path)
        server_path = self.prepend_chroot(client_path)
        self._request(OpCode.sync, SyncRequest(server_path), SyncResponse, cb, ctx, client_path, server_path)

    # -- watches --

    def remove_watches(self, path, watcher, watcher_type, local, cb=None, ctx=None):
        """Remove one watcher (checkWatches opcode); NoWatcherException if it is not set."""
        self._validate_watcher(watcher)
        return self._remove_watches(OpCode.checkWatches, path, watcher, watcher_type, local, cb, ctx)

    def remove_all_watches(self, path, watcher_type, local, cb=None, ctx=None):
        return self._remove_watches(OpCode.removeWatches, path, None, watcher_type, local, cb, ctx)

    def add_watch(self, base_path, watcher_or_mode, mode=None, cb=None, ctx=None):
        """addWatch(path, [watcher,] mode[, cb, ctx]): a 3.6+ persistent (recursive) watch."""
        if isinstance(watcher_or_mode, AddWatchMode):
            # addWatch(path, mode[, cb, ctx]) with the default watcher.
            watcher, mode, cb, ctx = self.get_watch_manager().get_default_watcher(), watcher_or_mode, mode, cb
        else:
            watcher = as_watcher_function(watcher_or_mode)
        PathUtils.validate_path(base_path)
        self._validate_watcher(watcher)
        server_path = self.prepend_chroot(base_path)
        request = AddWatchRequest(server_path, mode.get_mode())
        wcb = AddWatchRegistration(self.get_watch_manager(), watcher, base_path, mode)
        self._request(OpCode.addWatch, request, ErrorResponse, cb, ctx, base_path, server_path, wcb)

    @staticmethod
    def _validate_watcher(watcher):
        if watcher is None:
            raise ValueError("Invalid Watcher, shouldn't be null!")

    def _remove_watches(self, op_code, path, watcher, watcher_type, local, cb, ctx):
        PathUtils.validate_path(path)
        client_path = path
        server_path = self.prepend_chroot(client_path)
        wcb = WatchDeregistration(client_path, as_watcher_function(watcher), watcher_type, local,
                                  self.get_watch_manager())
        if op_code == OpCode.checkWatches:
            request = CheckWatchesRequest(server_path, watcher_type.get_int_value())
        else:
            request = RemoveWatchesRequest(server_path, watcher_type.get_int_value())
        if cb is not None:
            self.cnxn.queue_packet(op_code, request, None, async_callback.as_function(cb), client_path, server_path,
                                   ctx, None, wcb)
            return None
        r, _ = self.cnxn.submit_request(op_code, request, None, None, wcb)
        if r.err != 0:
            self._raise(r, client_path)
        return None

    # -- who am I --

    def who_am_i(self):
        """3.7+: the authenticated identities of this session, [ClientInfo]."""
        r, response = self.cnxn.submit_request(OpCode.whoAmI, None, WhoAmIResponse, None)
        if r.err != 0:
            raise KeeperException.create(r.err)
        return response.clientInfo

    # -- state --

    def get_state(self):
        return self.cnxn.get_state()

    def __str__(self):
        state = self.get_state()
        return "State:%s%s%s" % (
            state, " Timeout:%d " % self.get_session_timeout() if state.is_connected() else " ", self.cnxn)

    def testable_remote_socket_address(self):
        return self.cnxn.send_thread.client_cnxn_socket.get_remote_socket_address()

    def testable_local_socket_address(self):
        return self.cnxn.send_thread.client_cnxn_socket.get_local_socket_address()


ZooKeeper.WatchRegistration = WatchRegistration
