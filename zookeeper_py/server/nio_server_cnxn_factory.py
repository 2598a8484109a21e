"""Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory."""

import logging
import math
import os
import queue
import random
import selectors
import socket
import threading
import time

from zookeeper_py.common import system_properties
from zookeeper_py.common.client_x509_util import ClientX509Util
from zookeeper_py.common.lazy_module import LazyModule
from zookeeper_py.common.linked_blocking_queue import LinkedBlockingQueue
from zookeeper_py.common.net_utils import close_socket, inet_socket_address_str, server_socket, unmapped
from zookeeper_py.common.selector_waker import SelectorWaker
from zookeeper_py.server.expiry_queue import ExpiryQueue
from zookeeper_py.server.nio_server_cnxn import NIOServerCnxn, outgoing_water_marks
from zookeeper_py.server.rate_logger import RateLogger
from zookeeper_py.server.server_cnxn_factory import PORT_UNIFICATION_KEY, ServerCnxnFactory
from zookeeper_py.server.worker_service import WorkerService, WorkRequest
from zookeeper_py.server.zoo_keeper_server import SubmitBatch
from zookeeper_py.server.zoo_keeper_thread import ZooKeeperThread

LOG = logging.getLogger("NIOServerCnxnFactory")
ssl = LazyModule("ssl")  # TLS only

# The client port's listen backlog unless clientPortListenBacklog sets one (Java: the JDK's 50).
LISTEN_BACKLOG = 128
ZOOKEEPER_NIO_SESSIONLESS_CNXN_TIMEOUT = "zookeeper.nio.sessionlessCnxnTimeout"
ZOOKEEPER_NIO_NUM_SELECTOR_THREADS = "zookeeper.nio.numSelectorThreads"
ZOOKEEPER_NIO_NUM_WORKER_THREADS = "zookeeper.nio.numWorkerThreads"
ZOOKEEPER_NIO_SHUTDOWN_TIMEOUT = "zookeeper.nio.shutdownTimeout"
# Accepted sockets waiting for their selector thread (Java: an unbounded LinkedBlockingQueue).
# A storm that outruns the selector has its surplus closed, as Java closes a socket it fails to queue.
ACCEPTED_QUEUE_CAPACITY = 1024

def _bound_address_str(addr):
    """InetSocketAddress(port).toString(): the wildcard prints as 0.0.0.0/0.0.0.0:port."""
    host, port = addr[0] or "0.0.0.0", addr[1]
    return "%s/%s:%d" % (host, host, port) if host == "0.0.0.0" else inet_socket_address_str((host, port))


_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class AbstractSelectThread(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.AbstractSelectThread."""

    def __init__(self, factory, name):
        super().__init__(name)
        self.factory = factory
        self.selector = selectors.DefaultSelector()
        self.waker = SelectorWaker()
        self.selector.register(self.waker.r, _READ, None)

    def wakeup_selector(self):
        self.waker.wakeup()

    def close_selector(self):
        try:
            self.selector.close()
        except OSError as e:
            LOG.warning("ignored exception during selector close %s", e)
        self.waker.close()

    @staticmethod
    def fast_close_sock(sock):
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            except OSError:
                pass
            close_socket(sock)


class AcceptThread(AbstractSelectThread):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.AcceptThread."""

    def __init__(self, factory, server_sock, addr, selector_threads):
        super().__init__(factory, "NIOServerCxnFactory.AcceptThread:" + _bound_address_str(addr))
        self.accept_socket = server_sock
        self.selector.register(server_sock, _READ, "accept")
        self.selector_threads = list(selector_threads)
        self.next_selector = 0
        self.reconfiguring = False
        self.accept_error_logger = RateLogger(LOG)

    def run_thread(self):
        try:
            while not self.factory.stopped and self.accept_socket.fileno() != -1:
                try:
                    self.select()
                except Exception:
                    LOG.warning("Ignoring unexpected exception", exc_info=True)
        finally:
            self.close_selector()
            if not self.reconfiguring:
                self.factory.stop()
            LOG.info("accept thread exitted run method")

    def select(self):
        for key, _ in self.selector.select():
            if self.factory.stopped:
                return
            if key.data is None:
                self.waker.drain()
            elif not self.do_accept():
                time.sleep(0.01)  # pauseAccept: the accept queue or fd table is full

    def do_accept(self):
        sock = None
        try:
            sock, addr = self.accept_socket.accept()
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as e:
            self.accept_error_logger.rate_limit_log("Error accepting new connection: %s" % e)
            return False
        try:
            ip = unmapped(addr[0])
            if self.factory.limit_total_number_of_cnxns():
                raise IOError("Too many connections max allowed is %d" % self.factory.max_cnxns)
            max_cnxns = self.factory.max_client_cnxns
            if max_cnxns > 0 and self.factory.get_client_cnxn_count(ip) >= max_cnxns:
                raise IOError("Too many connections from /%s - max is %d" % (ip, max_cnxns))
            LOG.debug("Accepted socket connection from %s", addr)
            sock.setblocking(False)
            thread = self.selector_threads[self.next_selector % len(self.selector_threads)]
            self.next_selector += 1
            if not thread.add_accepted_connection(sock):
                raise IOError("Unable to add connection to selector queue"
                              + (" (shutdown in progress)" if self.factory.stopped else ""))
            self.accept_error_logger.flush()
        except IOError as e:
            self.accept_error_logger.rate_limit_log("Error accepting new connection: %s" % e)
            self.fast_close_sock(sock)
        return True


class SelectorThread(AbstractSelectThread):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.SelectorThread.

    Owns a selector over its connections. Ready connections are handed to the worker
    pool (or handled right here when there are no workers). Other threads ask for
    interest changes through updateQueue; only this thread touches its selector,
    except cancel(), which a closing connection may call from anywhere.
    """

    def __init__(self, factory, id_):
        super().__init__(factory, "NIOServerCxnFactory.SelectorThread-%d" % id_)
        self.id = id_
        self.accepted_queue = queue.Queue(ACCEPTED_QUEUE_CAPACITY)
        # Bounded by the number of connections: a connection is in it at most once (interest_update_queued).
        self.update_queue = LinkedBlockingQueue()
        self.keys_lock = threading.Lock()
        # fd -> connection with complete frames still buffered after its turn (FRAMES_PER_ROUND):
        # it goes again next round, in random order with the sockets that are ready.
        self.buffered_ready = {}
        # The requests read this round when this thread runs the I/O; flushed at the end of the round.
        self.submit_batch = SubmitBatch()

    def add_accepted_connection(self, sock):
        if self.factory.stopped:
            return False
        try:
            self.accepted_queue.put_nowait(sock)
        except queue.Full:
            return False
        self.wakeup_selector()
        return True

    def add_interest_ops_update_request(self, cnxn):
        if self.factory.stopped:
            return False
        if cnxn.interest_update_queued:
            return True  # the selector reads the connection's state when it gets to it
        cnxn.interest_update_queued = True
        self.update_queue.put(cnxn)
        if threading.current_thread() is self:
            return True  # the loop applies it right after this round of events
        self.wakeup_selector()
        return True

    def run_thread(self):
        submit_batch = self.submit_batch
        try:
            while not self.factory.stopped:
                try:
                    self.select()
                    self.process_accepted_connections()
                    self.process_interest_ops_update_requests()
                except Exception:
                    LOG.warning("Ignoring unexpected exception", exc_info=True)
                finally:
                    submit_batch.flush()
            for key in list(self.selector.get_map().values()):
                cnxn = key.data
                if isinstance(cnxn, NIOServerCnxn):
                    cnxn.close()
            while True:
                try:
                    self.fast_close_sock(self.accepted_queue.get_nowait())
                except queue.Empty:
                    break
        finally:
            self.close_selector()
            self.factory.stop()
            LOG.info("selector thread exitted run method")

    def select(self):
        buffered = self.buffered_ready
        events = self.selector.select(0 if buffered else None)
        if buffered:
            self.buffered_ready = {}
            for key, _ in events:
                buffered.pop(key.fd, None)  # ready anyway: one turn
            events.extend((None, cnxn) for cnxn in buffered.values())
        if len(events) > 1:
            random.shuffle(events)  # as Java does, so no connection always goes first
        for key, mask in events:
            if self.factory.stopped:
                return
            if key is None:  # a connection with buffered frames: mask is the connection
                if mask.is_selectable() and mask.get_read_interest():
                    self.handle_io(mask, _READ)
                continue
            cnxn = key.data
            if cnxn is None:
                self.waker.drain()
                continue
            self.handle_io(cnxn, mask)

    def handle_io(self, cnxn, mask):
        pool = self.factory.worker_pool
        if pool.queues:
            cnxn.disable_selectable()
            self._unregister(cnxn)
            self.factory.touch_cnxn(cnxn)
            pool.schedule(IOWorkRequest(self, cnxn, mask))
        else:
            # No workers: do the I/O here, as Java does with numWorkerThreads=0.
            self.factory.touch_cnxn(cnxn)
            cnxn.do_io(bool(mask & _READ), bool(mask & _WRITE), self.submit_batch)
            if not cnxn.closed:
                self._apply_interest(cnxn)

    def process_accepted_connections(self):
        accepted = self.accepted_queue
        # Checked every round, so qsize() first: each queue.Empty caught left some 0.9 KB a round for
        # PyPy's young generation. Only this thread takes from the queue, so a size > 0 stays true.
        while not self.factory.stopped and accepted.qsize():
            sock = accepted.get_nowait()
            try:
                cnxn = self.factory.create_connection(sock, self)
                # A peer that reset the connection before now fails here, before the socket
                # is registered: a registered fd closed behind the selector's back would make
                # it refuse every later connection that gets the same fd number.
                self.factory.add_cnxn(cnxn)
            except (OSError, ValueError, KeyError) as e:
                LOG.debug("could not add accepted connection: %s", e)
                self.fast_close_sock(sock)
                continue
            try:
                with self.keys_lock:
                    self.selector.register(sock, _READ, cnxn)
                    cnxn.selector_ops = _READ
            except (OSError, ValueError, KeyError) as e:
                LOG.debug("could not register accepted connection: %s", e)
                cnxn.close()

    def process_interest_ops_update_requests(self):
        poll = self.update_queue.poll
        while not self.factory.stopped:
            cnxn = poll()
            if cnxn is None:
                return
            cnxn.interest_update_queued = False  # before reading its state, so no request is lost
            self._apply_interest(cnxn)

    def _apply_interest(self, cnxn):
        """Set the selector's interest to what the connection wants (nothing = unregistered)."""
        if not cnxn.is_selectable():
            return
        ops = cnxn.get_interest_ops()
        with self.keys_lock:
            if cnxn.closed:
                return
            # The connection's own record, not selector.get_map().get(): a miss there raises and
            # formats a KeyError, once per session on a connection whose reads paused for its
            # ConnectRequest.
            current = cnxn.selector_ops
            try:
                if ops == current:
                    pass
                elif ops == 0:
                    self.selector.unregister(cnxn.sock)
                elif current == 0:
                    self.selector.register(cnxn.sock, ops, cnxn)
                else:
                    self.selector.modify(cnxn.sock, ops, cnxn)
                cnxn.selector_ops = ops
            except (KeyError, ValueError, OSError):
                key = self.selector.get_map().get(cnxn.fd)  # rare: take the selector's word for it
                cnxn.selector_ops = key.events if key is not None and key.data is cnxn else 0
                return
        if ops & _READ and cnxn.inbuf and cnxn.has_pending_frame():
            # Frames already read (beyond its turn, or behind a throttle that just lifted): next round.
            self.buffered_ready[cnxn.fd] = cnxn

    def _unregister(self, cnxn):
        with self.keys_lock:
            if not cnxn.selector_ops:
                return
            cnxn.selector_ops = 0
            try:
                self.selector.unregister(cnxn.sock)
            except (KeyError, ValueError, OSError):
                pass

    def cancel(self, cnxn):
        """SelectionKey.cancel: stop selecting on a connection (any thread)."""
        self._unregister(cnxn)


class IOWorkRequest(WorkRequest):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.IOWorkRequest."""

    __slots__ = ("selector_thread", "cnxn", "mask")

    def __init__(self, selector_thread, cnxn, mask):
        self.selector_thread = selector_thread
        self.cnxn = cnxn
        self.mask = mask

    def do_work(self):
        cnxn = self.cnxn
        factory = self.selector_thread.factory
        cnxn.do_io(bool(self.mask & _READ), bool(self.mask & _WRITE))
        if factory.stopped:
            cnxn.close()
            return
        if cnxn.closed:
            return
        factory.touch_cnxn(cnxn)
        cnxn.enable_selectable()
        if not self.selector_thread.add_interest_ops_update_request(cnxn):
            cnxn.close()

    def cleanup(self):
        self.cnxn.close()


class ConnectionExpirerThread(ZooKeeperThread):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.ConnectionExpirerThread."""

    def __init__(self, factory):
        super().__init__("ConnnectionExpirer")
        self.factory = factory
        self.stop_event = threading.Event()

    def run_thread(self):
        queue_ = self.factory.cnxn_expiry_queue
        while not self.factory.stopped:
            wait = queue_.get_wait_time()
            if wait > 0:
                if self.stop_event.wait(wait / 1000.0):
                    break
                continue
            for cnxn in queue_.poll():
                cnxn.close()
        LOG.info("ConnnectionExpirerThread interrupted")


class NIOServerCnxnFactory(ServerCnxnFactory):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxnFactory.

    One AcceptThread, N SelectorThreads, a WorkerService of I/O workers and a
    ConnectionExpirerThread that closes connections whose session is gone.
    """

    def __init__(self):
        super().__init__()
        self.session_map = {}
        self.ip_map = {}
        self.max_client_cnxns = 60
        self.sessionless_cnxn_timeout = 10000
        self.cnxn_expiry_queue = None
        self.worker_pool = None
        # With no I/O workers, the NIOWorkerThread that runs four-letter words (see NIOServerCnxn)
        self.four_letter_word_pool = None
        self.num_selector_threads = 1
        self.num_worker_threads = 0
        self.worker_shutdown_timeout_ms = 5000
        self.stopped = True
        self.expirer_thread = None
        self.accept_thread = None
        self.selector_threads = []
        self.ss = None
        self.local_address = None
        self.max_buffer = system_properties.get_integer("jute.maxbuffer", 0xFFFFF)
        self.outgoing_high_water_mark = self.outgoing_low_water_mark = None  # read by configure()
        # TLS (set by configure): the server context of ClientX509Util (zookeeper.ssl.* keys)
        self.x509_util = None
        self.ssl_context = None
        self.port_unification = False
        self.ssl_handshake_timeout_ms = None

    def configure(self, addr, max_cc, backlog=-1, secure=False):
        """Bind the client port. addr is a (host, port) pair; host "" means every interface.
        backlog: clientPortListenBacklog (3.6+), LISTEN_BACKLOG when -1.

        secure: the secureClientPort, every connection TLS (Java needs NettyServerCnxnFactory for
        it; here the NIO selector threads do TLS themselves). A TLS setting that cannot be
        honoured raises X509Exception before anything listens."""
        self.secure = secure
        self.configure_sasl_login()
        self.port_unification = not secure and system_properties.get_boolean(PORT_UNIFICATION_KEY)
        if secure or self.port_unification:
            self.configure_ssl()
        self.max_client_cnxns = max_cc
        self.init_max_cnxns()
        self.listen_backlog = backlog if backlog > 0 else LISTEN_BACKLOG
        self.sessionless_cnxn_timeout = system_properties.get_integer(ZOOKEEPER_NIO_SESSIONLESS_CNXN_TIMEOUT, 10000)
        # The expirer's tick is its time resolution: on a TLS port it must also see handshake deadlines.
        self.cnxn_expiry_queue = ExpiryQueue(min(self.sessionless_cnxn_timeout, self.ssl_handshake_timeout_ms)
                                             if self.ssl_context is not None else self.sessionless_cnxn_timeout)
        self.expirer_thread = ConnectionExpirerThread(self)
        cores = os.cpu_count() or 1
        self.num_selector_threads = system_properties.get_integer(
            ZOOKEEPER_NIO_NUM_SELECTOR_THREADS, max(int(math.sqrt(cores / 2.0)), 1))
        if self.num_selector_threads < 1:
            raise IOError("numSelectorThreads must be at least 1")
        # Java's default is 2 x cores. Under the GIL extra I/O threads add hand-offs and no
        # parallelism, so zookeeper_py does the I/O on the selector threads unless asked.
        self.num_worker_threads = system_properties.get_integer(ZOOKEEPER_NIO_NUM_WORKER_THREADS, 0)
        self.worker_shutdown_timeout_ms = system_properties.get_integer(ZOOKEEPER_NIO_SHUTDOWN_TIMEOUT, 5000)
        LOG.info(
            "Configuring NIO connection handler with %ds sessionless connection timeout, %d selector thread(s), "
            "%s worker threads, and gathered writes.",
            self.sessionless_cnxn_timeout // 1000, self.num_selector_threads,
            self.num_worker_threads if self.num_worker_threads > 0 else "no")
        self.outgoing_high_water_mark, self.outgoing_low_water_mark = outgoing_water_marks()
        LOG.info("Reading from a connection pauses above %d unsent bytes and resumes below %d (%s, %s)",
                 self.outgoing_high_water_mark, self.outgoing_low_water_mark,
                 "zookeeper.nio.outgoingHighWaterMark", "zookeeper.nio.outgoingLowWaterMark")
        self.selector_threads = [SelectorThread(self, i) for i in range(self.num_selector_threads)]
        self.accept_thread = self._listen(addr)

    def _listen(self, addr):
        """Bind and listen on addr; the AcceptThread for it (not started)."""
        host, port = addr
        LOG.info("binding to port %s", _bound_address_str((host, port)))
        ss, bind_host = server_socket(host)
        try:
            ss.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ss.bind((bind_host, port))
            ss.listen(self.listen_backlog)
            ss.setblocking(False)
        except OSError:
            ss.close()
            raise
        self.ss = ss
        # The wildcard keeps its IPv4 spelling (thread names, logs), as before dual stack.
        self.local_address = (host or "0.0.0.0", ss.getsockname()[1])
        return AcceptThread(self, ss, (host or "0.0.0.0", self.local_address[1]), self.selector_threads)

    def reconfigure(self, addr):
        """Move the listening socket to addr without a restart (a committed reconfig changed this
        member's client address). Connections already accepted stay on their selector threads."""
        old_ss = self.ss
        try:
            self.accept_thread.reconfiguring = True
            close_socket(old_ss)
            self.accept_thread.wakeup_selector()
            self.accept_thread.join()
            self.accept_thread = self._listen(addr)
            self.accept_thread.start()
        except OSError as e:
            LOG.error("Error reconfiguring client port to %s %s", addr, e)

    def configure_ssl(self):
        self.x509_util = ClientX509Util()
        self.x509_util.check_config()
        self.ssl_context = self.x509_util.create_ssl_context(server_side=True)
        self.ssl_handshake_timeout_ms = self.x509_util.get_ssl_handshake_timeout_millis()
        LOG.info("%s connections on this port: TLS in the selector threads, %s client certificates, "
                 "handshake within %d ms", "Secure" if self.secure else "Plaintext and TLS (client.portUnification)",
                 {ssl.CERT_REQUIRED: "need", ssl.CERT_OPTIONAL: "want"}.get(self.ssl_context.verify_mode, "no"),
                 self.ssl_handshake_timeout_ms)

    def get_max_client_cnxns_per_host(self):
        return self.max_client_cnxns

    def set_max_client_cnxns_per_host(self, max_cnxns):
        self.max_client_cnxns = max_cnxns

    def start(self):
        self.stopped = False
        if self.worker_pool is None:
            self.worker_pool = WorkerService("NIOWorker", self.num_worker_threads, False)
            if self.num_worker_threads == 0:
                self.four_letter_word_pool = WorkerService("NIOWorker", 1, False)
        for t in self.selector_threads:
            if not t.is_alive() and t.ident is None:
                t.start()
        if self.accept_thread.ident is None:
            self.accept_thread.start()
        if self.expirer_thread.ident is None:
            self.expirer_thread.start()

    def startup(self, zks, start_server=True):
        # The server first (Java starts the threads first): a connection already waiting in the
        # listen backlog, accepted the moment the threads start, must find it, or it is closed as
        # "ZooKeeperServer not running" (seen on a secure port, which listens from configure()
        # and starts after the plain one has already answered srvr).
        self.set_zoo_keeper_server(zks)
        self.start()
        if start_server:
            zks.startdata()
            zks.startup()

    def get_local_address(self):
        return self.local_address

    def get_local_port(self):
        return self.local_address[1] if self.local_address else -1

    def create_connection(self, sock, selector_thread):
        return NIOServerCnxn(self.zk_server, sock, self, selector_thread)

    def add_cnxn(self, cnxn):
        ip = cnxn.get_socket_address()
        if ip is None:
            raise IOError("Socket of %s has been closed" % cnxn)
        with self.cnxns_lock:
            self.ip_map.setdefault(ip, set()).add(cnxn)
            self.cnxns.add(cnxn)
        self.cnxn_expiry_queue.update(cnxn, cnxn.get_session_timeout())

    def remove_cnxn(self, cnxn):
        with self.cnxns_lock:
            if cnxn not in self.cnxns:
                return False
            self.cnxns.discard(cnxn)
            if cnxn.session_id != 0 and self.session_map.get(cnxn.session_id) is cnxn:
                del self.session_map[cnxn.session_id]
            ip = cnxn.remote_address[0] if cnxn.remote_address else None
            peers = self.ip_map.get(ip)
            if peers is not None:
                peers.discard(cnxn)
                if not peers:
                    del self.ip_map[ip]
        self.cnxn_expiry_queue.remove(cnxn)
        self.unregister_connection(cnxn)
        return True

    def touch_cnxn(self, cnxn):
        tls = cnxn.tls
        if tls is not None and not tls.ready():
            # A TLS handshake has ssl.handshakeDetectionTimeoutMillis from the accept in all, as
            # Netty's: bytes trickled in one at a time must not keep it open.
            return
        self.cnxn_expiry_queue.update(cnxn, cnxn.get_session_timeout())

    def get_client_cnxn_count(self, ip):
        peers = self.ip_map.get(ip)
        return len(peers) if peers else 0

    def add_session(self, session_id, cnxn):
        self.session_map[session_id] = cnxn

    def close_session(self, session_id):
        cnxn = self.session_map.pop(session_id, None)
        if cnxn is not None:
            cnxn.close()
            return True
        return False

    def close_all(self):
        for cnxn in self.get_connections():
            try:
                cnxn.close()
            except Exception:
                LOG.warning("Ignoring exception closing cnxn sessionid 0x%x", cnxn.get_session_id(), exc_info=True)

    def stop(self):
        if self.stopped and self.ss is None:
            return
        self.stopped = True
        if self.ss is not None:
            try:
                self.ss.close()
            except OSError as e:
                LOG.warning("Error closing listen socket %s", e)
        if self.accept_thread is not None:
            self.accept_thread.wakeup_selector()
        if self.expirer_thread is not None:
            self.expirer_thread.stop_event.set()
        for t in self.selector_threads:
            t.wakeup_selector()
        for pool in (self.worker_pool, self.four_letter_word_pool):
            if pool is not None:
                pool.stop()

    def shutdown(self):
        try:
            self.stop()
            self.join()
            self.close_all()
        except Exception:
            LOG.warning("Ignoring unexpected exception during shutdown", exc_info=True)
        if self.zk_server is not None:
            self.zk_server.shutdown()

    def join(self):
        current = threading.current_thread()
        for t in [self.accept_thread] + self.selector_threads:
            if t is not None and t is not current and t.ident is not None:
                # Java waits for ever; a stuck thread must not keep the process from exiting.
                t.join(self.worker_shutdown_timeout_ms / 1000.0)
                if t.is_alive():
                    LOG.warning("%s did not stop within %d ms", t.name, self.worker_shutdown_timeout_ms)
        for pool in (self.worker_pool, self.four_letter_word_pool):
            if pool is not None:
                pool.join(self.worker_shutdown_timeout_ms)

    def dump_connections(self, pwriter):
        pwriter.write("Connections ")
        self.cnxn_expiry_queue.dump(pwriter)

    def reset_all_connection_stats(self):
        for c in self.get_connections():
            c.reset_stats()

    def get_all_connection_info(self, brief):
        return [c.get_connection_info(brief) for c in self.get_connections()]
