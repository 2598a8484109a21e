"""Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuthServer."""


class QuorumAuthServer:
    """Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuthServer: the accepting side's authentication.

    authenticate(sock, din) runs on the connection's own thread (QuorumConnectionThread,
    LearnerHandler) after the peer's initial message; din is an AuthInputStream over sock.
    It returns when the peer may stay and raises (OSError, EOFError or SaslException) when
    it must be refused."""

    def authenticate(self, sock, din):
        raise NotImplementedError
