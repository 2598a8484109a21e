"""Mirror of org.apache.zookeeper.KeeperException: error codes, messages and exception classes."""

import enum


class Code(enum.IntEnum):
    """Mirror of org.apache.zookeeper.KeeperException.Code."""

    OK = 0
    SYSTEMERROR = -1
    RUNTIMEINCONSISTENCY = -2
    DATAINCONSISTENCY = -3
    CONNECTIONLOSS = -4
    MARSHALLINGERROR = -5
    UNIMPLEMENTED = -6
    OPERATIONTIMEOUT = -7
    BADARGUMENTS = -8
    UNKNOWNSESSION = -12
    NEWCONFIGNOQUORUM = -13
    RECONFIGINPROGRESS = -14
    APIERROR = -100
    NONODE = -101
    NOAUTH = -102
    BADVERSION = -103
    NOCHILDRENFOREPHEMERALS = -108
    NODEEXISTS = -110
    NOTEMPTY = -111
    SESSIONEXPIRED = -112
    INVALIDCALLBACK = -113
    INVALIDACL = -114
    AUTHFAILED = -115
    SESSIONMOVED = -118
    NOTREADONLY = -119
    EPHEMERALONLOCALSESSION = -120
    NOWATCHER = -121
    REQUESTTIMEOUT = -122
    RECONFIGDISABLED = -123
    SESSIONCLOSEDREQUIRESASLAUTH = -124
    QUOTAEXCEEDED = -125
    THROTTLEDOP = -127

    def int_value(self):
        return int(self)

    @staticmethod
    def get(code):
        try:
            return Code(code)
        except ValueError:
            return None


_MESSAGES = {
    Code.OK: "ok",
    Code.SYSTEMERROR: "SystemError",
    Code.RUNTIMEINCONSISTENCY: "RuntimeInconsistency",
    Code.DATAINCONSISTENCY: "DataInconsistency",
    Code.CONNECTIONLOSS: "ConnectionLoss",
    Code.MARSHALLINGERROR: "MarshallingError",
    Code.NEWCONFIGNOQUORUM: "NewConfigNoQuorum",
    Code.RECONFIGINPROGRESS: "ReconfigInProgress",
    Code.UNIMPLEMENTED: "Unimplemented",
    Code.OPERATIONTIMEOUT: "OperationTimeout",
    Code.BADARGUMENTS: "BadArguments",
    Code.APIERROR: "APIError",
    Code.NONODE: "NoNode",
    Code.NOAUTH: "NoAuth",
    Code.BADVERSION: "BadVersion",
    Code.NOCHILDRENFOREPHEMERALS: "NoChildrenForEphemerals",
    Code.NODEEXISTS: "NodeExists",
    Code.INVALIDACL: "InvalidACL",
    Code.AUTHFAILED: "AuthFailed",
    Code.NOTEMPTY: "Directory not empty",
    Code.SESSIONEXPIRED: "Session expired",
    Code.INVALIDCALLBACK: "Invalid callback",
    Code.SESSIONMOVED: "Session moved",
    Code.NOTREADONLY: "Not a read-only call",
    Code.EPHEMERALONLOCALSESSION: "Ephemeral node on local session",
    Code.NOWATCHER: "No such watcher",
    Code.RECONFIGDISABLED: "Reconfig is disabled",
    Code.SESSIONCLOSEDREQUIRESASLAUTH: "Session closed because client failed to authenticate",
    Code.QUOTAEXCEEDED: "Quota has exceeded",
    Code.THROTTLEDOP: "Op throttled due to high load",
}


def get_code_message(code):
    """KeeperException.getCodeMessage."""
    c = Code.get(code)
    if c is None:
        return "Unknown error %s" % code
    return _MESSAGES.get(c, "Unknown error " + c.name)


class KeeperException(Exception):
    """Mirror of org.apache.zookeeper.KeeperException."""

    CODE = None  # set on each subclass

    def __init__(self, path=None, code=None):
        # An error code this side does not know (a newer peer) stays a plain int.
        self._code = (Code.get(code) or code) if code is not None else self.CODE
        self.path = path
        self.results = None  # multi: the per-op results
        super().__init__(self.get_message())

    @staticmethod
    def create(code, path=None):
        """KeeperException.create: the subclass for `code` (an int or Code)."""
        cls = _BY_CODE.get(code)
        if cls is None:
            return KeeperException(path, code)
        return cls(path)

    def code(self):
        return self._code

    def get_path(self):
        return self.path

    def get_message(self):
        text = get_code_message(self._code)
        if not self.path:
            return "KeeperErrorCode = " + text
        return "KeeperErrorCode = %s for %s" % (text, self.path)

    def set_multi_results(self, results):
        self.results = results

    def get_results(self):
        return list(self.results) if self.results is not None else None

    def __str__(self):
        return self.args[0] if self.args else ""




class APIErrorException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.APIErrorException."""

    CODE = Code.APIERROR


class AuthFailedException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.AuthFailedException."""

    CODE = Code.AUTHFAILED


class BadArgumentsException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.BadArgumentsException."""

    CODE = Code.BADARGUMENTS


class BadVersionException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.BadVersionException."""

    CODE = Code.BADVERSION


class ConnectionLossException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.ConnectionLossException."""

    CODE = Code.CONNECTIONLOSS


class DataInconsistencyException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.DataInconsistencyException."""

    CODE = Code.DATAINCONSISTENCY


class InvalidACLException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.InvalidACLException."""

    CODE = Code.INVALIDACL


class InvalidCallbackException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.InvalidCallbackException."""

    CODE = Code.INVALIDCALLBACK


class MarshallingErrorException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.MarshallingErrorException."""

    CODE = Code.MARSHALLINGERROR


class NoAuthException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NoAuthException."""

    CODE = Code.NOAUTH


class NewConfigNoQuorum(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NewConfigNoQuorum."""

    CODE = Code.NEWCONFIGNOQUORUM


class ReconfigInProgress(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.ReconfigInProgress."""

    CODE = Code.RECONFIGINPROGRESS


class NoChildrenForEphemeralsException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NoChildrenForEphemeralsException."""

    CODE = Code.NOCHILDRENFOREPHEMERALS


class NodeExistsException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NodeExistsException."""

    CODE = Code.NODEEXISTS


class NoNodeException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NoNodeException."""

    CODE = Code.NONODE


class NotEmptyException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NotEmptyException."""

    CODE = Code.NOTEMPTY


class OperationTimeoutException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.OperationTimeoutException."""

    CODE = Code.OPERATIONTIMEOUT


class RuntimeInconsistencyException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.RuntimeInconsistencyException."""

    CODE = Code.RUNTIMEINCONSISTENCY


class SessionExpiredException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.SessionExpiredException."""

    CODE = Code.SESSIONEXPIRED


class UnknownSessionException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.UnknownSessionException."""

    CODE = Code.UNKNOWNSESSION


class SessionMovedException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.SessionMovedException."""

    CODE = Code.SESSIONMOVED


class NotReadOnlyException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NotReadOnlyException."""

    CODE = Code.NOTREADONLY


class EphemeralOnLocalSessionException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.EphemeralOnLocalSessionException."""

    CODE = Code.EPHEMERALONLOCALSESSION


class SystemErrorException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.SystemErrorException."""

    CODE = Code.SYSTEMERROR


class UnimplementedException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.UnimplementedException."""

    CODE = Code.UNIMPLEMENTED


class NoWatcherException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.NoWatcherException."""

    CODE = Code.NOWATCHER


class ReconfigDisabledException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.ReconfigDisabledException."""

    CODE = Code.RECONFIGDISABLED


class SessionClosedRequireAuthException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.SessionClosedRequireAuthException."""

    CODE = Code.SESSIONCLOSEDREQUIRESASLAUTH


class RequestTimeoutException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.RequestTimeoutException."""

    CODE = Code.REQUESTTIMEOUT


class QuotaExceededException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.QuotaExceededException."""

    CODE = Code.QUOTAEXCEEDED


class ThrottledOpException(KeeperException):
    """Mirror of org.apache.zookeeper.KeeperException.ThrottledOpException."""

    CODE = Code.THROTTLEDOP


_BY_CODE = {
    cls.CODE: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, KeeperException) and cls.CODE is not None
}
