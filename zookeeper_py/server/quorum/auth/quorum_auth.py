"""Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuth: keys, constants and the auth packet's framing."""

import enum
import logging
import struct

from zookeeper_py.jute import max_length
from zookeeper_py.server.quorum.quorum_packet import QuorumAuthPacket

LOG = logging.getLogger("QuorumAuth")

_HEAD = struct.Struct(">qii")  # magic, status, token length (-1: null)
_LONG = struct.Struct(">q")


class Status(enum.Enum):
    """Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuth.Status."""

    IN_PROGRESS = 0
    SUCCESS = 1
    ERROR = -1

    @classmethod
    def get_status(cls, status):
        try:
            return cls(status)
        except ValueError:
            LOG.error("Unknown status:%s!", status)
            return cls.ERROR

    def status(self):
        return self.value


class AuthInputStream:
    """The DataInputStream (over a BufferedInputStream, with mark/reset) QuorumAuthServer reads from.

    Every read has the socket's own timeout (a silent peer costs only its connection and its
    thread, for that long). Bytes read but not consumed - the 8 bytes next_packet_is_auth
    looked at, or part of a read that timed out - stay here; unread() hands them to whoever
    reads the connection next (RecvWorker, LearnerHandler)."""

    def __init__(self, sock):
        self.sock = sock
        self._pending = bytearray()

    def read_fully(self, n):
        """DataInputStream.readFully: n bytes, or EOFError / the socket's error (timeout)."""
        while len(self._pending) < n:
            chunk = self.sock.recv(n - len(self._pending))
            if not chunk:
                raise EOFError("connection closed after %d of %d bytes" % (len(self._pending), n))
            self._pending += chunk
        data = bytes(self._pending[:n])
        del self._pending[:n]
        return data

    def peek(self, n):
        """mark(n); read n bytes; reset()."""
        data = self.read_fully(n)
        self._pending[0:0] = data
        return data

    def unread(self):
        """The bytes read from the socket and not consumed yet; the stream forgets them."""
        data = bytes(self._pending)
        self._pending.clear()
        return data


class QuorumAuth:
    """Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuth."""

    QUORUM_SASL_AUTH_ENABLED = "quorum.auth.enableSasl"
    QUORUM_SERVER_SASL_AUTH_REQUIRED = "quorum.auth.serverRequireSasl"
    QUORUM_LEARNER_SASL_AUTH_REQUIRED = "quorum.auth.learnerRequireSasl"

    QUORUM_KERBEROS_SERVICE_PRINCIPAL = "quorum.auth.kerberos.servicePrincipal"
    QUORUM_KERBEROS_SERVICE_PRINCIPAL_DEFAULT_VALUE = "zkquorum/localhost"

    QUORUM_LEARNER_SASL_LOGIN_CONTEXT = "quorum.auth.learner.saslLoginContext"
    QUORUM_LEARNER_SASL_LOGIN_CONTEXT_DFAULT_VALUE = "QuorumLearner"

    QUORUM_SERVER_SASL_LOGIN_CONTEXT = "quorum.auth.server.saslLoginContext"
    QUORUM_SERVER_SASL_LOGIN_CONTEXT_DFAULT_VALUE = "QuorumServer"

    QUORUM_SERVER_PROTOCOL_NAME = "zookeeper-quorum"
    QUORUM_SERVER_SASL_DIGEST = "zk-quorum-sasl-md5"
    QUORUM_AUTH_MESSAGE_TAG = "qpconnect"

    # Java: -0xa0dbcafecafe1234L. Its comment calls it negative, but the literal is a negative long whose
    # negation is positive: 0x5f2435013501edcc is what goes on the wire.
    QUORUM_AUTH_MAGIC_NUMBER = _LONG.unpack(((-0xa0dbcafecafe1234) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big"))[0]

    Status = Status

    @staticmethod
    def create_packet(status, response):
        return QuorumAuthPacket(QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER, status.status(), response)

    @staticmethod
    def next_packet_is_auth(din):
        """Whether the next 8 bytes are the auth magic; they stay in din either way."""
        magic, = _LONG.unpack(din.peek(8))
        return magic == QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER

    # -- the record on the wire (each Java class has its own receive/send; they share these) -----

    @staticmethod
    def read_packet(din):
        """One QuorumAuthPacket from din; a token longer than jute.maxbuffer is refused, as jute does."""
        magic, status, length = _HEAD.unpack(din.read_fully(_HEAD.size))
        if length < -1 or length > max_length():
            raise IOError("Unreasonable length = %d in a quorum auth packet" % length)
        token = None if length == -1 else din.read_fully(length)
        return QuorumAuthPacket(magic, status, token)

    @staticmethod
    def write_packet(sock, packet):
        sock.sendall(packet.to_bytes())
