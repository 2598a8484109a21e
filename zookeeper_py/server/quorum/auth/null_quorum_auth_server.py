"""Mirror of org.apache.zookeeper.server.quorum.auth.NullQuorumAuthServer."""

from zookeeper_py.server.quorum.auth.quorum_auth_server import QuorumAuthServer


class NullQuorumAuthServer(QuorumAuthServer):
    """Mirror of org.apache.zookeeper.server.quorum.auth.NullQuorumAuthServer: no authentication
    (quorum.auth.enableSasl=false); reads nothing."""

    def authenticate(self, sock, din):
        return  # simply return don't require auth
