"""Mirror of org.apache.zookeeper.server.quorum.Vote."""

from zookeeper_py.server.quorum.quorum_server import ServerState

_U64 = 0xFFFFFFFFFFFFFFFF


class Vote:
    """Mirror of org.apache.zookeeper.server.quorum.Vote: a proposed or elected leader.

    Java's several constructors become keyword arguments; the defaults are those of
    Vote(id, zxid): electionEpoch -1, peerEpoch -1, state LOOKING, version 0.
    """

    __slots__ = ("version", "id", "zxid", "election_epoch", "peer_epoch", "state")

    def __init__(self, id_, zxid, election_epoch=-1, peer_epoch=-1, state=ServerState.LOOKING, version=0):
        self.version = version
        self.id = id_
        self.zxid = zxid
        self.election_epoch = election_epoch
        self.peer_epoch = peer_epoch
        self.state = state

    def get_version(self):
        return self.version

    def get_id(self):
        return self.id

    def get_zxid(self):
        return self.zxid

    def get_election_epoch(self):
        return self.election_epoch

    def get_peer_epoch(self):
        return self.peer_epoch

    def get_state(self):
        return self.state

    def __eq__(self, other):
        if not isinstance(other, Vote):
            return False
        if self.state is ServerState.LOOKING or other.state is ServerState.LOOKING:
            return (self.id == other.id and self.zxid == other.zxid
                    and self.election_epoch == other.election_epoch and self.peer_epoch == other.peer_epoch)
        # A vote from a pre-3.4 server (version 0) has no reliable peerEpoch: compare ids only.
        if (self.version > 0) ^ (other.version > 0):
            return self.id == other.id
        return self.id == other.id and self.peer_epoch == other.peer_epoch

    def __hash__(self):
        return self.id & self.zxid

    def __str__(self):
        return "(%d, %x, %x)" % (self.id, self.zxid & _U64, self.peer_epoch & _U64)

    __repr__ = __str__
