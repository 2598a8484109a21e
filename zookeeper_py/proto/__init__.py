"""Mirror of org.apache.zookeeper.proto: the client protocol records of zookeeper.jute.

ConnectRequest and ConnectResponse carry a trailing readOnly boolean on the wire that
is not part of the IDL; ServerCnxn and ClientCnxnSocket read and write it by hand.
"""

from zookeeper_py.data import ACL, ClientInfo, Stat
from zookeeper_py.jute import Record, Vector

_PATHS = Vector("ustring")


class ConnectRequest(Record):
    """Mirror of org.apache.zookeeper.proto.ConnectRequest."""

    FIELDS = (
        ("protocolVersion", "int"),
        ("lastZxidSeen", "long"),
        ("timeOut", "int"),
        ("sessionId", "long"),
        ("passwd", "buffer"),
    )


class ConnectResponse(Record):
    """Mirror of org.apache.zookeeper.proto.ConnectResponse."""

    FIELDS = (("protocolVersion", "int"), ("timeOut", "int"), ("sessionId", "long"), ("passwd", "buffer"))


class SetWatches(Record):
    """Mirror of org.apache.zookeeper.proto.SetWatches."""

    FIELDS = (
        ("relativeZxid", "long"),
        ("dataWatches", _PATHS),
        ("existWatches", _PATHS),
        ("childWatches", _PATHS),
    )


class SetWatches2(Record):
    """Mirror of org.apache.zookeeper.proto.SetWatches2 (3.6+)."""

    FIELDS = (
        ("relativeZxid", "long"),
        ("dataWatches", _PATHS),
        ("existWatches", _PATHS),
        ("childWatches", _PATHS),
        ("persistentWatches", _PATHS),
        ("persistentRecursiveWatches", _PATHS),
    )


class RequestHeader(Record):
    """Mirror of org.apache.zookeeper.proto.RequestHeader."""

    FIELDS = (("xid", "int"), ("type", "int"))


class MultiHeader(Record):
    """Mirror of org.apache.zookeeper.proto.MultiHeader."""

    FIELDS = (("type", "int"), ("done", "boolean"), ("err", "int"))


class AuthPacket(Record):
    """Mirror of org.apache.zookeeper.proto.AuthPacket."""

    FIELDS = (("type", "int"), ("scheme", "ustring"), ("auth", "buffer"))


class ReplyHeader(Record):
    """Mirror of org.apache.zookeeper.proto.ReplyHeader."""

    FIELDS = (("xid", "int"), ("zxid", "long"), ("err", "int"))


class GetDataRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetDataRequest."""

    FIELDS = (("path", "ustring"), ("watch", "boolean"))


class SetDataRequest(Record):
    """Mirror of org.apache.zookeeper.proto.SetDataRequest."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("version", "int"))


class ReconfigRequest(Record):
    """Mirror of org.apache.zookeeper.proto.ReconfigRequest."""

    FIELDS = (
        ("joiningServers", "ustring"),
        ("leavingServers", "ustring"),
        ("newMembers", "ustring"),
        ("curConfigId", "long"),
    )


class SetDataResponse(Record):
    """Mirror of org.apache.zookeeper.proto.SetDataResponse."""

    FIELDS = (("stat", Stat),)


class GetSASLRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetSASLRequest."""

    FIELDS = (("token", "buffer"),)


class SetSASLRequest(Record):
    """Mirror of org.apache.zookeeper.proto.SetSASLRequest."""

    FIELDS = (("token", "buffer"),)


class SetSASLResponse(Record):
    """Mirror of org.apache.zookeeper.proto.SetSASLResponse."""

    FIELDS = (("token", "buffer"),)


class CreateRequest(Record):
    """Mirror of org.apache.zookeeper.proto.CreateRequest."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("acl", Vector(ACL)), ("flags", "int"))


class CreateTTLRequest(Record):
    """Mirror of org.apache.zookeeper.proto.CreateTTLRequest."""

    FIELDS = (("path", "ustring"), ("data", "buffer"), ("acl", Vector(ACL)), ("flags", "int"), ("ttl", "long"))


class DeleteRequest(Record):
    """Mirror of org.apache.zookeeper.proto.DeleteRequest."""

    FIELDS = (("path", "ustring"), ("version", "int"))


class GetChildrenRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetChildrenRequest."""

    FIELDS = (("path", "ustring"), ("watch", "boolean"))


class GetAllChildrenNumberRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetAllChildrenNumberRequest (3.6+)."""

    FIELDS = (("path", "ustring"),)


class GetChildren2Request(Record):
    """Mirror of org.apache.zookeeper.proto.GetChildren2Request."""

    FIELDS = (("path", "ustring"), ("watch", "boolean"))


class CheckVersionRequest(Record):
    """Mirror of org.apache.zookeeper.proto.CheckVersionRequest."""

    FIELDS = (("path", "ustring"), ("version", "int"))


class GetMaxChildrenRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetMaxChildrenRequest."""

    FIELDS = (("path", "ustring"),)


class GetMaxChildrenResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetMaxChildrenResponse."""

    FIELDS = (("max", "int"),)


class SetMaxChildrenRequest(Record):
    """Mirror of org.apache.zookeeper.proto.SetMaxChildrenRequest."""

    FIELDS = (("path", "ustring"), ("max", "int"))


class SyncRequest(Record):
    """Mirror of org.apache.zookeeper.proto.SyncRequest."""

    FIELDS = (("path", "ustring"),)


class SyncResponse(Record):
    """Mirror of org.apache.zookeeper.proto.SyncResponse."""

    FIELDS = (("path", "ustring"),)


class GetACLRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetACLRequest."""

    FIELDS = (("path", "ustring"),)


class SetACLRequest(Record):
    """Mirror of org.apache.zookeeper.proto.SetACLRequest."""

    FIELDS = (("path", "ustring"), ("acl", Vector(ACL)), ("version", "int"))


class SetACLResponse(Record):
    """Mirror of org.apache.zookeeper.proto.SetACLResponse."""

    FIELDS = (("stat", Stat),)


class AddWatchRequest(Record):
    """Mirror of org.apache.zookeeper.proto.AddWatchRequest (3.6+)."""

    FIELDS = (("path", "ustring"), ("mode", "int"))


class WatcherEvent(Record):
    """Mirror of org.apache.zookeeper.proto.WatcherEvent."""

    FIELDS = (("type", "int"), ("state", "int"), ("path", "ustring"))


class ErrorResponse(Record):
    """Mirror of org.apache.zookeeper.proto.ErrorResponse."""

    FIELDS = (("err", "int"),)


class CreateResponse(Record):
    """Mirror of org.apache.zookeeper.proto.CreateResponse."""

    FIELDS = (("path", "ustring"),)


class Create2Response(Record):
    """Mirror of org.apache.zookeeper.proto.Create2Response."""

    FIELDS = (("path", "ustring"), ("stat", Stat))


class ExistsRequest(Record):
    """Mirror of org.apache.zookeeper.proto.ExistsRequest."""

    FIELDS = (("path", "ustring"), ("watch", "boolean"))


class ExistsResponse(Record):
    """Mirror of org.apache.zookeeper.proto.ExistsResponse."""

    FIELDS = (("stat", Stat),)


class GetDataResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetDataResponse."""

    FIELDS = (("data", "buffer"), ("stat", Stat))


class GetChildrenResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetChildrenResponse."""

    FIELDS = (("children", _PATHS),)


class GetAllChildrenNumberResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetAllChildrenNumberResponse (3.6+)."""

    FIELDS = (("totalNumber", "int"),)


class GetChildren2Response(Record):
    """Mirror of org.apache.zookeeper.proto.GetChildren2Response."""

    FIELDS = (("children", _PATHS), ("stat", Stat))


class GetACLResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetACLResponse."""

    FIELDS = (("acl", Vector(ACL)), ("stat", Stat))


class CheckWatchesRequest(Record):
    """Mirror of org.apache.zookeeper.proto.CheckWatchesRequest."""

    FIELDS = (("path", "ustring"), ("type", "int"))


class RemoveWatchesRequest(Record):
    """Mirror of org.apache.zookeeper.proto.RemoveWatchesRequest."""

    FIELDS = (("path", "ustring"), ("type", "int"))


class GetEphemeralsRequest(Record):
    """Mirror of org.apache.zookeeper.proto.GetEphemeralsRequest (3.6+)."""

    FIELDS = (("prefixPath", "ustring"),)


class GetEphemeralsResponse(Record):
    """Mirror of org.apache.zookeeper.proto.GetEphemeralsResponse (3.6+)."""

    FIELDS = (("ephemerals", _PATHS),)


class WhoAmIResponse(Record):
    """Mirror of org.apache.zookeeper.proto.WhoAmIResponse (3.7+)."""

    FIELDS = (("clientInfo", Vector(ClientInfo)),)
