"""Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager: the election-port connections."""

import errno
import functools
import logging
import os
import queue
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from zookeeper_py.common import system_properties
from zookeeper_py.common.net_utils import (
    TRANSIENT_ACCEPT_ERRORS,
    NetUtils,
    close_socket,
    inet_socket_address_str,
    peer_address,
    server_socket,
)
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.common.x509_util import X509Exception
from zookeeper_py.server.exit_code import ExitCode
from zookeeper_py.server.quorum.auth.null_quorum_auth_learner import NullQuorumAuthLearner
from zookeeper_py.server.quorum.auth.null_quorum_auth_server import NullQuorumAuthServer
from zookeeper_py.server.quorum.auth.quorum_auth import AuthInputStream
from zookeeper_py.server.quorum.quorum_server import ConfigException, get_host_and_port
from zookeeper_py.server.quorum.unified_server_socket import UnifiedServerSocket, UnifiedSocket, create_ssl_socket
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperThread

LOG = logging.getLogger("QuorumCnxManager")

_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")
_HANDSHAKE_HEAD = struct.Struct(">qqi")  # protocol version, sid, address length

OBSERVER_ID = (1 << 63) - 1  # QuorumPeer.OBSERVER_ID


def _recv_exactly(sock, n, deadline=None):
    """DataInputStream.readFully: n bytes or EOFError; socket.timeout past `deadline` (monotonic)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("handshake not complete in time: %d of %d bytes" % (got, n))
            sock.settimeout(left)
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError("connection closed after %d of %d bytes" % (got, n))
        got += k
    return bytes(buf)


class Message:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.Message: a frame and who sent it."""

    __slots__ = ("buffer", "sid")

    def __init__(self, buffer, sid):
        self.buffer = buffer
        self.sid = sid


class InitialMessageException(Exception):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.InitialMessage.InitialMessageException."""


class InitialMessage:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.InitialMessage.

    The handshake of a connecting peer after the protocol version: its sid and its
    election address. 3.5 sends one `host:port` (-65536); 3.6+ may send
    `host1:port1|host2:port2` under version -65535, which is accepted too.
    """

    def __init__(self, sid, election_addr):
        self.sid = sid
        self.election_addr = election_addr

    @staticmethod
    def parse(protocol_version, sock, deadline=None):
        if protocol_version not in (QuorumCnxManager.PROTOCOL_VERSION, QuorumCnxManager.PROTOCOL_VERSION_V2):
            raise InitialMessageException("Got unrecognized protocol version %d" % protocol_version)
        sid, = _LONG.unpack(_recv_exactly(sock, 8, deadline))
        remaining, = _INT.unpack(_recv_exactly(sock, 4, deadline))
        if remaining <= 0 or remaining > QuorumCnxManager.maxBuffer:
            raise InitialMessageException("Unreasonable buffer length: %d" % remaining)
        try:
            text = _recv_exactly(sock, remaining, deadline).decode("utf-8", "replace")
        except EOFError:
            raise InitialMessageException("Read only part of %d bytes sent by server %d" % (remaining, sid)) from None
        addresses = []
        for addr in text.split("|"):
            try:
                host_port = get_host_and_port(addr)
            except ConfigException:
                raise InitialMessageException("Badly formed address: %r" % addr) from None
            if len(host_port) != 2:
                raise InitialMessageException("Badly formed address: %r" % addr)
            try:
                port = int(host_port[1])
            except ValueError:
                raise InitialMessageException("Bad port number: %s" % host_port[1]) from None
            if not 0 <= port <= 65535:
                raise InitialMessageException("Bad port number: %s" % host_port[1])
            try:
                host_port[0].encode("idna")  # what socket.create_connection will do with it
            except UnicodeError:
                raise InitialMessageException("Badly formed address: %r" % addr) from None
            if host_port[0] not in ("0.0.0.0", "::", "0:0:0:0:0:0:0:0"):
                addresses.append((host_port[0], port))
        return InitialMessage(sid, addresses[0] if addresses else None)


class QuorumCnxManager:
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.

    One TCP connection per pair of peers on the election port. Of two connections
    between the same peers only the one opened by the larger sid survives: a smaller
    sid that calls in is hung up on and called back. Each connection has a SendWorker
    and a RecvWorker thread. Outgoing messages wait in a queue of capacity 1 per peer
    (a newer message replaces one not yet sent); incoming ones go to one receive queue
    of capacity 100 (the oldest is dropped when it is full).
    """

    RECV_CAPACITY = 100
    SEND_CAPACITY = 1
    # Not in Java: servers outside the configuration connected at once (each holds two threads).
    MAX_STRANGERS = 8
    PACKETMAXSIZE = 1024 * 512
    PROTOCOL_VERSION = -65536
    PROTOCOL_VERSION_V2 = -65535  # 3.6+ multi-address handshake, accepted when received
    maxBuffer = 2048

    def __init__(self, peer, my_sid, view, socket_timeout, listen_on_all_ips, quorum_cnxn_threads_size=20,
                 auth_server=None, auth_learner=None, quorum_sasl_auth_enabled=False):
        self.self = peer
        self.my_sid = my_sid
        self.socket_timeout = socket_timeout
        self.view = view
        self.listen_on_all_ips = listen_on_all_ips
        # Java's Integer.parseInt fails on a bad value too; this names the property.
        self.cnx_to = system_properties.get_count("zookeeper.cnxTimeout", 5000)
        self.tcp_keep_alive = system_properties.get_boolean("zookeeper.tcpKeepAlive")
        # Java: ArrayBlockingQueue(RECV_CAPACITY), oldest dropped when full (under recvQLock).
        self.recv_queue = queue.Queue(self.RECV_CAPACITY)
        self.recv_q_lock = threading.Lock()
        # sid -> queue.Queue(SEND_CAPACITY); sid -> SendWorker; sid -> last frame sent
        self.queue_send_map = {}
        self.sender_worker_map = {}
        self.last_message_sent = {}
        self.map_lock = threading.Lock()  # the ConcurrentHashMap operations that must be atomic
        self._lock = threading.RLock()  # Java: synchronized connectOne
        self.observer_counter = -1
        self.thread_cnt = 0
        self.shutdown = False
        # Java reads the handshake on this pool only with quorum SASL; zookeeper_py always does,
        # so a peer that connects and says nothing holds one of these threads, never the listener:
        # for at most cnxTimeout from its accept until its initial message is in. When every
        # thread is taken, the handshake waiting longest is closed for the new one
        # (receive_connection_async): strangers holding the threads cannot keep a real peer out,
        # whose initial message comes at once. Java's SynchronousQueue refuses the new one.
        self.connection_executor = ThreadPoolExecutor(
            max_workers=quorum_cnxn_threads_size, thread_name_prefix="QuorumConnectionThread-[myid=%d]" % my_sid)
        self.connection_slots = threading.BoundedSemaphore(quorum_cnxn_threads_size)
        self.handshakes = {}  # accepted socket -> monotonic time of its accept, until its initial message is read
        self.handshakes_lock = threading.Lock()
        self.strangers_joining = []  # sids outside the configuration between handshake and workers (map_lock)
        self.initialize_auth(auth_server, auth_learner, quorum_sasl_auth_enabled)
        self.listener = Listener(self)

    def initialize_auth(self, auth_server, auth_learner, quorum_sasl_auth_enabled):
        """Quorum SASL: who authenticates whom in the handshake. With SASL, connections this member
        opens are also handed to the QuorumConnectionThreads (initiateConnectionAsync), so an exchange
        with a slow peer never holds connectOne."""
        self.auth_server = auth_server if auth_server is not None else NullQuorumAuthServer()
        self.auth_learner = auth_learner if auth_learner is not None else NullQuorumAuthLearner()
        self.quorum_sasl_auth_enabled = quorum_sasl_auth_enabled
        self.inprogress_connections = set()  # sids with an initiateConnectionAsync under way

    # -- connecting ---------------------------------------------------------------

    def initiate_connection(self, sock, sid):
        try:
            self.start_connection(sock, sid)
        except (OSError, EOFError, SaslException) as e:
            LOG.error("Exception while connecting, id: %d, addr: %s, closing learner connection: %s", sid,
                      _peer_name(sock), _reason(e))
            close_socket(sock)

    def initiate_connection_async(self, sock, sid):
        """initiateConnection on a QuorumConnectionThread (one at a time per sid); False if refused."""
        with self.map_lock:
            if sid in self.inprogress_connections:
                # simply return as there is a connection request to server 'sid' already in progress.
                LOG.debug("Connection request to server id: %d is already in progress, so skipping this request",
                          sid)
                close_socket(sock)
                return False
            self.inprogress_connections.add(sid)
        if not self.connection_slots.acquire(blocking=False):
            LOG.error("Exception while submitting quorum connection request to %d: all %d connection threads busy",
                      sid, self.connection_executor._max_workers)
            with self.map_lock:
                self.inprogress_connections.discard(sid)
            close_socket(sock)
            return False

        def initiate():
            try:
                self.initiate_connection(sock, sid)
            except Exception:
                LOG.error("Exception while connecting, id: %d, addr: %s", sid, _peer_name(sock), exc_info=True)
                close_socket(sock)
            finally:
                with self.map_lock:
                    self.inprogress_connections.discard(sid)
                self.connection_slots.release()

        try:
            self.connection_executor.submit(initiate)
        except RuntimeError:  # shut down
            with self.map_lock:
                self.inprogress_connections.discard(sid)
            self.connection_slots.release()
            close_socket(sock)
            return False
        return True

    def start_connection(self, sock, sid):
        """Send the handshake; keep the connection only if the peer's sid is smaller than ours."""
        try:
            addr = NetUtils.format_inet_addr(self.self.get_election_address()).encode("utf-8")
            sock.sendall(_HANDSHAKE_HEAD.pack(self.PROTOCOL_VERSION, self.self.get_id(), len(addr)) + addr)
        except OSError as e:
            LOG.warning("Ignoring exception reading or writing challenge: %s", e)
            close_socket(sock)
            return False
        # authenticate learner (Java looks in the voting view only, so it never authenticates to an observer;
        # here every member of the view is asked)
        qps = self.self.get_view().get(sid)
        if qps is not None:
            self.auth_learner.authenticate(sock, qps.hostname)
        if sid > self.self.get_id():
            LOG.info("Have smaller server identifier, so dropping the connection: (%d, %d)", sid, self.self.get_id())
            close_socket(sock)
            return False
        self._start_workers(sock, sid)
        return True

    def _start_workers(self, sock, sid, din_pending=b""):
        sw = SendWorker(self, sock, sid)
        rw = RecvWorker(self, sock, sid, sw, din_pending)
        sw.set_recv(rw)
        with self.map_lock:
            vsw = self.sender_worker_map.get(sid)
        if vsw is not None:
            vsw.finish()
        with self.map_lock:
            self.sender_worker_map[sid] = sw
            if sid not in self.queue_send_map:
                self.queue_send_map[sid] = queue.Queue(self.SEND_CAPACITY)
        sw.start()
        rw.start()

    def receive_connection(self, sock, deadline=None):
        try:
            self.handle_connection(sock, deadline)
        except (OSError, EOFError, SaslException) as e:
            LOG.error("Exception handling connection, addr: %s, closing server connection: %s", _peer_name(sock),
                      _reason(e))
            close_socket(sock)

    def receive_connection_async(self, sock):
        """Read the handshake of an accepted connection on a QuorumConnectionThread."""
        accepted = time.monotonic()
        if not self.connection_slots.acquire(blocking=False):
            # A slot frees as soon as the oldest handshake's thread sees its socket shut.
            if not self._close_oldest_handshake() or not self.connection_slots.acquire(timeout=1.0):
                LOG.error("Exception handling connection, addr: %s, closing server connection: all %d connection "
                          "threads busy", _peer_name(sock), self.connection_executor._max_workers)
                close_socket(sock)
                return

        def receive():
            with self.handshakes_lock:
                self.handshakes[sock] = accepted
            try:
                self.receive_connection(sock, accepted + self.cnx_to / 1000.0)
            except Exception:
                LOG.error("Exception handling connection, addr: %s, closing server connection", _peer_name(sock),
                          exc_info=True)
                close_socket(sock)
            finally:
                with self.handshakes_lock:
                    self.handshakes.pop(sock, None)
                self.connection_slots.release()

        try:
            self.connection_executor.submit(receive)
        except RuntimeError:  # shut down
            self.connection_slots.release()
            close_socket(sock)

    def _close_oldest_handshake(self):
        """Shut the socket of the handshake that has waited longest (its thread then closes it and
        frees its slot); False when there is none to close."""
        with self.handshakes_lock:
            if not self.handshakes:
                return False
            sock, accepted = min(self.handshakes.items(), key=lambda item: item[1])
            del self.handshakes[sock]
        LOG.warning("All %d connection threads busy: closing the election connection from %s, whose handshake "
                    "has waited %.1f s, for a new one", self.connection_executor._max_workers, _peer_name(sock),
                    time.monotonic() - accepted)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return True

    def _reserve_room_for_a_stranger(self, sid):
        """Take one of the MAX_STRANGERS places for a server outside the configuration (a new member
        of a rolling change may be one; each costs a SendWorker and a RecvWorker); False when all are
        taken. The place is held from here until its workers are in the map, so handshakes read side
        by side cannot all see the same last free place. A call-back under way on a
        QuorumConnectionThread (quorum SASL) holds its place until it has put its workers in the map."""
        view = self.self.get_view()
        with self.map_lock:
            strangers = {s for s in self.sender_worker_map if s not in view}
            strangers.update(self.strangers_joining)
            strangers.update(s for s in self.inprogress_connections if s not in view)
            strangers.discard(sid)  # a stranger connecting again replaces its own workers
            if len(strangers) >= self.MAX_STRANGERS:
                return False
            self.strangers_joining.append(sid)
            return True

    def _release_room_for_a_stranger(self, sid):
        with self.map_lock:
            self.strangers_joining.remove(sid)

    def handle_connection(self, sock, deadline=None):
        """Read an accepted connection's handshake (its initial message by `deadline`, monotonic),
        authenticate it, and keep it or call the peer back."""
        accepted_sock = sock
        if isinstance(sock, UnifiedSocket):
            # TLS or plaintext: detected here, on this QuorumConnectionThread, never on the listener.
            try:
                sock = sock.get_socket()
            except OSError:
                return  # closed, with a log line naming the peer and the reason
        election_addr = None
        try:
            protocol_version, = _LONG.unpack(_recv_exactly(sock, 8, deadline))
            if protocol_version >= 0:
                # a server id, not a protocol version: a peer older than 3.5
                sid = protocol_version
            else:
                try:
                    init = InitialMessage.parse(protocol_version, sock, deadline)
                    sid = init.sid
                    election_addr = init.election_addr
                except InitialMessageException as ex:
                    LOG.error("%s, from %s", ex, _peer_name(sock))
                    close_socket(sock)
                    return
            if sid == OBSERVER_ID:
                # Pre-3.5 observers all call themselves Long.MAX_VALUE: give each its own id.
                with self.map_lock:
                    sid = self.observer_counter
                    self.observer_counter -= 1
                LOG.info("Setting arbitrary identifier to observer: %d", sid)
        except (OSError, EOFError) as e:
            LOG.warning("Exception reading or writing challenge from %s: %s", _peer_name(sock), e)
            close_socket(sock)
            return
        with self.handshakes_lock:
            self.handshakes.pop(accepted_sock, None)  # read: no longer one to close for a newcomer
        if deadline is not None:
            sock.settimeout(self.read_timeout())  # as set_sock_opts left it, before the deadline
        # do authenticating learner (on this QuorumConnectionThread, every read within the socket timeout)
        din = AuthInputStream(sock)
        try:
            self.auth_server.authenticate(sock, din)
        except (OSError, EOFError, SaslException) as e:
            LOG.error("Refused the election connection of server %d, addr: %s: quorum SASL authentication failed: %s",
                      sid, _peer_name(sock), _reason(e))
            close_socket(sock)
            return
        stranger = sid not in self.self.get_view()
        if stranger and not self._reserve_room_for_a_stranger(sid):
            LOG.warning("Refused the election connection of server %d from %s: it is not in the configuration, "
                        "and %d such servers are connected already", sid, _peer_name(sock), self.MAX_STRANGERS)
            close_socket(sock)
            return
        try:
            self._keep_or_call_back(sock, sid, election_addr, din)
        finally:
            if stranger:
                self._release_room_for_a_stranger(sid)

    def _keep_or_call_back(self, sock, sid, election_addr, din):
        if sid < self.self.get_id():
            # The connection from the larger sid is the one that survives: drop this one and call back.
            with self.map_lock:
                sw = self.sender_worker_map.get(sid)
            if sw is not None:
                sw.finish()
            LOG.debug("Create new connection to server: %d", sid)
            close_socket(sock)
            if election_addr is not None:
                self.connect_one_addr(sid, election_addr)
            else:
                self.connect_one(sid)
        else:
            self._start_workers(sock, sid, din.unread())

    def to_send(self, sid, b):
        """Queue frame b for peer sid (a message to myself goes straight to the receive queue)."""
        if self.my_sid == sid:
            self.add_to_recv_queue(Message(b, sid))
        else:
            with self.map_lock:
                bq = self.queue_send_map.get(sid)
                if bq is None:
                    bq = self.queue_send_map[sid] = queue.Queue(self.SEND_CAPACITY)
            self.add_to_send_queue(bq, b)
            self.connect_one(sid)

    def connect_one_addr(self, sid, election_addr):
        """connectOne(sid, electionAddr): dial one address; True if a connection is up or was made."""
        with self._lock:
            if sid in self.sender_worker_map:
                LOG.debug("There is a connection already for server %d", sid)
                return True
            sock = None
            try:
                LOG.debug("Opening channel to server %d", sid)
                sock = socket.create_connection(election_addr, timeout=self.cnx_to / 1000.0)
                self.set_sock_opts(sock)
                if self.self.is_ssl_quorum():
                    sock = create_ssl_socket(self.self.get_x509_util(), sock, election_addr[0])
                LOG.debug("Connected to server %d", sid)
                # Use a QuorumConnectionThread when SASL is on: the exchange may take a few round trips.
                if self.quorum_sasl_auth_enabled:
                    return self.initiate_connection_async(sock, sid)
                self.initiate_connection(sock, sid)
                return True
            except X509Exception as e:
                LOG.warning("Cannot open secure channel to %d at election address %s: %s", sid,
                            inet_socket_address_str(election_addr), e)
                close_socket(sock)
                return False
            except (OSError, UnicodeError, ValueError, OverflowError) as e:
                LOG.warning("Cannot open channel to %d at election address %s: %s", sid,
                            inet_socket_address_str(election_addr), e)
                close_socket(sock)
                return False

    def connect_one(self, sid):
        """connectOne(sid): dial a peer at its address in the committed, then the last seen, config."""
        with self._lock:
            if sid in self.sender_worker_map:
                LOG.debug("There is a connection already for server %d", sid)
                return
            with self.self.qv_lock:
                known_id = False
                last_committed_view = self.self.get_view()
                last_seen_qv = self.self.get_last_seen_quorum_verifier()
                last_proposed_view = last_seen_qv.get_all_members() if last_seen_qv is not None else {}
                if sid in last_committed_view:
                    known_id = True
                    if self.connect_one_addr(sid, last_committed_view[sid].election_addr):
                        return
                if sid in last_proposed_view and (
                        not known_id
                        or last_proposed_view[sid].election_addr != last_committed_view[sid].election_addr):
                    known_id = True
                    if self.connect_one_addr(sid, last_proposed_view[sid].election_addr):
                        return
                if not known_id:
                    LOG.warning("Invalid server id: %d", sid)

    def connect_all(self):
        with self.map_lock:
            sids = list(self.queue_send_map)
        for sid in sids:
            self.connect_one(sid)

    def have_delivered(self):
        """True if some peer's send queue is empty (a message got out)."""
        with self.map_lock:
            queues = list(self.queue_send_map.values())
        for q in queues:
            LOG.debug("Queue size: %d", q.qsize())
            if q.qsize() == 0:
                return True
        return False

    def halt(self):
        self.shutdown = True
        LOG.debug("Halting listener")
        self.listener.halt()
        if self.listener.ident is not None and self.listener is not threading.current_thread():
            self.listener.join(10)
        self.connection_executor.shutdown(wait=False)
        self.soft_halt()

    def soft_halt(self):
        with self.map_lock:
            workers = list(self.sender_worker_map.values())
        for sw in workers:
            LOG.debug("Halting sender: %s", sw)
            sw.finish()

    def set_sock_opts(self, sock):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if self.tcp_keep_alive else 0)
        sock.settimeout(self.read_timeout())

    def read_timeout(self):
        """Java's SO_TIMEOUT tickTime*syncLimit, in seconds (reads only; the RecvWorker lifts it)."""
        return self.self.tick_time * self.self.sync_limit / 1000.0

    def get_thread_count(self):
        return self.thread_cnt

    # -- queues ---------------------------------------------------------------------

    @staticmethod
    def add_to_send_queue(q, buffer):
        """Offer to a full queue by first dropping its (older, unsent) head."""
        if q.full():
            try:
                q.get_nowait()
            except queue.Empty:
                LOG.debug("Trying to remove from an empty Queue. Ignoring exception")
        try:
            q.put_nowait(buffer)
        except queue.Full:
            LOG.error("Unable to insert an element in the queue")

    def add_to_recv_queue(self, msg):
        with self.recv_q_lock:
            if self.recv_queue.full():
                try:
                    self.recv_queue.get_nowait()
                except queue.Empty:
                    LOG.debug("Trying to remove from an empty recvQueue. Ignoring exception")
            try:
                self.recv_queue.put_nowait(msg)
            except queue.Full:
                LOG.error("Unable to insert element in the recvQueue")

    def poll_recv_queue(self, timeout_ms):
        try:
            return self.recv_queue.get(timeout=timeout_ms / 1000.0)
        except queue.Empty:
            return None

    def connected_to_peer(self, peer_sid):
        return peer_sid in self.sender_worker_map


def _reason(e):
    text = str(e)
    if isinstance(e, socket.timeout):
        return "no answer within the socket timeout"
    if isinstance(e, EOFError):
        return "connection closed by the peer (%s)" % text
    if isinstance(e, SaslException):
        return text
    return "%s: %s" % (type(e).__name__, text) if text else type(e).__name__


def _peer_name(sock):
    addr = peer_address(sock)
    return inet_socket_address_str(addr) if addr else "<closed>"


class Listener(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.Listener: accepts on the election port.

    Binding is retried zookeeper.electionPortBindRetry times (default 3, 0 = forever),
    one second apart; when that fails the process exits with code 14.
    """

    ELECTION_PORT_BIND_RETRY = "zookeeper.electionPortBindRetry"
    DEFAULT_PORT_BIND_MAX_RETRY = 3

    def __init__(self, manager):
        super().__init__("ListenerThread")
        self.manager = manager
        self.ss = None
        self._halted = threading.Event()
        max_retry = system_properties.get_integer(self.ELECTION_PORT_BIND_RETRY, self.DEFAULT_PORT_BIND_MAX_RETRY)
        if max_retry >= 0:
            LOG.info("Election port bind maximum retries is %s", "infinite" if max_retry == 0 else max_retry)
            self.port_bind_max_retry = max_retry
        else:
            LOG.info("'%s' contains invalid value: %d(must be >= 0). Use default value of %d instead.",
                     self.ELECTION_PORT_BIND_RETRY, max_retry, self.DEFAULT_PORT_BIND_MAX_RETRY)
            self.port_bind_max_retry = self.DEFAULT_PORT_BIND_MAX_RETRY
        self.socket_bind_error_handler = _exit_unable_to_bind
        self.name = "QuorumPeerListener"

    def run_thread(self):
        mgr = self.manager
        peer = mgr.self
        num_retries = 0
        exit_exception = None
        while not mgr.shutdown and (self.port_bind_max_retry == 0 or num_retries < self.port_bind_max_retry):
            try:
                make_socket = None
                if peer.should_use_port_unification() or peer.is_ssl_quorum():
                    plain_too = peer.should_use_port_unification()
                    LOG.info("Creating TLS-%s quorum server socket", "enabled" if plain_too else "only")
                    make_socket = functools.partial(UnifiedServerSocket, peer.get_x509_util(), plain_too)
                host, port = peer.get_election_address()[:2]
                if peer.get_quorum_listen_on_all_ips():
                    host = "0.0.0.0"
                ss, bind_host = server_socket(host, make_socket)
                ss.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self.ss = ss
                addr_str = inet_socket_address_str((host, port))
                LOG.info("My election bind port: %s", addr_str)
                self.name = addr_str
                ss.bind((bind_host, port))
                ss.listen(50)
                num_retries = 0
                self.accept_connections(ss)
            except OSError as e:
                if mgr.shutdown:
                    break
                LOG.error("Exception while listening", exc_info=e)
                exit_exception = e
                num_retries += 1
                close_socket(self.ss)
                self._halted.wait(1.0)
        LOG.info("Leaving listener")
        if not mgr.shutdown:
            LOG.error("As I'm leaving the listener thread after %d errors. I won't be able to participate in leader "
                      "election any longer: %s. Use %s property to increase retry count.", num_retries,
                      NetUtils.format_inet_addr(peer.get_election_address()), self.ELECTION_PORT_BIND_RETRY)
            if isinstance(exit_exception, OSError):
                self.socket_bind_error_handler()
        elif self.ss is not None:
            close_socket(self.ss)

    def accept_connections(self, ss):
        """Accept until shutdown. Only a broken listening socket raises: what goes wrong with one
        accepted connection (the peer reset it, it sent garbage) costs that connection alone."""
        mgr = self.manager
        while not mgr.shutdown:
            try:
                client, _ = ss.accept()
            except OSError as e:
                if e.errno not in TRANSIENT_ACCEPT_ERRORS:
                    raise
                # The peer went away before we took it, or the fd table is full: not a bind failure.
                LOG.warning("Ignoring error accepting an election connection: %s", e)
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._halted.wait(0.1)
                continue
            remote = peer_address(client)
            if remote is None:
                LOG.info("Election connection reset by its peer before it was read")
                close_socket(client)
                continue
            try:
                mgr.set_sock_opts(client)
            except OSError as e:
                LOG.info("Election connection from %s closed: %s", NetUtils.format_inet_addr(remote), e)
                close_socket(client)
                continue
            LOG.info("Received connection request %s", NetUtils.format_inet_addr(remote))
            mgr.receive_connection_async(client)

    def halt(self):
        LOG.debug("Trying to close listener: %s", self.ss)
        self._halted.set()
        if self.ss is not None:
            LOG.debug("Closing listener: %d", self.manager.my_sid)
            close_socket(self.ss)


def _exit_unable_to_bind():
    logging.shutdown()
    os._exit(ExitCode.UNABLE_TO_BIND_QUORUM_PORT.get_value())


class SendWorker(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.SendWorker: writes frames to one peer."""

    def __init__(self, manager, sock, sid):
        super().__init__("SendWorker:%d" % sid)
        self.manager = manager
        self.sid = sid
        self.sock = sock
        self.recv_worker = None
        self.running = True
        self._lock = threading.RLock()  # Java: synchronized methods
        LOG.debug("Address of remote peer: %d", sid)

    def set_recv(self, recv_worker):
        with self._lock:
            self.recv_worker = recv_worker

    def get_recv_worker(self):
        with self._lock:
            return self.recv_worker

    def finish(self):
        with self._lock:
            LOG.debug("Calling finish for %d", self.sid)
            if not self.running:
                # Avoids running finish() twice.
                return self.running
            self.running = False
            close_socket(self.sock)
            if self.recv_worker is not None:
                self.recv_worker.finish()
            LOG.debug("Removing entry from senderWorkerMap sid=%d", self.sid)
            mgr = self.manager
            with mgr.map_lock:
                if mgr.sender_worker_map.get(self.sid) is self:
                    del mgr.sender_worker_map[self.sid]
                mgr.thread_cnt -= 1
            return self.running

    def send(self, b):
        """One frame: int length, then the bytes, in one write.

        Only this thread sends, so no lock is held while blocked in sendall (Java's
        synchronized here would keep finish() waiting behind a stuck write)."""
        self.sock.sendall(_INT.pack(len(b)) + b)

    @staticmethod
    def _give_back(bq, b):
        """Queue b again for the peer's next SendWorker, unless a newer message took its place."""
        try:
            bq.put_nowait(b)
        except queue.Full:
            pass

    def run_thread(self):
        mgr = self.manager
        with mgr.map_lock:
            mgr.thread_cnt += 1
            bq = mgr.queue_send_map.get(self.sid)
        try:
            # A new connection: resend the last message in case the old connection lost it.
            if bq is None or bq.qsize() == 0:
                b = mgr.last_message_sent.get(self.sid)
                if b is not None:
                    LOG.debug("Attempting to send lastMessage to sid=%d", self.sid)
                    self.send(b)
        except OSError as e:
            LOG.error("Failed to send last message. Shutting down thread.", exc_info=e)
            self.finish()
        try:
            while self.running and not mgr.shutdown and self.sock is not None:
                bq = mgr.queue_send_map.get(self.sid)
                if bq is None:
                    LOG.error("No queue of incoming messages for server %d", self.sid)
                    break
                try:
                    b = bq.get(timeout=1.0)
                except queue.Empty:
                    continue
                if not self.running:
                    # finish() came while this thread waited: Java interrupts that wait, Python cannot.
                    # The queue is the peer's, not this connection's: the message is the next worker's.
                    self._give_back(bq, b)
                    break
                mgr.last_message_sent[self.sid] = b
                try:
                    self.send(b)
                except OSError:
                    if not self.running:  # finish() closed the socket under the write
                        self._give_back(bq, b)
                    raise
        except Exception as e:
            LOG.warning("Exception when using channel: for id %d my id = %d error = %s", self.sid, mgr.my_sid, e)
        self.finish()
        LOG.warning("Send worker leaving thread  id %d my id = %d", self.sid, mgr.self.get_id())


class RecvWorker(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.quorum.QuorumCnxManager.RecvWorker: reads frames from one peer."""

    def __init__(self, manager, sock, sid, sw, din_pending=b""):
        super().__init__("RecvWorker:%d" % sid)
        self.manager = manager
        self.sid = sid
        self.sock = sock
        # bytes the handshake read ahead (QuorumAuth.nextPacketIsAuth), read before the socket's
        self.din_pending = bytearray(din_pending)
        self.sw = sw
        self.running = True
        self._lock = threading.Lock()
        try:
            # Java: SO_TIMEOUT 0; the peer may stay quiet for a long time.
            sock.settimeout(None)
        except OSError as e:
            LOG.error("Error while accessing socket for %d", sid, exc_info=e)
            close_socket(sock)
            self.running = False

    def _read_fully(self, n):
        if not self.din_pending:
            return _recv_exactly(self.sock, n)
        head = bytes(self.din_pending[:n])
        del self.din_pending[:n]
        return head + (_recv_exactly(self.sock, n - len(head)) if len(head) < n else b"")

    def finish(self):
        with self._lock:
            if not self.running:
                return self.running
            self.running = False
        with self.manager.map_lock:
            self.manager.thread_cnt -= 1
        return False

    def run_thread(self):
        mgr = self.manager
        with mgr.map_lock:
            mgr.thread_cnt += 1
        try:
            while self.running and not mgr.shutdown and self.sock is not None:
                length, = _INT.unpack(self._read_fully(4))
                if length <= 0 or length > QuorumCnxManager.PACKETMAXSIZE:
                    raise IOError("Received packet with invalid packet: %d" % length)
                mgr.add_to_recv_queue(Message(self._read_fully(length), self.sid))
        except Exception as e:
            LOG.warning("Connection broken for id %d, my id = %d, error = %s", self.sid, mgr.my_sid, e)
        finally:
            LOG.warning("Interrupting SendWorker")
            self.sw.finish()
            close_socket(self.sock)
