"""Mirror of org.apache.zookeeper.server.NIOServerCnxn."""

import collections
import logging
import selectors
import socket
import struct
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.common.lazy_module import LazyModule
from zookeeper_py.common.net_utils import (
    close_socket,
    inet_socket_address_str,
    java_host_address,
    peer_address,
    recv_view,
)
from zookeeper_py.common.ssl_handler import SslHandler
from zookeeper_py.data import Id
from zookeeper_py.keeper_exception import Code, NoAuthException
from zookeeper_py.proto import GetDataResponse
from zookeeper_py.server import server_cnxn_factory
from zookeeper_py.server.auth.provider_registry import ProviderRegistry
from zookeeper_py.server.command.four_letter_commands import FourLetterCommands
from zookeeper_py.server.prep_request_processor import check_acl
from zookeeper_py.server.server_cnxn import CloseRequestException, EndOfStreamException, ServerCnxn
from zookeeper_py.server.worker_service import WorkRequest
from zookeeper_py.zoo_defs import ZooDefs

LOG = logging.getLogger("NIOServerCnxn")
ssl = LazyModule("ssl")  # TLS only


def _address_str(addr):
    return inet_socket_address_str(addr) if addr else "null"

_LEN = struct.Struct(">i")
_WATCH_EVENT_HEADER = struct.Struct(">iqi").pack(-1, -1, 0)
_DATA_REPLY_HEAD = struct.Struct(">iiqii")  # frame length, ReplyHeader(xid, zxid, err), data length
_RECV_SIZE = 65536
# Frames a connection may hand on per turn of its selector thread: enough to batch a pipelining
# client, few enough that connections take turns (Java handles one per turn).
FRAMES_PER_ROUND = 64
_SEND_GATHER = 65536
# getData replies with at least this much data send the znode's own bytes instead of a copy
_ZERO_COPY_MIN = 16384
CLOSE_CONN = server_cnxn_factory.CLOSE_CONN

# Back-pressure (zookeeper_py only; Java's outgoing buffers are unbounded): a connection whose
# unsent replies pass the high-water mark is not read until they drain below the low one, so a
# client that never reads costs only its own buffer. Also zoo.cfg keys nio.outgoingHighWaterMark
# and nio.outgoingLowWaterMark (unknown zoo.cfg keys become zookeeper.* properties).
# The replies of the requests a connection has in flight are not in that buffer yet, so their
# number is capped too: as many as fit in the high-water mark at the size of the connection's
# recent replies (NIOServerCnxn.in_flight_cap), between 1 and FRAMES_PER_ROUND; reading resumes
# when half of them are answered. Without it a client that pipelined large reads and never read
# a reply had some 128 of them queued.
OUTGOING_HIGH_WATER_MARK = "zookeeper.nio.outgoingHighWaterMark"
OUTGOING_LOW_WATER_MARK = "zookeeper.nio.outgoingLowWaterMark"
DEFAULT_OUTGOING_HIGH_WATER_MARK = 1024 * 1024
DEFAULT_OUTGOING_LOW_WATER_MARK = 256 * 1024


def outgoing_water_marks():
    """(high, low) in bytes from the system properties; low is kept below high."""
    high = system_properties.get_integer(OUTGOING_HIGH_WATER_MARK, DEFAULT_OUTGOING_HIGH_WATER_MARK)
    low = system_properties.get_integer(OUTGOING_LOW_WATER_MARK, DEFAULT_OUTGOING_LOW_WATER_MARK)
    if high < 1:
        high = DEFAULT_OUTGOING_HIGH_WATER_MARK
    return high, max(0, min(low, high // 2))


def read_frame(buf, pos, max_buffer):
    """Java's readLength and readPayload over the bytes received so far, without the socket.

    Returns the payload of the frame at `pos` (bytes) and the position after it, or
    (None, pos) while the frame is not all in. A length outside 0..max_buffer (jute.maxbuffer)
    raises IOError("Len error"), as soon as the 4 length bytes are in."""
    n = len(buf)
    if n - pos < 4:
        return None, pos
    length, = _LEN.unpack_from(buf, pos)
    if length < 0 or length > max_buffer:
        raise IOError("Len error %d" % length)
    end = pos + 4 + length
    if end > n:
        return None, pos
    return bytes(buf[pos + 4:end]), end


def four_letter_word_code(buf):
    """The first 4 bytes as the int Java's checkFourLetterWord compares, or None when they are
    not a known word (then they are a frame length)."""
    if len(buf) < 4:
        return None
    code, = _LEN.unpack_from(buf, 0)
    return code if FourLetterCommands.is_known(code) else None


class _SendBufferWriter:
    """The PrintWriter of a four-letter word (Java's SendBufferWriter).

    Java writes the answer with a blocking write on the I/O thread. Here it goes out
    through the connection's non-blocking write path, so a client that sends a command
    and never reads holds only its own connection (until the sessionless timeout)."""

    def __init__(self, cnxn):
        self.cnxn = cnxn
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        if self.parts:
            data = "".join(self.parts).encode("utf-8")
            self.parts = []
            self.cnxn.send_buffer(data)

    def close(self):
        self.flush()


# Words whose cost does not grow with the server's contents, as health checks and `zkServer.sh
# status` send them: the selector answers them at once rather than queue them behind a `wchp` on
# the one NIOWorkerThread (Java has 2 x cores workers for them).
_HEALTH_CHECK_WORDS = frozenset((FourLetterCommands.ruokCmd, FourLetterCommands.isroCmd, FourLetterCommands.srvrCmd))


class _FourLetterWordWork(WorkRequest):
    """A four-letter word's command, on the factory's NIOWorkerThread; the connection goes back to
    its selector for the rest of the answer and the close."""

    def __init__(self, cnxn, code, cmd, enabled):
        self.cnxn, self.code, self.cmd, self.enabled = cnxn, code, cmd, enabled

    def do_work(self):
        cnxn = self.cnxn
        try:
            cnxn._run_four_letter_word(self.code, self.cmd, self.enabled)
        finally:
            cnxn.enable_selectable()
            if not cnxn.closed and not cnxn.selector_thread.add_interest_ops_update_request(cnxn):
                cnxn.close()

    def cleanup(self):
        self.cnxn.close()


def _send_head(sock, outgoing, head):
    """Send `head`, the first buffer of `outgoing`: what the socket did not take stays first.
    Returns the bytes sent."""
    sent = sock.send(head)
    if sent < len(head):
        outgoing[0] = memoryview(head)[sent:]
    else:
        outgoing.popleft()
    return sent


class NIOServerCnxn(ServerCnxn):
    """Mirror of org.apache.zookeeper.server.NIOServerCnxn: one client socket.

    Reads are done by the selector thread (or a worker): the bytes received are
    split into frames (int length + payload); the first frame is the ConnectRequest,
    later ones go to ZooKeeperServer.processPacket. Several pipelined frames that
    arrive in one read are handled in one go. Replies are written by whichever thread
    produces them when nothing is queued (the socket is non-blocking); what does not fit
    is queued and flushed by the selector when the socket becomes writable. Reading stops
    while the unsent bytes are above the high-water mark (see outgoing_water_marks).

    Java's input path, method by method (Java reads one frame at a time into lenBuffer,
    then incomingBuffer; here one bytearray, inbuf, holds whatever the socket gave):
      doIO               do_io: one recv into inbuf, then process_input; then the write
                         side (handle_write) and the "responded to info probe" close.
      readLength,        read_frame(inbuf, pos, max_buffer), a function of the bytes alone:
      readPayload        the frame at pos once all of it is in, "Len error" past
                         jute.maxbuffer. process_input loops over it: the four-letter-word
                         check first while not initialized (four_letter_word_code, then
                         checkFourLetterWord = check_four_letter_word), "ZooKeeperServer not
                         running", packet_received(), then the frame is handed on.
      readConnectRequest read_connect_request (-> ZooKeeperServer.process_connect_request).
      readRequest        no method of its own: process_input calls
                         zk_server.process_packet(self, frame, batch) (Java's
                         zkServer.processPacket(this, incomingBuffer)).
    Output: sendBuffer = send_buffer, sendResponse = send_response, handleWrite =
    handle_write (selector side) and flush_outgoing (the thread that made the reply).

    On a secure factory (secureClientPort, or client.portUnification) the socket's bytes pass
    through an SslHandler, Java's Netty pipeline: the handshake runs on the same selector
    thread, non-blocking, and must finish within ssl.handshakeDetectionTimeoutMillis; then
    the client certificate authenticates the connection (NettyServerCnxnFactory's
    CertificateVerifier).
    """

    def __init__(self, zk, sock, factory, selector_thread):
        super().__init__()
        self.zk_server = zk
        self.zk_stats = zk.server_stats() if zk is not None else None
        self.sock = sock
        self.fd = sock.fileno()
        self.factory = factory
        self.selector_thread = selector_thread
        self.initialized = False
        self.inbuf = bytearray()
        self.outgoing = collections.deque()
        self.outgoing_bytes = 0  # unsent bytes in outgoing, under out_lock
        self.high_water_mark = factory.outgoing_high_water_mark
        self.low_water_mark = factory.outgoing_low_water_mark
        self.write_paused = False  # reading stopped: outgoing_bytes passed the high-water mark
        # The largest recent reply (decaying by 1/8 a reply; under out_lock), and reading stopped
        # because in_flight_cap() requests are in flight. A new connection guesses an eighth of the
        # high-water mark: 8 requests in flight until its replies show they are smaller.
        self.reply_size = self.high_water_mark >> 3
        self.in_flight_full = False
        self.closing = False  # close() began: a socket still in the selector is not read again
        self.out_lock = threading.Lock()
        self.four_letter_word = False  # a 4lw was read: read no more, answer, close
        self.interest_update_queued = False  # in the selector thread's update_queue
        self.selector_ops = 0  # the events its selector has for it, 0 unregistered; under keys_lock
        self.session_timeout = factory.sessionless_cnxn_timeout
        self.session_id = 0
        # Outstanding requests = received - answered; each counter has one writer at a time (the
        # connection's reading thread; the replying threads under out_lock), so neither is lost.
        self.requests_received = 0
        self.requests_answered = 0
        self.outstanding_limit = zk.get_global_outstanding_limit() if zk is not None else 1
        self.throttled = False
        self.selectable = True
        self.closed = False
        self.tls = None  # the SslHandler of a secure connection
        self.io = sock  # what recv and send go through: the socket, or the SslHandler
        if factory.ssl_context is not None:
            self.tls = self.io = SslHandler(sock, factory.ssl_context, server_side=True,
                                            detect=factory.port_unification, on_handshake=self._handshake_completed)
            # Until the handshake is done the connection lives only as long as Java lets a
            # TLS handshake take (a silent or garbage-sending client costs only itself).
            self.session_timeout = min(self.session_timeout, factory.ssl_handshake_timeout_ms)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.remote_address = peer_address(sock)
        self.remote_address_string = None
        if self.remote_address:
            # Java's id is InetAddress.getHostAddress(): ::1 is 0:0:0:0:0:0:0:1 (whoAmI shows it)
            self.add_auth_info(Id("ip", java_host_address(self.remote_address[0])))

    # -- output -------------------------------------------------------------------

    def send_close_session(self):
        self.send_buffer(CLOSE_CONN)

    def send_buffer(self, buf):
        """Queue bytes (or CLOSE_CONN) for the client and write them at once when nothing
        waits ahead of them (watch events, 4lw answers, auth replies, session init)."""
        if buf is CLOSE_CONN:
            self._enqueue((buf,), 0, False, None)
        else:
            self._enqueue((buf,), len(buf), False, None)

    def send_response(self, h, r, tag=None, batch=None):
        """Send a reply. With a ReplyBatch it is only queued, and written by batch.flush()."""
        try:
            if type(r) is GetDataResponse and r.data is not None and len(r.data) >= _ZERO_COPY_MIN:
                bufs, size = self._data_response_buffers(h, r)
            else:
                buf = self.serialize(h, r)
                bufs, size = (buf,), len(buf)
            answered = h.xid > 0
            last = self._enqueue(bufs, size, answered, batch)
            # enable_recv() when throttled, its own test first: most replies find reading on
            if self.throttled and (last or (answered and self.zk_server.get_in_process() < self.outstanding_limit)):
                self.enable_recv()
        except Exception:
            LOG.warning("Unexpected exception. Destruction averted.", exc_info=True)

    def _enqueue(self, bufs, size, answered, batch):
        """Queue one packet (several buffers for a large getData) and write it unless a write is
        under way, or leave the write to `batch` (a ReplyBatch) when there is one. `answered`: it
        is the reply to a counted request. Returns True when this was the connection's last
        outstanding request (the throttle may lift)."""
        lift = False
        with self.out_lock:
            if self.closed:
                return False
            outgoing = self.outgoing
            first = not outgoing
            outgoing.extend(bufs)
            if size:
                self.packet_sent()
                self.outgoing_bytes += size
                if self.outgoing_bytes > self.high_water_mark:
                    self.write_paused = True  # the selector sees the new interest on its next update
            resume = False
            if answered:
                self.requests_answered += 1
                in_flight = self.requests_received - self.requests_answered
                lift = in_flight < 1
                reply_size = self.reply_size
                self.reply_size = size if size > reply_size else reply_size - (reply_size >> 3)
                # Resumed at half the cap, not one under it: a client pipelining past the cap would
                # otherwise cost a selector wake-up per reply.
                if self.in_flight_full and in_flight <= self.in_flight_cap() >> 1:
                    self.in_flight_full = False
                    resume = True
        if resume:
            self.request_interest_ops_update()
        if first:
            if batch is not None:
                batch.add(self)
            else:
                self.flush_outgoing()
        return lift

    def _data_response_buffers(self, h, r):
        """A large getData reply as three buffers, the znode's data sent as it is, not copied."""
        data = r.data
        stat = bytearray()
        r.stat._encode(stat)
        size = 16 + 4 + len(data) + len(stat)
        stats = self.zk_stats
        if stats is not None:
            stats.update_client_response_size(size)
        return (_DATA_REPLY_HEAD.pack(size, h.xid, h.zxid, h.err, len(data)), data, bytes(stat)), size + 4

    def flush_outgoing(self):
        """Write what is queued without blocking; leave the rest to the selector."""
        close = False
        try:
            with self.out_lock:
                if self.closed:
                    return
                paused = self.write_paused
                close = self._write_outgoing()
        except OSError:
            close = True  # the peer is gone
        if close:
            self.close()
        elif self.outgoing or paused != self.write_paused:
            self.request_interest_ops_update()

    def handle_write(self):
        """Write what is queued (selector side); CloseRequestException when CLOSE_CONN is reached."""
        with self.out_lock:
            close = self._write_outgoing()
        if close:
            raise CloseRequestException("close requested")

    def _write_outgoing(self):
        """Send queued buffers, small ones gathered into one send (as Java's direct buffer does).

        Holds out_lock. Returns True when CLOSE_CONN is reached after everything before it.
        """
        outgoing = self.outgoing
        sock = self.io
        remaining = self.outgoing_bytes
        tls = self.tls
        try:
            if tls is not None and not tls.flush():
                return False
            if len(outgoing) == 1 and tls is None and outgoing[0] is not CLOSE_CONN:
                # One reply, as at window 1: sent before the loop, which PyPy enters through a
                # new frame (its compiled loop) on every call.
                remaining -= _send_head(sock, outgoing, outgoing[0])
                return False
            while outgoing:
                head = outgoing[0]
                if head is CLOSE_CONN:
                    # Close only once the last TLS record is out (a 4lw answer, a last reply).
                    return tls is None or tls.flush()
                if len(outgoing) > 1 and len(head) < _SEND_GATHER:
                    chunk = bytearray()
                    count = 0
                    for b in outgoing:
                        if b is CLOSE_CONN or len(chunk) + len(b) > _SEND_GATHER:
                            break
                        chunk += b
                        count += 1
                    sent = sock.send(chunk)
                    remaining -= sent
                    while count and sent >= len(outgoing[0]):
                        sent -= len(outgoing[0])
                        outgoing.popleft()
                        count -= 1
                    if count:
                        outgoing[0] = memoryview(outgoing[0])[sent:]
                        return False
                    continue
                sent = _send_head(sock, outgoing, head)
                remaining -= sent
                if sent < len(head):
                    return False
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            self.outgoing_bytes = remaining
            if self.write_paused and remaining <= self.low_water_mark:
                self.write_paused = False  # the caller updates the selector's interest
        return False

    # -- input ----------------------------------------------------------------------

    def do_io(self, readable, writable, batch=None):
        """Handle one readiness event of the socket (run by the selector thread or a worker).

        `batch`: the selector thread's SubmitBatch when it runs the I/O itself (the requests
        read go to the first processor at the end of its round); None on a worker (at once)."""
        try:
            if self.closed or self.closing:
                return
            if readable and not (self.throttled or self.write_paused or self.in_flight_full
                                 or self.four_letter_word):  # read interest
                data = None
                try:
                    # Frames waiting for their turn: read no more until they are handled.
                    if len(self.inbuf) < _RECV_SIZE or not self.has_pending_frame():
                        # recv_view: copied into inbuf at once, and no new 64 KB buffer a read on PyPy
                        data = recv_view(self.sock, _RECV_SIZE) if self.tls is None else self.tls.recv(_RECV_SIZE)
                except (BlockingIOError, InterruptedError):
                    pass
                if data is not None:
                    if not data:
                        raise EndOfStreamException(
                            "Unable to read additional data from client sessionid 0x%x, likely client has closed socket"
                            % (self.session_id & 0xFFFFFFFFFFFFFFFF))
                    self.inbuf += data
                self.process_input(batch)
            if writable and not self.closed:
                self.handle_write()
                if not self.initialized and not self.get_read_interest() and not self.get_write_interest():
                    raise CloseRequestException("responded to info probe")
        except CloseRequestException:
            self.close()
        except EndOfStreamException as e:
            # A client that closed its socket: INFO, as 3.8.1+ (ZOOKEEPER-4551); 3.5.7 warned of every one.
            LOG.info("%s", e)
            self.close()
        except OSError as e:
            # self.tls first: without TLS, ssl stays unimported
            if self.tls is not None and isinstance(e, ssl.SSLError):
                if self.tls.handshake_done:
                    LOG.warning("TLS error causing close of session 0x%x: %s", self.session_id & 0xFFFFFFFFFFFFFFFF, e)
                else:
                    LOG.error("Unsuccessful handshake with %s: %s", self.get_remote_address_string(), e)
            else:
                LOG.warning("Exception causing close of session 0x%x: %s", self.session_id & 0xFFFFFFFFFFFFFFFF, e)
            self.close()
        except Exception:
            # A malformed request must cost its own connection only, never the server.
            LOG.warning("Unexpected exception causing close of session 0x%x", self.session_id & 0xFFFFFFFFFFFFFFFF,
                        exc_info=True)
            self.close()

    def process_input(self, batch=None):
        """Handle the complete frames in inbuf (read_frame), up to FRAMES_PER_ROUND, unless throttled or
        paused by unsent replies; the selector thread gives a connection with more its next turn. A
        connection not yet initialized may send a four-letter word instead. `batch`: see do_io."""
        buf = self.inbuf
        if not self.initialized and self.check_four_letter_word(four_letter_word_code(buf)):
            return
        max_buffer = self.factory.max_buffer
        zks = self.zk_server
        pos = 0
        n = len(buf)
        room = self.in_flight_cap() - (self.requests_received - self.requests_answered)
        turn = room if room < FRAMES_PER_ROUND else FRAMES_PER_ROUND
        try:
            while turn > 0 and not self.throttled and not self.write_paused and not self.closed and n - pos >= 4:
                frame, end = read_frame(buf, pos, max_buffer)
                if zks is None or not zks.is_running():  # is_zk_server_running(), a call less per frame
                    raise IOError("ZooKeeperServer not running")
                if frame is None:
                    break
                pos = end
                turn -= 1
                self.packet_received()
                if not self.initialized:
                    self.read_connect_request(frame, batch)
                else:
                    zks.process_packet(self, frame, batch)
        finally:
            if pos:
                del buf[:pos]
        if turn <= 0 and room <= FRAMES_PER_ROUND:
            self._stop_reading_in_flight()

    def in_flight_cap(self):
        """Requests this connection may have in flight: their replies, at the size of its recent
        ones, fit in the high-water mark; at least 1, at most FRAMES_PER_ROUND."""
        cap = self.high_water_mark // (self.reply_size or 1)
        return FRAMES_PER_ROUND if cap > FRAMES_PER_ROUND else cap or 1

    def _stop_reading_in_flight(self):
        """Read no more until a reply brings the requests in flight under the cap (_enqueue resumes
        reading); the caller applies the interest. Under out_lock, so no reply is missed."""
        with self.out_lock:
            if self.requests_received - self.requests_answered >= self.in_flight_cap():
                self.in_flight_full = True

    def has_pending_frame(self):
        buf = self.inbuf
        if len(buf) < 4:
            return False
        return len(buf) >= 4 + _LEN.unpack_from(buf, 0)[0]

    def read_connect_request(self, frame, batch=None):
        if not self.is_zk_server_running():
            raise IOError("ZooKeeperServer not running")
        self.zk_server.process_connect_request(self, frame, batch)
        self.initialized = True

    def check_four_letter_word(self, code):
        """A four-letter word instead of a ConnectRequest: answer it, then close (CLOSE_CONN).

        `code`: four_letter_word_code(inbuf), None for no word. Returns True when the frame was
        a command (answered, or stmk still waiting for its 8-byte mask: the sessionless timeout
        closes a client that never sends it)."""
        if code is None:
            return False
        cmd = FourLetterCommands.get_command_string(code)
        enabled = FourLetterCommands.is_enabled(cmd)
        if enabled and code == FourLetterCommands.setTraceMaskCmd and len(self.inbuf) < 12:
            return True
        self.four_letter_word = True
        self.packet_received()
        # Not selectable while the command runs (as on Java's worker), so cons/stat show it with [0].
        self.disable_selectable()
        pool = self.factory.four_letter_word_pool
        if pool is None or code in _HEALTH_CHECK_WORDS:  # on an NIOWorkerThread, or cheap
            try:
                self._run_four_letter_word(code, cmd, enabled)
            finally:
                self.enable_selectable()
        else:
            # Off the selector thread, as Java's words run on a worker: wchp over 100,000 watches
            # takes a PyPy selector half a second, during which no other client is served.
            self.selector_thread.cancel(self)
            pool.schedule(_FourLetterWordWork(self, code, cmd, enabled))
        return True

    def _run_four_letter_word(self, code, cmd, enabled):
        # cycle: nio_server_cnxn -> command_executor -> dump_command -> nio_server_cnxn_factory -> nio_server_cnxn
        from zookeeper_py.server.command.command_executor import CommandExecutor

        pwriter = _SendBufferWriter(self)
        if not enabled:
            LOG.debug("Command %s is not executed because it is not in the whitelist.", cmd)
            CommandExecutor.nop(self, pwriter, cmd + " is not executed because it is not in the whitelist.")
            return
        LOG.info("Processing %s command from %s", cmd, self.get_remote_address_string())
        if code == FourLetterCommands.setTraceMaskCmd:
            CommandExecutor.set_trace_mask(self, pwriter, struct.unpack_from(">q", self.inbuf, 4)[0])
        elif not CommandExecutor().execute(self, pwriter, code, self.zk_server, self.factory):
            self.send_close_session()  # a word with no command (telnet close): Java's "Len error" close

    def is_zk_server_running(self):
        zks = self.zk_server
        return zks is not None and zks.is_running()

    # -- throttling and interest -------------------------------------------------------

    def incr_outstanding_requests(self, xid):
        """Java passes the RequestHeader; only its xid matters (pings and auth do not count)."""
        if xid >= 0:
            self.requests_received += 1
            in_process = self.zk_server.requests_in_process  # get_in_process(), per request
            if in_process > self.outstanding_limit:
                LOG.debug("Throttling recv %d", in_process)
                self.disable_recv()
                # The replies may all have gone out between the check and the throttle; then
                # none is left to lift it (a hang Java's code can hit too), so look again.
                if self.get_outstanding_requests() < 1 or self.zk_server.get_in_process() < self.outstanding_limit:
                    self.enable_recv()

    def get_write_interest(self):
        return bool(self.outgoing) or (self.tls is not None and self.tls.wants_write())

    def get_read_interest(self):
        return not (self.throttled or self.write_paused or self.in_flight_full or self.four_letter_word)

    def disable_recv(self):
        if not self.throttled:
            self.throttled = True
            self.request_interest_ops_update()

    def enable_recv(self):
        if self.throttled:
            self.throttled = False
            self.request_interest_ops_update()

    def is_selectable(self):
        return self.selectable and not self.closed

    def disable_selectable(self):
        self.selectable = False

    def enable_selectable(self):
        self.selectable = True

    def request_interest_ops_update(self):
        if self.is_selectable():
            self.selector_thread.add_interest_ops_update_request(self)

    def get_interest_ops(self):
        if not self.is_selectable():
            return 0
        ops = 0
        if self.get_read_interest():
            ops |= selectors.EVENT_READ
        if self.get_write_interest():
            ops |= selectors.EVENT_WRITE
        return ops

    # -- replies and watches -----------------------------------------------------------

    def process(self, event, acl=None):
        """A watch fired: send the WatcherEvent with xid -1, unless this session may not READ
        the node the event is about (`acl`, as Java 3.8.4's NIOServerCnxn.process does)."""
        if acl:
            try:
                check_acl(None, acl, ZooDefs.Perms.READ, self.auth_info)
            except NoAuthException:
                LOG.debug("Not delivering %s to 0x%x (filtered by ACL)", event, self.session_id)
                return
        out = bytearray(b"\0\0\0\0")
        out += _WATCH_EVENT_HEADER
        event.get_wrapper()._encode(out)
        _LEN.pack_into(out, 0, len(out) - 4)
        self.send_buffer(bytes(out))

    # -- session --------------------------------------------------------------------------

    def get_session_id(self):
        return self.session_id

    def set_session_id(self, session_id):
        self.session_id = session_id
        self.factory.add_session(session_id, self)

    def get_session_timeout(self):
        return self.session_timeout

    def set_session_timeout(self, session_timeout):
        self.session_timeout = session_timeout
        self.factory.touch_cnxn(self)

    def get_outstanding_requests(self):
        return self.requests_received - self.requests_answered

    def get_remote_socket_address(self):
        return None if self.closed else self.remote_address

    def get_remote_address_string(self):
        if self.closed:
            return "null"
        if self.remote_address_string is None:  # once: session setup logs it several times
            self.remote_address_string = _address_str(self.remote_address)
        return self.remote_address_string

    def get_socket_address(self):
        return None if self.closed or not self.remote_address else self.remote_address[0]

    def server_stats(self):
        return self.zk_stats  # the server's, taken with it in __init__

    def is_stale(self):
        return self.closed

    # -- TLS --------------------------------------------------------------------------------

    def is_secure(self):
        return self.tls is not None and self.tls.is_secure()

    def get_client_certificate_chain(self):
        """The client's certificates as DER, leaf first; [] on a plaintext connection."""
        return self.tls.get_peer_certificate_chain() if self.tls is not None else []

    def _handshake_completed(self, tls):
        """NettyServerCnxnFactory.CertificateVerifier: a requested client certificate authenticates
        the connection through the provider named by ssl.authProvider (x509)."""
        if tls.plaintext:
            LOG.debug("first byte does not match TLS handshake, plaintext client %s", self.get_remote_address_string())
        else:
            LOG.debug("Successful handshake with %s (%s)", self.get_remote_address_string(), tls.version())
        if tls.is_secure() and tls.context.verify_mode != ssl.CERT_NONE and self.get_client_certificate_chain():
            scheme = system_properties.get_property(self.factory.x509_util.get_ssl_auth_provider_property(), "x509")
            provider = ProviderRegistry.get_provider(scheme)
            if provider is None:
                LOG.error("X509 Auth provider not found: %s", scheme)
                raise CloseRequestException("X509 Auth provider not found: " + scheme)
            if provider.handle_authentication(self, None) != Code.OK:
                LOG.error("Authentication failed for session 0x%x", self.session_id & 0xFFFFFFFFFFFFFFFF)
                raise CloseRequestException("x509 authentication failed")
        # Certificate requested but optional and not sent: Java lets the connection in as it is.
        self.session_timeout = self.factory.sessionless_cnxn_timeout
        self.factory.touch_cnxn(self)

    def __str__(self):
        return "ip: %s sessionId: 0x%x" % (self.get_remote_address_string(), self.session_id & 0xFFFFFFFFFFFFFFFF)

    # -- closing --------------------------------------------------------------------------

    def close(self):
        # Set first: until close_sock() takes the socket out of the selector (another thread may be
        # between here and there), a reset socket stays ready, and each do_io would fail and log again.
        self.closing = True
        if not self.factory.remove_cnxn(self):
            return
        if self.zk_server is not None:
            self.zk_server.remove_cnxn(self)
        self.close_sock()

    def close_sock(self):
        with self.out_lock:
            if self.closed:
                return
            self.closed = True
            self.outgoing.clear()
            self.outgoing_bytes = 0
        # Leave the selector only once `closed` is set: an interest update racing with a close
        # from another thread (it checks `closed` under the selector's lock) then cannot register
        # the socket again, which would leave its fd registered after the close and make the
        # selector refuse every new connection that gets the same fd.
        self.selector_thread.cancel(self)
        LOG.debug(
            "Closed socket connection for client %s %s", self.remote_address,
            "which had sessionid 0x%x" % (self.session_id & 0xFFFFFFFFFFFFFFFF) if self.session_id
            else "(no session established for client)")
        if self.tls is not None:
            self.tls.close()
        close_socket(self.sock)
