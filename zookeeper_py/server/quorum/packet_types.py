"""The packet types of the quorum protocol: Java's constants Leader.REQUEST .. Leader.INFORMANDACTIVATE.

Defined here once, in a module that imports nothing, because Leader imports LearnerHandler
and LearnerHandler, Learner, Follower and Observer use these on every packet; leader.py
gives them to the Leader class too, so Leader.DIFF reads as in Java.
"""

REQUEST = 1
PROPOSAL = 2
ACK = 3
COMMIT = 4
PING = 5
REVALIDATE = 6
SYNC = 7
INFORM = 8
COMMITANDACTIVATE = 9
NEWLEADER = 10
FOLLOWERINFO = 11
UPTODATE = 12
DIFF = 13
TRUNC = 14
SNAP = 15
OBSERVERINFO = 16
LEADERINFO = 17
ACKEPOCH = 18
INFORMANDACTIVATE = 19

# type -> name, for Leader.getPacketType and LearnerHandler.packetToString.
NAMES = {value: name for name, value in list(globals().items()) if name.isupper()}
