"""Mirror of org.apache.zookeeper.server.quorum.auth.NullQuorumAuthLearner."""

from zookeeper_py.server.quorum.auth.quorum_auth_learner import QuorumAuthLearner


class NullQuorumAuthLearner(QuorumAuthLearner):
    """Mirror of org.apache.zookeeper.server.quorum.auth.NullQuorumAuthLearner: no authentication
    (quorum.auth.enableSasl=false); sends nothing."""

    def authenticate(self, sock, hostname):
        return  # simply return don't require auth
