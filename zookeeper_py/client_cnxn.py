"""Mirror of org.apache.zookeeper.ClientCnxn: the client's connection, its SendThread and EventThread.

SendThread owns the socket: it connects (and reconnects to the next server of the
connect string), primes the session (ConnectRequest, auth packets, SetWatches), pings,
writes outgoingQueue and matches replies against pendingQueue in xid order. EventThread
calls watchers and async callbacks, one at a time, in the order the SendThread queued
them, until it takes the eventOfDeath.
"""

import logging
import random
import re
import socket
import struct
import threading
import time
from _thread import allocate_lock
from collections import deque

from zookeeper_py import async_callback
from zookeeper_py.client.zk_client_config import ZKClientConfig
from zookeeper_py.client.zoo_keeper_sasl_client import SaslState, ZooKeeperSaslClient
from zookeeper_py.client_cnxn_socket import current_elapsed_time
from zookeeper_py.client_cnxn_socket_nio import EndOfStreamException  # noqa: F401  (Java's nested class)
from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.jute import JuteEOFError
from zookeeper_py.keeper_exception import Code, KeeperException, NoWatcherException
from zookeeper_py.login import LoginException
from zookeeper_py.multi_response import MultiResponse
from zookeeper_py.op_result import ErrorResult
from zookeeper_py.proto import (
    AuthPacket,
    ConnectRequest,
    Create2Response,
    CreateResponse,
    ErrorResponse,
    ExistsResponse,
    GetACLResponse,
    GetAllChildrenNumberResponse,
    GetChildren2Response,
    GetChildrenResponse,
    GetDataResponse,
    GetEphemeralsResponse,
    GetSASLRequest,
    ReplyHeader,
    SetACLResponse,
    SetDataResponse,
    SetWatches,
    SetWatches2,
    WatcherEvent,
)
from zookeeper_py.sasl_server_principal import SaslServerPrincipal
from zookeeper_py.states import States
from zookeeper_py.watched_event import WatchedEvent
from zookeeper_py.watcher import EventType, KeeperState
from zookeeper_py.zk_watch_manager import ZKWatchManager
from zookeeper_py.zoo_defs import OpCode

LOG = logging.getLogger("ClientCnxn")

# ZOOKEEPER-706: SetWatches is split into batches of about this many path characters.
SET_WATCHES_MAX_LENGTH = 128 * 1024

# Special xids.
NOTIFICATION_XID = -1
PING_XID = -2
AUTHPACKET_XID = -4
SET_WATCHES_XID = -8

_REPLY = struct.Struct(">iqi")  # ReplyHeader{xid, zxid, err}
_HEADER_ROOM = bytes(12)  # length + RequestHeader, filled in when the packet is sent
_CONNECT_ROOM = bytes(4)

_OK = 0
_CONNECTIONLOSS = Code.CONNECTIONLOSS.value
_SESSIONEXPIRED = Code.SESSIONEXPIRED.value
_AUTHFAILED = Code.AUTHFAILED.value
_NONODE = Code.NONODE.value


def _hex(session_id):
    return "%x" % (session_id & 0xFFFFFFFFFFFFFFFF)


def _make_thread_name(suffix):
    """Creator thread's name (Java's "main" for Python's main thread) + suffix."""
    name = threading.current_thread().name.replace("-EventThread", "")
    if name == "MainThread":
        name = "main"
    return name + suffix


class AuthData:
    """Mirror of org.apache.zookeeper.ClientCnxn.AuthData."""

    __slots__ = ("scheme", "data")

    def __init__(self, scheme, data):
        self.scheme = scheme
        self.data = data

    def __eq__(self, other):
        return isinstance(other, AuthData) and (self.scheme, self.data) == (other.scheme, other.data)

    def __hash__(self):
        return hash((self.scheme, self.data))


class Packet:
    """Mirror of org.apache.zookeeper.ClientCnxn.Packet.

    `type` and `xid` are the RequestHeader (type None for the ConnectRequest, which has
    no header); `err`/`zxid` the ReplyHeader once answered (`has_reply` False for pings,
    auth and connect packets, which Java gives a null ReplyHeader). `bb` is the encoded
    frame with room for the length and header, filled in when the packet is sent.
    """

    __slots__ = (
        "type", "xid", "has_reply", "err", "zxid", "request", "response_cls", "response", "bb",
        "client_path", "server_path", "finished", "cb", "ctx", "watch_registration", "read_only",
        "watch_deregistration", "done_lock",
    )

    def __init__(self, op_type, xid, has_reply, request, response_cls, watch_registration, read_only=False):
        self.type = op_type
        self.xid = xid
        self.has_reply = has_reply
        self.err = 0
        self.zxid = 0
        self.request = request
        self.response_cls = response_cls
        self.response = None
        self.bb = None
        self.client_path = None
        self.server_path = None
        self.finished = False
        self.cb = None
        self.ctx = None
        self.watch_registration = watch_registration
        self.read_only = read_only
        self.watch_deregistration = None
        self.done_lock = None

    def create_bb(self):
        """Encode the frame: room for len (+ RequestHeader), the record, and for a
        ConnectRequest the readOnly byte that is not in the IDL."""
        request = self.request
        if self.type is None:
            out = bytearray(_CONNECT_ROOM)
            request._encode(out)
            out.append(1 if self.read_only else 0)
        else:
            out = bytearray(_HEADER_ROOM)
            if request is not None:
                request._encode(out)
        self.bb = out

    def get_reply_header(self):
        return ReplyHeader(self.xid, self.zxid, self.err) if self.has_reply else None

    def __str__(self):
        text = "clientPath:%s serverPath:%s finished:%s header:: %s,%s  replyHeader:: %s request:: %s response:: %s" % (
            self.client_path, self.server_path, self.finished, self.xid, self.type,
            "%s,%s,%s" % (self.xid, self.zxid, self.err) if self.has_reply else None,
            self.request, self.response)
        return re.sub("\r*\n+", " ", text)


class _EventOfDeath:
    def __repr__(self):
        return "eventOfDeath"


class SessionTimeoutException(IOError):
    """Mirror of org.apache.zookeeper.ClientCnxn.SessionTimeoutException."""


class SessionExpiredException(IOError):
    """Mirror of org.apache.zookeeper.ClientCnxn.SessionExpiredException."""


class RWServerFoundException(IOError):
    """Mirror of org.apache.zookeeper.ClientCnxn.RWServerFoundException."""


class ClientCnxn:
    """Mirror of org.apache.zookeeper.ClientCnxn."""

    def __init__(self, chroot_path, host_provider, session_timeout, client_config, default_watcher,
                 client_cnxn_socket, session_id=0, session_passwd=None, can_be_read_only=False):
        self.chroot_path = chroot_path
        self.host_provider = host_provider
        self.session_timeout = session_timeout
        self.client_config = client_config
        self.session_id = session_id
        self.session_passwd = session_passwd if session_passwd is not None else bytes(16)
        self.read_only = can_be_read_only
        self.watch_manager = ZKWatchManager(
            client_config.get_boolean(ZKClientConfig.DISABLE_AUTO_WATCH_RESET), default_watcher)
        self.connect_timeout = session_timeout // host_provider.size()
        self.read_timeout = session_timeout * 2 // 3
        self.negotiated_session_timeout = 0
        self.auth_info = []  # CopyOnWriteArraySet<AuthData>: insertion order, no duplicates
        self.pending_queue = deque()  # sent, waiting for the reply (touched by SendThread only)
        self.outgoing_queue = deque()  # LinkedBlockingDeque: appended by callers, drained by SendThread
        self.closing = False
        self.seen_rw_server_before = False
        self.last_zxid = 0
        self.xid = 1
        self.state = States.NOT_CONNECTED
        self._state_lock = threading.RLock()  # Java synchronizes on `state`
        self.event_of_death = _EventOfDeath()
        self.request_timeout = 0
        self.zoo_keeper_sasl_client = None  # made by SendThread.start_connect for each connection
        self.send_thread = SendThread(self, client_cnxn_socket)
        self.event_thread = EventThread(self)
        self.init_request_timeout()

    def get_watcher_manager(self):
        return self.watch_manager

    def get_session_id(self):
        return self.session_id

    def get_session_passwd(self):
        return self.session_passwd

    def get_session_timeout(self):
        return self.negotiated_session_timeout

    def get_last_zxid(self):
        return self.last_zxid

    def __str__(self):
        sock = self.send_thread.client_cnxn_socket
        return ("sessionid:0x%s local:%s remoteserver:%s lastZxid:%d xid:%d sent:%d recv:%d queuedpkts:%d "
                "pendingresp:%d queuedevents:%d") % (
            _hex(self.session_id), sock.get_local_socket_address(), sock.get_remote_socket_address(),
            self.last_zxid, self.xid, sock.get_sent_count(), sock.get_recv_count(), len(self.outgoing_queue),
            len(self.pending_queue), self.event_thread.waiting_events.qsize())

    def start(self):
        self.send_thread.start()
        self.event_thread.start()

    @staticmethod
    def is_in_event_thread():
        return isinstance(threading.current_thread(), EventThread)

    # -- completing packets --

    def finish_packet(self, p):
        err = p.err
        if p.watch_registration is not None:
            p.watch_registration.register(err)
        # Watches are removed locally once the server agreed (or at once for local=true).
        if p.watch_deregistration is not None:
            try:
                materialized = p.watch_deregistration.unregister(err)
                for event_type, watchers in materialized.items():
                    if watchers:
                        self.queue_event(p.watch_deregistration.get_client_path(), err, watchers, event_type)
                        p.err = _OK
            except NoWatcherException as e:
                p.err = int(e.code())
            except KeeperException as e:
                p.err = int(e.code())
        p.finished = True
        if p.cb is None:
            lock = p.done_lock
            if lock is not None:
                p.done_lock = None
                lock.release()
        else:
            self.event_thread.queue_packet(p)

    def queue_event(self, client_path, err, materialized_watchers, event_type):
        session_state = KeeperState.SyncConnected
        if err == _SESSIONEXPIRED or err == _CONNECTIONLOSS:
            session_state = KeeperState.Disconnected
        event = WatchedEvent(event_type, session_state, client_path)
        self.event_thread.queue_event(event, materialized_watchers)

    def queue_callback(self, cb, *args):
        """Deliver cb(*args) on the EventThread (Java's LocalCallback: Java picks the null
        results by the callback's interface, the caller passes them here)."""
        self.event_thread.queue_callback(cb, *args)

    def on_connecting(self, addr):
        """A hook for tests (Java's protected onConnecting)."""

    def con_loss_packet(self, p):
        if not p.has_reply:
            return
        state = self.state
        if state is States.AUTH_FAILED:
            p.err = _AUTHFAILED
        elif state is States.CLOSED:
            p.err = _SESSIONEXPIRED
        else:
            p.err = _CONNECTIONLOSS
        self.finish_packet(p)

    # -- closing --

    def disconnect(self):
        LOG.debug("Disconnecting client for session: 0x%s", _hex(self.session_id))
        self.send_thread.close()
        if threading.current_thread() is not self.send_thread:
            self.send_thread.join()
        self.event_thread.queue_event_of_death()

    def close(self):
        """Close the session (closeSession request), then stop both threads."""
        LOG.debug("Closing client for session: 0x%s", _hex(self.session_id))
        try:
            self.submit_request(OpCode.closeSession, None, None, None)
        finally:
            self.disconnect()

    def sasl_completed(self):
        """SASL is over (either way): the requests held back may go out now."""
        self.send_thread.get_client_cnxn_socket().packet_added()

    def send_sasl_packet(self, request):
        """ClientCnxn.sendPacket(GetSASLRequest, ..., OpCode.sasl): written at once, ahead of
        the held-back requests; its reply is taken by read_response while SASL is in progress."""
        p = Packet(OpCode.sasl, self.get_xid(), True, request, None, None)
        self.send_thread.send_packet(p)

    def get_xid(self):
        # Only the SendThread assigns xids, when it writes a packet.
        xid = self.xid
        if xid == 0x7FFFFFFF:
            xid = 1
        self.xid = xid + 1
        return xid

    # -- submitting --

    def submit_request(self, op_type, request, response_cls, watch_registration, watch_deregistration=None):
        """Queue a request and wait for its reply; returns (ReplyHeader, response record)."""
        lock = allocate_lock()
        lock.acquire()
        packet = self.queue_packet(op_type, request, response_cls, None, None, None, None, watch_registration,
                                   watch_deregistration, done_lock=lock)
        if self.request_timeout > 0:
            if not lock.acquire(True, self.request_timeout / 1000.0):
                if not packet.finished:
                    LOG.error("Timeout error occurred for the packet '%s'.", packet)
                    packet.err = Code.REQUESTTIMEOUT.value
        else:
            lock.acquire()
        if packet.err == Code.REQUESTTIMEOUT.value:
            self.send_thread.request_reset()
        return packet.get_reply_header(), packet.response

    def queue_packet(self, op_type, request, response_cls, cb, client_path, server_path, ctx, watch_registration,
                     watch_deregistration=None, xid=0, has_reply=True, done_lock=None):
        """Queue a request for the SendThread; returns its Packet.

        The record is encoded here, on the caller's thread, so a bad argument (a str for
        a byte buffer, say) raises to the caller instead of breaking the connection.
        """
        packet = Packet(op_type, xid, has_reply, request, response_cls, watch_registration)
        packet.cb = cb
        packet.ctx = ctx
        packet.client_path = client_path
        packet.server_path = server_path
        packet.watch_deregistration = watch_deregistration
        packet.done_lock = done_lock
        packet.create_bb()
        with self._state_lock:
            if not self.state.is_alive() or self.closing:
                self.con_loss_packet(packet)
            else:
                # Java lets the closeSession through and refuses everything after it.
                if op_type == OpCode.closeSession:
                    self.closing = True
                self.outgoing_queue.append(packet)
        self.send_thread.client_cnxn_socket.packet_added()
        return packet

    def add_auth_info(self, scheme, auth):
        if not self.state.is_alive():
            return
        data = AuthData(scheme, auth)
        if data not in self.auth_info:
            self.auth_info.append(data)
        self.queue_packet(OpCode.auth, AuthPacket(0, scheme, auth), None, None, None, None, None, None,
                          xid=AUTHPACKET_XID, has_reply=False)

    def get_state(self):
        return self.state

    def init_request_timeout(self):
        try:
            self.request_timeout = self.client_config.get_long(
                ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT_DEFAULT)
            LOG.info("%s value is %d. feature enabled=%s", ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT,
                     self.request_timeout, self.request_timeout > 0)
        except ValueError:
            LOG.error("Configured value %s for property %s can not be parsed to long.",
                      self.client_config.get_property(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT),
                      ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT)
            raise


def _deliver_void(cnxn, p, cb, rc):
    cb(rc, p.client_path, p.ctx)


def _deliver_stat(cnxn, p, cb, rc):
    cb(rc, p.client_path, p.ctx, p.response.stat if rc == _OK else None)


def _deliver_data(cnxn, p, cb, rc):
    if rc == _OK:
        cb(rc, p.client_path, p.ctx, p.response.data, p.response.stat)
    else:
        cb(rc, p.client_path, p.ctx, None, None)


def _deliver_acl(cnxn, p, cb, rc):
    if rc == _OK:
        cb(rc, p.client_path, p.ctx, p.response.acl, p.response.stat)
    else:
        cb(rc, p.client_path, p.ctx, None, None)


def _deliver_children(cnxn, p, cb, rc):
    cb(rc, p.client_path, p.ctx, p.response.children if rc == _OK else None)


def _deliver_children2(cnxn, p, cb, rc):
    if rc == _OK:
        cb(rc, p.client_path, p.ctx, p.response.children, p.response.stat)
    else:
        cb(rc, p.client_path, p.ctx, None, None)


def _deliver_all_children_number(cnxn, p, cb, rc):
    cb(rc, p.client_path, p.ctx, p.response.totalNumber if rc == _OK else -1)


def _strip_chroot(cnxn, path):
    chroot = cnxn.chroot_path
    return path if chroot is None else path[len(chroot):]


def _deliver_create(cnxn, p, cb, rc):
    cb(rc, p.client_path, p.ctx, _strip_chroot(cnxn, p.response.path) if rc == _OK else None)


def _deliver_create2(cnxn, p, cb, rc):
    if rc == _OK:
        cb(rc, p.client_path, p.ctx, _strip_chroot(cnxn, p.response.path), p.response.stat)
    else:
        cb(rc, p.client_path, p.ctx, None, None)


def _deliver_multi(cnxn, p, cb, rc):
    if rc == _OK:
        results = p.response.get_result_list()
        new_rc = rc
        for result in results:
            if isinstance(result, ErrorResult):
                new_rc = result.err
                if new_rc != _OK:
                    break
        cb(new_rc, p.client_path, p.ctx, results)
    else:
        cb(rc, p.client_path, p.ctx, None)


def _deliver_ephemerals(cnxn, p, cb, rc):
    cb(rc, p.ctx, p.response.ephemerals if rc == _OK else None)


# EventThread.processEvent picks the callback form by the response record, as Java does.
_DELIVER = {
    None: _deliver_void,
    ErrorResponse: _deliver_void,
    ExistsResponse: _deliver_stat,
    SetDataResponse: _deliver_stat,
    SetACLResponse: _deliver_stat,
    GetDataResponse: _deliver_data,
    GetACLResponse: _deliver_acl,
    GetChildrenResponse: _deliver_children,
    GetAllChildrenNumberResponse: _deliver_all_children_number,
    GetChildren2Response: _deliver_children2,
    CreateResponse: _deliver_create,
    Create2Response: _deliver_create2,
    MultiResponse: _deliver_multi,
    GetEphemeralsResponse: _deliver_ephemerals,
}


class EventThread(threading.Thread):
    """Mirror of org.apache.zookeeper.ClientCnxn.EventThread."""

    def __init__(self, cnxn):
        super().__init__(name=_make_thread_name("-EventThread"), daemon=True)
        self.cnxn = cnxn
        self.waiting_events = LinkedBlockingQueue()
        self.session_state = KeeperState.Disconnected
        self.was_killed = False
        self.is_running = False
        self._lock = threading.Lock()  # Java synchronizes on waitingEvents for the shutdown hand-off

    def queue_event(self, event, materialized_watchers=None):
        if event.event_type is EventType.None_ and self.session_state is event.keeper_state:
            return
        self.session_state = event.keeper_state
        if materialized_watchers is None:
            watchers = self.cnxn.watch_manager.materialize(event.keeper_state, event.event_type, event.path)
        else:
            watchers = set(materialized_watchers)
        self.waiting_events.put((watchers, event))

    def queue_callback(self, cb, *args):
        self.waiting_events.put(_LocalCallback(cb, args))

    def queue_packet(self, packet):
        if self.was_killed:
            with self._lock:
                if self.is_running:
                    self.waiting_events.put(packet)
                else:
                    self.process_event(packet)
        else:
            self.waiting_events.put(packet)

    def queue_event_of_death(self):
        self.waiting_events.put(self.cnxn.event_of_death)

    def run(self):
        self.is_running = True
        get = self.waiting_events.get
        death = self.cnxn.event_of_death
        while True:
            event = get()
            if event is death:
                self.was_killed = True
            else:
                self.process_event(event)
            if self.was_killed:
                with self._lock:
                    if self.waiting_events.empty():
                        self.is_running = False
                        break
        LOG.info("EventThread shut down for session: 0x%s", _hex(self.cnxn.session_id))

    def process_event(self, event):
        # Java catches Throwable here: a SystemExit (or any BaseException) raised by a callback or
        # watcher is logged, and the thread goes on, or every later event would be lost unsaid.
        try:
            kind = type(event)
            if kind is Packet:
                rc = event.err
                if event.cb is None:
                    LOG.warning("Somehow a null cb got to EventThread!")
                    return
                deliver = _DELIVER.get(event.response_cls, _deliver_void)
                deliver(self.cnxn, event, event.cb, rc)
            elif kind is tuple:
                watchers, watched_event = event
                for watcher in watchers:
                    try:
                        watcher(watched_event)
                    except BaseException:
                        LOG.error("Error while calling watcher.", exc_info=True)
            else:
                event.run()
        except BaseException:
            LOG.error("Unexpected throwable", exc_info=True)


class _LocalCallback:
    """Mirror of org.apache.zookeeper.ClientCnxn.LocalCallback: a result made up on the
    client side (an empty multi, a bad argument), delivered on the EventThread."""

    __slots__ = ("fn", "args")

    def __init__(self, cb, args):
        self.fn = async_callback.as_function(cb)
        self.args = args

    def run(self):
        self.fn(*self.args)


class SendThread(threading.Thread):
    """Mirror of org.apache.zookeeper.ClientCnxn.SendThread."""

    MIN_PING_RW_TIMEOUT = 100
    MAX_PING_RW_TIMEOUT = 60000
    MAX_SEND_PING_INTERVAL = 10000

    def __init__(self, cnxn, client_cnxn_socket):
        super().__init__(name=_make_thread_name("-SendThread()"), daemon=True)
        self.cnxn = cnxn
        self.client_cnxn_socket = client_cnxn_socket
        self.last_ping_sent_ns = 0
        self.is_first_connect = True
        self.rw_server_address = None
        self.ping_rw_timeout = self.MIN_PING_RW_TIMEOUT
        self._reset_requested = False
        # True if and only if the ZooKeeperSaslClient constructor failed (see start_connect).
        self.sasl_login_failed = False
        self._sasl_enabled = cnxn.client_config.is_sasl_client_enabled()
        self._zk_state_lock = threading.Lock()
        self.change_zk_state(States.CONNECTING)

    # -- replies --

    def read_response(self, buf, start, end):
        """Handle one reply frame buf[start:end]."""
        cnxn = self.cnxn
        xid, zxid, err = _REPLY.unpack_from(buf, start)
        pos = start + 16
        if xid == PING_XID:
            LOG.debug("Got ping response for session id: 0x%s after %dms.", _hex(cnxn.session_id),
                      (time.monotonic_ns() - self.last_ping_sent_ns) // 1000000)
            return
        if xid == AUTHPACKET_XID:
            LOG.debug("Got auth session id: 0x%s", _hex(cnxn.session_id))
            if err == _AUTHFAILED:
                self.change_zk_state(States.AUTH_FAILED)
                cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.AuthFailed, None))
                cnxn.event_thread.queue_event_of_death()
            return
        if xid == NOTIFICATION_XID:
            LOG.debug("Got notification session id: 0x%s", _hex(cnxn.session_id))
            event, _ = WatcherEvent.decode(buf, pos)
            chroot = cnxn.chroot_path
            if chroot is not None:
                server_path = event.path
                if server_path == chroot:
                    event.path = "/"
                elif len(server_path) > len(chroot):
                    event.path = server_path[len(chroot):]
                else:
                    LOG.warning("Got server path %s which is too short for chroot path %s.", event.path, chroot)
            we = WatchedEvent.from_wrapper(event)
            LOG.debug("Got %s for session id 0x%s", we, _hex(cnxn.session_id))
            cnxn.event_thread.queue_event(we)
            return
        # While SASL is in progress a reply is the server's next SASL token (Java reads it
        # whatever the error code; an AUTHFAILED reply has no token, which fails the client).
        if self._sasl_enabled and self.tunnel_auth_in_progress():
            token = None
            if pos < end:
                request, _ = GetSASLRequest.decode(buf, pos)
                token = request.token
            sasl_client = cnxn.zoo_keeper_sasl_client
            sasl_client.respond_to_server(token, cnxn)
            inner = sasl_client.sasl_client
            if sasl_client.is_failed() or (inner is not None and inner.is_complete()):
                # Now, before the server's close (after AUTHFAILED) is read as a connection loss.
                self._check_sasl()
            return
        pending = cnxn.pending_queue
        if not pending:
            raise IOError("Nothing in the queue, but got %d" % xid)
        packet = pending.popleft()
        # Replies come in request order (FIFO); anything else is a broken connection.
        try:
            if packet.xid != xid:
                packet.err = _CONNECTIONLOSS
                raise IOError("Xid out of order. Got Xid %d with err %d expected Xid %d for a packet with details: %s"
                              % (xid, err, packet.xid, packet))
            packet.err = err
            packet.zxid = zxid
            if zxid > 0:
                cnxn.last_zxid = zxid
            response_cls = packet.response_cls
            if response_cls is not None and err == 0:
                if pos == end and response_cls is ErrorResponse:
                    return  # addWatch answered without a body
                try:
                    packet.response, pos = response_cls._decode(buf, pos)
                except struct.error:
                    raise JuteEOFError("reply of packet %s ends early" % packet) from None
                if pos > end:
                    raise JuteEOFError("reply of packet %s ends early" % packet)
        finally:
            cnxn.finish_packet(packet)

    # -- state --

    def get_zk_state(self):
        return self.cnxn.state

    def change_zk_state(self, new_state):
        # Java's changeZkState is synchronized on the SendThread, not on `state`, so it
        # is not held up by a cleanup in progress.
        cnxn = self.cnxn
        with self._zk_state_lock:
            if not cnxn.state.is_alive() and new_state is States.CONNECTING:
                raise IOError("Connection has already been closed and reconnection is not allowed")
            cnxn.state = new_state

    def get_client_cnxn_socket(self):
        return self.client_cnxn_socket

    # -- priming a new connection --

    def prime_connection(self):
        cnxn = self.cnxn
        sock = self.client_cnxn_socket
        LOG.info("Socket connection established, initiating session, client: %s, server: %s",
                 sock.get_local_socket_address(), sock.get_remote_socket_address())
        self.is_first_connect = False
        sess_id = cnxn.session_id if cnxn.seen_rw_server_before else 0
        con_req = ConnectRequest(0, cnxn.last_zxid, cnxn.session_timeout, sess_id, cnxn.session_passwd)
        outgoing = cnxn.outgoing_queue
        wm = cnxn.watch_manager
        # Java's priming order: each addFirst puts the packet before the ones added so
        # far, so the queue starts ConnectRequest, auth packets, SetWatches, then the
        # requests made while disconnected.
        if not cnxn.client_config.get_boolean(ZKClientConfig.DISABLE_AUTO_WATCH_RESET):
            lists = [self.prepend_chroot(w) for w in (
                wm.get_data_watch_list(), wm.get_exist_watch_list(), wm.get_child_watch_list(),
                wm.get_persistent_watch_list(), wm.get_persistent_recursive_watch_list())]
            if any(lists):
                iters = [iter(x) for x in lists]
                remaining = sum(len(x) for x in lists)
                set_watches_last_zxid = cnxn.last_zxid
                while remaining:
                    batches = [[], [], [], [], []]
                    batch_length = 0
                    kind = 0
                    while batch_length < SET_WATCHES_MAX_LENGTH and remaining:
                        while kind < 5:
                            w = next(iters[kind], None)
                            if w is not None:
                                break
                            kind += 1
                        batches[kind].append(w)
                        remaining -= 1
                        batch_length += len(w)
                    if not batches[3] and not batches[4]:
                        record = SetWatches(set_watches_last_zxid, batches[0], batches[1], batches[2])
                        opcode = OpCode.setWatches
                    else:
                        record = SetWatches2(set_watches_last_zxid, *batches)
                        opcode = OpCode.setWatches2
                    packet = Packet(opcode, SET_WATCHES_XID, True, record, None, None)
                    packet.create_bb()
                    outgoing.appendleft(packet)
        for auth in cnxn.auth_info:
            packet = Packet(OpCode.auth, AUTHPACKET_XID, False, AuthPacket(0, auth.scheme, auth.data), None, None)
            packet.create_bb()
            outgoing.appendleft(packet)
        packet = Packet(None, 0, False, con_req, None, None, cnxn.read_only)
        packet.create_bb()
        outgoing.appendleft(packet)
        sock.connection_primed()
        LOG.debug("Session establishment request sent on %s", sock.get_remote_socket_address())

    def prepend_chroot(self, paths):
        chroot = self.cnxn.chroot_path
        if chroot is not None and paths:
            return [chroot if len(p) == 1 else chroot + p for p in paths]
        return paths

    def send_ping(self):
        self.last_ping_sent_ns = time.monotonic_ns()
        self.cnxn.queue_packet(OpCode.ping, None, None, None, None, None, None, None, xid=PING_XID, has_reply=False)

    def start_connect(self, addr):
        if not self.is_first_connect:
            # Spread reconnects of many clients over a second.
            time.sleep(random.randrange(1000) / 1000.0)
        self.change_zk_state(States.CONNECTING)
        host_port = "%s:%d" % (addr.get_host_string(), addr.get_port())
        self.name = re.sub(r"\(.*\)", "(" + host_port.replace("\\", "\\\\") + ")", self.name)
        self.sasl_login_failed = False
        cnxn = self.cnxn
        if self._sasl_enabled:
            try:
                if cnxn.zoo_keeper_sasl_client is not None:
                    cnxn.zoo_keeper_sasl_client.shutdown()
                cnxn.zoo_keeper_sasl_client = ZooKeeperSaslClient(
                    SaslServerPrincipal.get_server_principal(addr, cnxn.client_config), cnxn.client_config)
            except LoginException as e:
                # Java warns, sends AuthFailed and goes on without SASL. A client asked for SASL
                # never falls back to anonymous here: AuthFailed, and the client is done.
                LOG.error("SASL configuration failed: %s. The client was asked for SASL and will not connect "
                          "without it.", e)
                self.sasl_login_failed = True
                cnxn.zoo_keeper_sasl_client = None
                self.change_zk_state(States.AUTH_FAILED)
                cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.AuthFailed, None))
                cnxn.event_thread.queue_event_of_death()
                raise IOError("SASL configuration failed: %s" % e) from None
        msg = "Opening socket connection to server %s." % (addr,)
        if cnxn.zoo_keeper_sasl_client is not None:
            msg += " " + cnxn.zoo_keeper_sasl_client.get_config_status()
        LOG.info(msg)
        self.client_cnxn_socket.connect(addr)

    def run(self):
        cnxn = self.cnxn
        sock = self.client_cnxn_socket
        sock.introduce(self, cnxn.session_id, cnxn.outgoing_queue)
        sock.update_now()
        sock.update_last_send_and_heard()
        last_ping_rw_server = current_elapsed_time()
        server_address = None
        while cnxn.state.is_alive():
            try:
                if not sock.is_connected():
                    # Do not reconnect while closing.
                    if cnxn.closing:
                        break
                    if self.rw_server_address is not None:
                        server_address = self.rw_server_address
                        self.rw_server_address = None
                    else:
                        server_address = cnxn.host_provider.next(1000)
                    cnxn.on_connecting(server_address)
                    self.start_connect(server_address)
                    sock.update_now()
                    sock.update_last_send_and_heard()
                if self._reset_requested:
                    self._reset_requested = False
                    raise IOError("request timed out (zookeeper.request.timeout); resetting the connection")
                state = cnxn.state
                if state.is_connected():
                    to = cnxn.read_timeout - sock.get_idle_recv()
                else:
                    to = cnxn.connect_timeout - sock.get_idle_recv()
                if to <= 0:
                    warn_info = "Client session timed out, have not heard from server in %dms for session id 0x%s" % (
                        sock.get_idle_recv(), _hex(cnxn.session_id))
                    LOG.warning(warn_info)
                    raise SessionTimeoutException(warn_info)
                if state.is_connected() and cnxn.zoo_keeper_sasl_client is not None:
                    self._check_sasl()
                    state = cnxn.state
                if state.is_connected():
                    idle_send = sock.get_idle_send()
                    # Ping a second early once idle for a while, so the ping is on time.
                    time_to_next_ping = cnxn.read_timeout // 2 - idle_send - (1000 if idle_send > 1000 else 0)
                    if time_to_next_ping <= 0 or idle_send > self.MAX_SEND_PING_INTERVAL:
                        self.send_ping()
                        sock.update_last_send()
                    elif time_to_next_ping < to:
                        to = time_to_next_ping
                # A read-only client looks for a read-write server now and then.
                if state is States.CONNECTEDREADONLY:
                    now = current_elapsed_time()
                    idle_ping_rw_server = now - last_ping_rw_server
                    if idle_ping_rw_server >= self.ping_rw_timeout:
                        last_ping_rw_server = now
                        idle_ping_rw_server = 0
                        self.ping_rw_timeout = min(2 * self.ping_rw_timeout, self.MAX_PING_RW_TIMEOUT)
                        self.ping_rw_server()
                    to = min(to, self.ping_rw_timeout - idle_ping_rw_server)
                sock.do_transport(to, cnxn.pending_queue, cnxn)
            except Exception as e:
                if cnxn.closing:
                    # Closing, so this is expected (3.5.7 logs it at debug).
                    LOG.debug("An exception was thrown while closing send thread for session 0x%s.",
                                _hex(cnxn.session_id), exc_info=LOG.isEnabledFor(logging.DEBUG))
                    break
                # I/O trouble is expected and told in one line; anything else is a bug
                # and gets its traceback.
                LOG.warning(
                    "Session 0x%s for server %s, Closing socket connection. "
                    "Attempting reconnect except it is a SessionExpiredException. (%s: %s)",
                    _hex(cnxn.session_id), server_address, type(e).__name__, e,
                    exc_info=not isinstance(e, OSError))
                # Packets queued from now on go out on the next connection, or get a
                # connection loss if the client is closed.
                self.clean_and_notify_state()
        with cnxn._state_lock:
            # Failing a closeSession that is still waiting for its reply wakes close(), which
            # then sets CLOSED before the check below; Java's SendThread nearly always looks
            # first and sends Disconnected, so that case is decided before cleanup. An answered
            # closeSession has already woken close(), and Java sends Closed alone there.
            close_unanswered = cnxn.state.is_alive() and any(
                p.type == OpCode.closeSession for p in (*cnxn.pending_queue, *cnxn.outgoing_queue))
            self.cleanup()
        sock.close()
        if close_unanswered or cnxn.state.is_alive():
            cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.Disconnected, None))
        cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.Closed, None))
        LOG.debug("SendThread exited loop for session: 0x%s", _hex(cnxn.session_id))

    def _check_sasl(self):
        """The run loop's SASL step: start the exchange, then send AuthFailed or SaslAuthenticated."""
        cnxn = self.cnxn
        sasl_client = cnxn.zoo_keeper_sasl_client
        send_auth_event = False
        auth_state = None
        if sasl_client.get_sasl_state() is SaslState.INITIAL:
            try:
                sasl_client.initialize(cnxn)
            except SaslException as e:
                LOG.error("SASL authentication with Zookeeper Quorum member failed: %s", e)
                self.change_zk_state(States.AUTH_FAILED)
                send_auth_event = True
        auth_state = sasl_client.get_keeper_state()
        if auth_state is not None:
            if auth_state is KeeperState.AuthFailed:
                self.change_zk_state(States.AUTH_FAILED)
                send_auth_event = True
            elif auth_state is KeeperState.SaslAuthenticated:
                send_auth_event = True
        if send_auth_event:
            cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, auth_state or KeeperState.AuthFailed, None))
            if cnxn.state is States.AUTH_FAILED:
                cnxn.event_thread.queue_event_of_death()

    def clean_and_notify_state(self):
        self.cleanup()
        if self.cnxn.state.is_alive():
            self.cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.Disconnected, None))
        self.client_cnxn_socket.update_now()
        self.client_cnxn_socket.update_last_send_and_heard()

    def request_reset(self):
        """Called by a caller whose request timed out: the SendThread drops the connection
        (Java calls cleanAndNotifyState from the caller's thread)."""
        self._reset_requested = True
        self.client_cnxn_socket.wakeup_cnxn()

    def ping_rw_server(self):
        result = None
        addr = self.cnxn.host_provider.next(0)
        LOG.info("Checking server %s for being r/w. Timeout %d", addr, self.ping_rw_timeout)
        try:
            with socket.create_connection(addr.sockaddr(), timeout=1.0) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(b"isro")
                s.shutdown(socket.SHUT_WR)
                data = b""
                while b"\n" not in data:
                    chunk = s.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                result = data.split(b"\n", 1)[0].decode("utf-8", "replace")
        except ConnectionRefusedError:
            pass  # the server is down: nothing to log
        except OSError as e:
            LOG.warning("Exception while seeking for r/w server.", exc_info=e)
        if result == "rw":
            self.ping_rw_timeout = self.MIN_PING_RW_TIMEOUT
            # Save the found address so that it is used during the next connection attempt.
            self.rw_server_address = addr
            raise RWServerFoundException("Majority server found at %s:%d" % (addr.get_host_string(), addr.get_port()))

    def cleanup(self):
        cnxn = self.cnxn
        self.client_cnxn_socket.cleanup()
        pending = cnxn.pending_queue
        while pending:
            cnxn.con_loss_packet(pending.popleft())
        outgoing = cnxn.outgoing_queue
        while True:
            try:
                p = outgoing.popleft()
            except IndexError:
                break
            cnxn.con_loss_packet(p)

    def on_connected(self, negotiated_session_timeout, session_id, session_passwd, is_ro):
        cnxn = self.cnxn
        cnxn.negotiated_session_timeout = negotiated_session_timeout
        if negotiated_session_timeout <= 0:
            self.change_zk_state(States.CLOSED)
            cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, KeeperState.Expired, None))
            cnxn.event_thread.queue_event_of_death()
            warn_info = "Unable to reconnect to ZooKeeper service, session 0x%s has expired" % _hex(cnxn.session_id)
            LOG.warning(warn_info)
            raise SessionExpiredException(warn_info)
        if not cnxn.read_only and is_ro:
            LOG.error("Read/write client got connected to read-only server")
        cnxn.read_timeout = negotiated_session_timeout * 2 // 3
        cnxn.connect_timeout = negotiated_session_timeout // cnxn.host_provider.size()
        cnxn.host_provider.on_connected()
        cnxn.session_id = session_id
        cnxn.session_passwd = session_passwd
        self.change_zk_state(States.CONNECTEDREADONLY if is_ro else States.CONNECTED)
        cnxn.seen_rw_server_before |= not is_ro
        LOG.info("Session establishment complete on server %s, session id = 0x%s, negotiated timeout = %d%s",
                 self.client_cnxn_socket.get_remote_socket_address(), _hex(session_id), negotiated_session_timeout,
                 " (READ-ONLY mode)" if is_ro else "")
        event_state = KeeperState.ConnectedReadOnly if is_ro else KeeperState.SyncConnected
        cnxn.event_thread.queue_event(WatchedEvent(EventType.None_, event_state, None))

    def close(self):
        try:
            self.change_zk_state(States.CLOSED)
        except IOError:
            LOG.warning("Connection close fails when migrates state from %s to CLOSED", self.get_zk_state())
        self.client_cnxn_socket.on_closing()

    def testable_close_socket(self):
        self.client_cnxn_socket.testable_close_socket()

    def tunnel_auth_in_progress(self):
        """Whether SASL is under way: requests wait in outgoingQueue until it is over."""
        if not self._sasl_enabled or self.sasl_login_failed:
            return False
        sasl_client = self.cnxn.zoo_keeper_sasl_client
        if sasl_client is None:
            return True
        return sasl_client.client_tunneled_authentication_in_progress()

    def send_packet(self, p):
        self.client_cnxn_socket.send_packet(p)
