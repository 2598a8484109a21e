"""Mirror of org.apache.zookeeper.server.ServerCnxn."""

import io
import logging
import struct
import time

LOG = logging.getLogger("ServerCnxn")

_MAX_LONG = (1 << 63) - 1
_LEN = struct.Struct(">i")
_REPLY_HEADER = struct.Struct(">iqi")


class CloseRequestException(IOError):
    """Mirror of org.apache.zookeeper.server.ServerCnxn.CloseRequestException."""


class EndOfStreamException(IOError):
    """Mirror of org.apache.zookeeper.server.ServerCnxn.EndOfStreamException."""

    def __str__(self):
        return "EndOfStreamException: " + (self.args[0] if self.args else "")


class ServerCnxn:
    """Mirror of org.apache.zookeeper.server.ServerCnxn: one client connection, the Watcher of its watches.

    Subclasses provide the transport (send_buffer, close, ...). Connections are watchers
    keyed by identity, so __eq__/__hash__ stay the object's own.
    """

    # ServerCnxn.me: the owner of requests that came from a client connection.
    me = object()

    def __init__(self):
        self.auth_info = []
        self._auth_ids = set()  # the ids in auth_info: a client's addauth flood costs no scan per id
        # Java creates it in the connection's constructor when the factory has a SASL login;
        # ZooKeeperServer.process_sasl creates it at the first SASL token instead.
        self.zoo_keeper_sasl_server = None
        self.is_old_client = True
        self.established = time.time()
        self.packets_received = 0
        self.packets_sent = 0
        # The server's ServerStats, which every packet updates; a subclass sets it with its
        # server (a connection keeps its server for life: a new role means new connections).
        self.zk_stats = None
        self.reset_stats()

    # -- replies --------------------------------------------------------------

    def send_response(self, h, r, tag=None, batch=None):
        """Frame ReplyHeader + record and send it: int length, then the bytes. `batch` (a
        ReplyBatch, see reply_batch.py) lets NIOServerCnxn hold the write back; this one sends at once."""
        self.send_buffer(self.serialize(h, r))

    def serialize(self, h, r):
        """The framed reply (3.6's ServerCnxn.serialize): int length, ReplyHeader, record."""
        out = bytearray(b"\0\0\0\0")
        out += _REPLY_HEADER.pack(h.xid, h.zxid, h.err)
        if r is not None:
            r._encode(out)
        size = len(out) - 4
        _LEN.pack_into(out, 0, size)
        stats = self.zk_stats
        if stats is not None:
            stats.update_client_response_size(size)
        return bytes(out)

    def get_auth_info(self):
        return list(self.auth_info)

    def add_auth_info(self, id_):
        if id_ not in self._auth_ids:
            self._auth_ids.add(id_)
            self.auth_info.append(id_)

    def remove_auth_info(self, id_):
        if id_ not in self._auth_ids:
            return False
        self._auth_ids.discard(id_)
        self.auth_info.remove(id_)
        return True

    # -- stats ------------------------------------------------------------------

    def packet_received(self):
        self.packets_received += 1
        stats = self.zk_stats
        if stats is not None:
            stats.increment_packets_received()

    def packet_sent(self):
        self.packets_sent += 1
        stats = self.zk_stats
        if stats is not None:
            stats.increment_packets_sent()

    def reset_stats(self):
        self.packets_received = 0
        self.packets_sent = 0
        self.min_latency = _MAX_LONG
        self.max_latency = 0
        self.last_op = "NA"
        self.last_cxid = -1
        self.last_zxid = -1
        self.last_response_time = 0
        self.last_latency = 0
        self.count = 0
        self.total_latency = 0

    def incr_outstanding_requests(self, xid):
        pass

    def update_stats_for_response(self, cxid, zxid, op, start, end):
        if cxid >= 0:
            self.last_cxid = cxid
        self.last_zxid = zxid
        self.last_op = op
        self.last_response_time = end
        elapsed = end - start
        self.last_latency = elapsed
        if elapsed < self.min_latency:
            self.min_latency = elapsed
        if elapsed > self.max_latency:
            self.max_latency = elapsed
        self.count += 1
        self.total_latency += elapsed

    def get_established(self):
        return self.established

    def get_packets_received(self):
        return self.packets_received

    def get_packets_sent(self):
        return self.packets_sent

    def get_min_latency(self):
        return 0 if self.min_latency == _MAX_LONG else self.min_latency

    def get_avg_latency(self):
        return self.total_latency // self.count if self.count else 0

    def get_max_latency(self):
        return self.max_latency

    def get_last_operation(self):
        return self.last_op

    def get_last_cxid(self):
        return self.last_cxid

    def get_last_zxid(self):
        return self.last_zxid

    def get_last_response_time(self):
        return self.last_response_time

    def get_last_latency(self):
        return self.last_latency

    def dump_connection_info(self, pwriter, brief):
        """The `cons` line of this connection."""
        interest = self.get_interest_ops()
        parts = [" %s[%s](queued=%d,recved=%d,sent=%d" % (
            self.get_remote_address_string(),
            "0" if interest == 0 else "%x" % interest,
            self.get_outstanding_requests(), self.get_packets_received(), self.get_packets_sent())]
        if not brief:
            sid = self.get_session_id()
            if sid != 0:
                parts.append(",sid=0x%x,lop=%s,est=%d,to=%d" % (
                    sid & 0xFFFFFFFFFFFFFFFF, self.get_last_operation(), int(self.established * 1000),
                    self.get_session_timeout()))
                if self.last_cxid >= 0:
                    parts.append(",lcxid=0x%x" % self.last_cxid)
                parts.append(",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d" % (
                    self.last_zxid & 0xFFFFFFFFFFFFFFFF, self.last_response_time, self.last_latency,
                    self.get_min_latency(), self.get_avg_latency(), self.get_max_latency()))
        parts.append(")")
        pwriter.write("".join(parts))

    def get_connection_info(self, brief):
        info = {
            "remote_socket_address": self.get_remote_socket_address(),
            "interest_ops": self.get_interest_ops(),
            "outstanding_requests": self.get_outstanding_requests(),
            "packets_received": self.get_packets_received(),
            "packets_sent": self.get_packets_sent(),
        }
        if not brief:
            info.update({
                "session_id": self.get_session_id(),
                "last_operation": self.get_last_operation(),
                "established": self.established,
                "session_timeout": self.get_session_timeout(),
                "last_cxid": self.last_cxid,
                "last_zxid": self.last_zxid,
                "last_response_time": self.last_response_time,
                "last_latency": self.last_latency,
                "min_latency": self.get_min_latency(),
                "avg_latency": self.get_avg_latency(),
                "max_latency": self.get_max_latency(),
            })
        return info

    def __str__(self):
        out = io.StringIO()
        self.dump_connection_info(out, False)
        return out.getvalue()

    # -- what the transport provides ---------------------------------------------

    def get_session_timeout(self):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def send_close_session(self):
        raise NotImplementedError

    def process(self, event, acl=None):
        raise NotImplementedError

    def get_session_id(self):
        raise NotImplementedError

    def set_session_id(self, session_id):
        raise NotImplementedError

    def send_buffer(self, buf):
        raise NotImplementedError

    def enable_recv(self):
        raise NotImplementedError

    def disable_recv(self):
        raise NotImplementedError

    def set_session_timeout(self, session_timeout):
        raise NotImplementedError

    def server_stats(self):
        raise NotImplementedError

    def get_outstanding_requests(self):
        raise NotImplementedError

    def get_remote_socket_address(self):
        raise NotImplementedError

    def get_remote_address_string(self):
        raise NotImplementedError

    def get_interest_ops(self):
        raise NotImplementedError

    def is_stale(self):
        return False

    def is_secure(self):
        return False
