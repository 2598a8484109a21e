"""Mirror of org.apache.zookeeper.server.FinalRequestProcessor."""

import logging
import re

from zookeeper_py.common.java_hash_order import id_hash_code, java_hash_order
from zookeeper_py.common.time import Time
from zookeeper_py.data import ACL, ClientInfo, Id, Stat
from zookeeper_py.keeper_exception import (
    BadArgumentsException,
    Code,
    KeeperException,
    NoNodeException,
    NoWatcherException,
    SessionMovedException,
)
from zookeeper_py.multi_response import MultiResponse
from zookeeper_py.multi_transaction_record import MultiTransactionRecord
from zookeeper_py.op_result import (
    CheckResult,
    CreateResult,
    DeleteResult,
    ErrorResult,
    GetChildrenResult,
    GetDataResult,
    SetDataResult,
)
from zookeeper_py.proto import (
    AddWatchRequest,
    CheckWatchesRequest,
    Create2Response,
    CreateResponse,
    ErrorResponse,
    ExistsRequest,
    ExistsResponse,
    GetACLRequest,
    GetACLResponse,
    GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse,
    GetChildren2Request,
    GetChildren2Response,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    GetEphemeralsRequest,
    GetEphemeralsResponse,
    RemoveWatchesRequest,
    ReplyHeader,
    SetACLResponse,
    SetDataResponse,
    SetWatches,
    SetWatches2,
    SyncRequest,
    SyncResponse,
    WhoAmIResponse,
)
from zookeeper_py.server.prep_request_processor import check_acl
from zookeeper_py.server.reply_batch import ReplyBatch
from zookeeper_py.server.request_processor import RequestProcessor
from zookeeper_py.watcher import WatcherType
from zookeeper_py.zoo_defs import OpCode, Perms

LOG = logging.getLogger("FinalRequestProcessor")

PING_XID = -2
_DIGEST_SECRET = re.compile(":.*")


class FinalRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.FinalRequestProcessor: the last stage.

    Applies a write's txn to the tree (or runs a read against it) and sends the reply.
    It runs on the thread of the stage before it (SyncThread in standalone; the
    CommitProcessor thread and its CommitProcWork threads in a quorum; PrepRequestProcessor
    in read-only mode), often on several at once.

    Unlike Java, the replies are only queued in a ReplyBatch: the request's own
    (request.reply_batch, which CommitProcessor sets for its thread and each worker, and
    flushes) or else this processor's `reply_batch`, which flush() (Java's Flushable, which
    SyncRequestProcessor already calls) writes, one send per connection. Each of those
    threads flushes before it waits for more work. Other writes (watch events, session init)
    go out at once, as in Java.
    """

    def __init__(self, zks):
        self.zks = zks
        self.reply_batch = ReplyBatch()  # for requests that name no batch of their own

    def process_request(self, request):
        zks = self.zks
        hdr = request.hdr
        rc = zks.process_txn(request) if hdr is not None or request.type in (
            OpCode.createSession, OpCode.closeSession) else None
        if hdr is not None:
            # Java applies the txn and drops its ChangeRecords under one lock. Dropping them
            # after the tree has the change is as safe (PrepRequestProcessor sees either the
            # record or the new tree) and keeps the lock short.
            zxid = hdr.zxid
            with zks.outstanding_changes_lock:
                changes = zks.outstanding_changes
                for_path = zks.outstanding_changes_for_path
                while changes and changes[0].zxid <= zxid:
                    cr = changes.popleft()
                    if cr.zxid < zxid:
                        LOG.warning("Zxid outstanding %d is less than current %d", cr.zxid, zxid)
                    if for_path.get(cr.path) is cr:
                        del for_path[cr.path]
        if zks.keeps_committed_log and request.is_quorum():
            zks.get_zk_database().add_committed_proposal(request)

        if request.type == OpCode.closeSession and request.cnxn is None:
            # The client did not ask (the session expired): drop its connection, if any.
            for factory in (zks.server_cnxn_factory, zks.secure_server_cnxn_factory):
                if factory is not None and factory.close_session(request.session_id):
                    return
        cnxn = request.cnxn
        if cnxn is None:
            return
        batch = request.reply_batch or self.reply_batch
        zk_db = zks.zk_db
        last_zxid = zk_db.get_data_tree_last_processed_zxid()
        zks.dec_in_process()
        last_op = "NA"
        err = 0
        rsp = None
        op = request.type
        try:
            if hdr is not None and hdr.type == OpCode.error:
                # A failed write: report the first error (of a multi: the op that failed).
                if request.e is not None:
                    raise request.e
                raise KeeperException.create(request.txn.err)
            ke = request.e
            if ke is not None and op != OpCode.multi:
                raise ke
            if op == OpCode.ping:
                now = Time.current_elapsed_time()
                zks.server_stats().update_latency(request.create_time, now, hdr is not None)
                cnxn.update_stats_for_response(request.cxid, last_zxid, "PING", request.create_time, now)
                cnxn.send_response(ReplyHeader(PING_XID, last_zxid, 0), None, "response", batch)
                return
            if op == OpCode.createSession:
                now = Time.current_elapsed_time()
                zks.server_stats().update_latency(request.create_time, now, hdr is not None)
                cnxn.update_stats_for_response(request.cxid, last_zxid, "SESS", request.create_time, now)
                zks.finish_session_init(request.cnxn, True)
                return
            if op == OpCode.getData:
                last_op = "GETD"
                rsp = self.handle_get_data_request(GetDataRequest.from_bytes(request.request), cnxn, request.auth_info)
            elif op == OpCode.exists:
                last_op = "EXIS"
                req = ExistsRequest.from_bytes(request.request)
                if "\0" in req.path:
                    raise BadArgumentsException()
                rsp = ExistsResponse(zk_db.stat_node(req.path, cnxn if req.watch else None))
            elif op == OpCode.setData:
                last_op = "SETD"
                rsp = SetDataResponse(rc.stat)
                err = rc.err
            elif op in (OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer):
                last_op = "CREA"
                rsp = CreateResponse(rc.path) if op == OpCode.create else Create2Response(rc.path, rc.stat)
                err = rc.err
            elif op in (OpCode.delete, OpCode.deleteContainer):
                last_op = "DELE"
                err = rc.err
            elif op == OpCode.getChildren2:
                last_op = "GETC"
                req = GetChildren2Request.from_bytes(request.request)
                node = zk_db.get_node(req.path)
                if node is None:
                    raise NoNodeException()
                check_acl(zks, zk_db.acl_for_node(node), Perms.READ, request.auth_info)
                stat = Stat()
                children = zk_db.get_children(req.path, stat, cnxn if req.watch else None)
                rsp = GetChildren2Response(children, stat)
            elif op == OpCode.getChildren:
                last_op = "GETC"
                rsp = self.handle_get_children_request(
                    GetChildrenRequest.from_bytes(request.request), cnxn, request.auth_info)
            elif op == OpCode.multi:
                last_op = "MULT"
                rsp = self.multi_response(rc)
            elif op == OpCode.multiRead:
                last_op = "MLTR"
                read_ops = MultiTransactionRecord.from_bytes(request.request)
                # Java's reply carries the results so far even when an op fails the whole request.
                rsp = MultiResponse()
                self.multi_read(read_ops, request, cnxn, rsp)
            elif op == OpCode.reconfig:
                last_op = "RECO"
                rsp = GetDataResponse(str(zks.self.get_quorum_verifier()).encode("utf-8"), rc.stat)
                err = rc.err
            elif op == OpCode.setACL:
                last_op = "SETA"
                rsp = SetACLResponse(rc.stat)
                err = rc.err
            elif op == OpCode.closeSession:
                last_op = "CLOS"
                err = rc.err
            elif op == OpCode.sync:
                last_op = "SYNC"
                rsp = SyncResponse(SyncRequest.from_bytes(request.request).path)
            elif op == OpCode.check:
                last_op = "CHEC"
                err = rc.err
                if err == 0:
                    # Java answers with rc.stat, which a check never sets, and fails to send any
                    # reply; the node's current Stat is what SetDataResponse means to carry.
                    rsp = SetDataResponse(zk_db.stat_node(rc.path, None))
            elif op == OpCode.setWatches:
                last_op = "SETW"
                sw = SetWatches.from_bytes(request.request)
                zk_db.set_watches(sw.relativeZxid, sw.dataWatches, sw.existWatches, sw.childWatches, cnxn)
            elif op == OpCode.setWatches2:
                last_op = "STW2"
                sw = SetWatches2.from_bytes(request.request)
                zk_db.set_watches(sw.relativeZxid, sw.dataWatches, sw.existWatches, sw.childWatches, cnxn,
                                  sw.persistentWatches, sw.persistentRecursiveWatches)
            elif op == OpCode.addWatch:
                last_op = "ADDW"
                req = AddWatchRequest.from_bytes(request.request)
                zk_db.add_watch(req.path, cnxn, req.mode)
                rsp = ErrorResponse(0)
            elif op == OpCode.getACL:
                last_op = "GETA"
                rsp = self.get_acl(request)
            elif op == OpCode.getAllChildrenNumber:
                last_op = "GETACN"
                req = GetAllChildrenNumberRequest.from_bytes(request.request)
                node = zk_db.get_node(req.path)
                if node is None:
                    raise NoNodeException()
                check_acl(zks, zk_db.acl_for_node(node), Perms.READ, request.auth_info)
                rsp = GetAllChildrenNumberResponse(zk_db.get_all_children_number(req.path))
            elif op == OpCode.checkWatches:
                last_op = "CHKW"
                req = CheckWatchesRequest.from_bytes(request.request)
                wtype = WatcherType.from_int(req.type)
                if not zk_db.contains_watcher(req.path, wtype, cnxn):
                    raise NoWatcherException("%s (type: %s)" % (req.path, wtype.name))
            elif op == OpCode.removeWatches:
                last_op = "REMW"
                req = RemoveWatchesRequest.from_bytes(request.request)
                wtype = WatcherType.from_int(req.type)
                if not zk_db.remove_watch(req.path, wtype, cnxn):
                    raise NoWatcherException("%s (type: %s)" % (req.path, wtype.name))
            elif op == OpCode.whoAmI:
                last_op = "HOMI"
                rsp = WhoAmIResponse(client_infos(request.auth_info))
            elif op == OpCode.getEphemerals:
                last_op = "GETE"
                prefix = GetEphemeralsRequest.from_bytes(request.request).prefixPath
                all_ephems = zk_db.get_ephemerals(request.session_id).in_clone_order()
                if prefix is None or not prefix.strip() or prefix.strip() == "/":
                    ephemerals = all_ephems
                else:
                    ephemerals = [p for p in all_ephems if p.startswith(prefix)]
                rsp = GetEphemeralsResponse(ephemerals)
        except SessionMovedException:
            # The session moved to another server: this connection is stale; end it without a reply.
            cnxn.send_close_session()
            return
        except KeeperException as e:
            err = int(e.code())
        except Exception:
            LOG.error("Failed to process %s", request, exc_info=True)
            body = request.request
            LOG.error("Dumping request buffer: 0x%s", bytes(body).hex() if body is not None else "")
            err = int(Code.MARSHALLINGERROR)

        hdr_out = ReplyHeader(request.cxid, last_zxid, err)
        now = Time.current_elapsed_time()
        zks.server_stats().update_latency(request.create_time, now, hdr is not None)
        cnxn.update_stats_for_response(request.cxid, last_zxid, last_op, request.create_time, now)
        cnxn.send_response(hdr_out, rsp if err == 0 or op in (OpCode.multi, OpCode.multiRead) else None, "response",
                           batch)
        if op == OpCode.closeSession:
            cnxn.send_close_session()

    def multi_response(self, rc):
        rsp = MultiResponse()
        for sub in rc.multi_result:
            t = sub.type
            if t == OpCode.check:
                result = CheckResult()
            elif t == OpCode.create:
                result = CreateResult(sub.path)
            elif t in (OpCode.create2, OpCode.createTTL, OpCode.createContainer):
                result = CreateResult(sub.path, sub.stat)
            elif t in (OpCode.delete, OpCode.deleteContainer):
                result = DeleteResult()
            elif t == OpCode.setData:
                result = SetDataResult(sub.stat)
            elif t == OpCode.error:
                result = ErrorResult(sub.err)
                if sub.err == int(Code.SESSIONMOVED):
                    raise SessionMovedException()
            else:
                raise IOError("Invalid type of op")
            rsp.add(result)
        return rsp

    def multi_read(self, read_ops, request, cnxn, rsp):
        for read_op in read_ops:
            try:
                t = read_op.get_type()
                if t == OpCode.getChildren:
                    rec = self.handle_get_children_request(read_op.to_request_record(), cnxn, request.auth_info)
                    result = GetChildrenResult(rec.children)
                elif t == OpCode.getData:
                    rec = self.handle_get_data_request(read_op.to_request_record(), cnxn, request.auth_info)
                    result = GetDataResult(rec.data, rec.stat)
                else:
                    raise IOError("Invalid type of readOp")
            except KeeperException as e:
                result = ErrorResult(int(e.code()))
            rsp.add(result)

    def get_acl(self, request):
        zks = self.zks
        zk_db = zks.get_zk_database()
        path = GetACLRequest.from_bytes(request.request).path
        node = zk_db.get_node(path)
        if node is None:
            raise NoNodeException()
        acl_of_node = zk_db.acl_for_node(node)
        check_acl(zks, acl_of_node, Perms.READ | Perms.ADMIN, request.auth_info)
        stat = Stat()
        acl = zk_db.get_acl(path, stat)
        try:
            check_acl(zks, acl_of_node, Perms.ADMIN, request.auth_info)
            return GetACLResponse(acl, stat)
        except KeeperException:
            # Without ADMIN a digest ACL shows its user, never the password hash.
            masked = [
                ACL(a.perms, Id(a.id.scheme, _DIGEST_SECRET.sub(":x", a.id.id, count=1)))
                if a.id.scheme == "digest" else a
                for a in acl
            ]
            return GetACLResponse(masked, stat)

    def handle_get_children_request(self, req, cnxn, auth_info):
        zk_db = self.zks.get_zk_database()
        node = zk_db.get_node(req.path)
        if node is None:
            raise NoNodeException()
        check_acl(self.zks, zk_db.acl_for_node(node), Perms.READ, auth_info)
        return GetChildrenResponse(zk_db.get_children(req.path, None, cnxn if req.watch else None))

    def handle_get_data_request(self, req, cnxn, auth_info):
        zk_db = self.zks.zk_db
        node = zk_db.get_node(req.path)
        if node is None:
            raise NoNodeException()
        check_acl(self.zks, zk_db.acl_for_node(node), Perms.READ, auth_info)
        stat = Stat()
        data = zk_db.get_data(req.path, stat, cnxn if req.watch else None)
        return GetDataResponse(data, stat)

    def flush(self):
        """Write the replies queued so far."""
        self.reply_batch.flush()

    def shutdown(self):
        self.reply_batch.flush()
        LOG.info("shutdown of request processor complete")


def client_infos(auth_info):
    """AuthUtil.getClientInfos: what whoAmI reports, one ClientInfo per authenticated id.

    3.7+ keeps a connection's ids in a ConcurrentHashMap key set, so they are listed in
    the hash order of Id.hashCode, not in the order they were added.
    """
    infos = []
    for id_ in java_hash_order(auth_info, id_hash_code):
        user = id_.id
        if id_.scheme == "digest":
            user = user.split(":", 1)[0]
        infos.append(ClientInfo(id_.scheme, user))
    return infos



