"""Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuthLearner."""


class QuorumAuthLearner:
    """Mirror of org.apache.zookeeper.server.quorum.auth.QuorumAuthLearner: the connecting side's authentication.

    authenticate(sock, hostname) runs right after the connecting side sent its initial
    message (QuorumCnxManager.startConnection) or connected (Learner.connectToLeader);
    hostname is the configured host of the peer. It raises (OSError, EOFError or
    SaslException) when the connection must not be used."""

    def authenticate(self, sock, hostname):
        raise NotImplementedError
