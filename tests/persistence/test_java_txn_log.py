"""Txn logs written by Java ZooKeeper 3.8: we read them, and we write the same bytes."""

import os
import re
import struct

import pytest

from tests.support import java_zk
from zookeeper_py.server.persistence.file_padding import FilePadding
from zookeeper_py.server.persistence.file_txn_log import FileTxnLog
from zookeeper_py.server.persistence.util import Util
from zookeeper_py.server.request import Request
from zookeeper_py.server.util.serialize_utils import SerializeUtils
from zookeeper_py.zoo_defs import OpCode

pytestmark = pytest.mark.java


def raw_entries(path):
    """(offset, crc, txn bytes) of every entry, parsed independently of FileTxnLog."""
    data = open(path, "rb").read()
    pos, out = 16, []
    while pos + 12 <= len(data):
        crc, n = struct.unpack_from(">qi", data, pos)
        if n == 0:
            break
        out.append((pos, crc, data[pos + 12:pos + 12 + n]))
        assert data[pos + 12 + n] == 0x42
        pos += 13 + n
    return out


def java_logs(version_dir):
    names = [n for n in os.listdir(version_dir) if Util.get_zxid_from_name(n, "log") != -1]
    return sorted((os.path.join(version_dir, n) for n in names),
                  key=lambda f: Util.get_zxid_from_name(os.path.basename(f), "log"))


def test_iterator_reads_every_java_txn_in_order_with_digests(java_written):
    logs = java_logs(java_written.version_dir)
    assert len(logs) >= 3, "snapCount=10 should have rolled the log several times"
    expected = []
    for f in logs:
        for _, _, data in raw_entries(f):
            # closeSession with its 3.6+ CloseSessionTxn body, which replay needs (as 3.8 reads it)
            expected.append(SerializeUtils.deserialize_txn_entry(data, close_session_txn=True))
    seen = []
    with FileTxnLog(java_written.version_dir).read(0) as itr:
        while itr.get_header() is not None:
            seen.append((itr.get_header(), itr.get_txn(), itr.get_digest()))
            if not itr.next():
                break
    assert seen == expected
    zxids = [h.zxid for h, _, _ in seen]
    assert zxids == sorted(zxids) and len(set(zxids)) == len(zxids)
    # Java 3.8 puts a TxnDigest after every txn that changed the tree (digest.enabled is on by
    # default), none after an error txn
    assert all((d is None) == (h.type == OpCode.error) for h, _, d in seen)
    types = {h.type for h, _, _ in seen}
    for op in (OpCode.createSession, OpCode.closeSession, OpCode.create, OpCode.createContainer,
               OpCode.createTTL, OpCode.setData, OpCode.setACL, OpCode.delete, OpCode.multi, OpCode.error):
        assert op in types, Request.op2_string(op)
    assert FileTxnLog(java_written.version_dir).get_last_logged_zxid() == zxids[-1]
    # the closed session's closeSession names the ephemeral it deleted
    closes = [t for h, t, _ in seen if h.type == OpCode.closeSession and h.clientId == java_written.closed_session]
    assert [t.paths2Delete for t in closes] == [["/app/eph2"]]


def test_we_write_byte_identical_logs(java_written, tmp_path):
    """Re-logging Java's txns with FileTxnLog gives the same files, padding and size included."""
    FilePadding.reset_prealloc_size()
    logs = java_logs(java_written.version_dir)
    log = FileTxnLog(str(tmp_path))
    for f in logs:
        log.roll_log()
        for _, _, data in raw_entries(f):
            hdr, txn, digest = SerializeUtils.deserialize_txn_entry(data, close_session_txn=True)
            log.append(hdr, txn, digest)
        log.commit()
    log.close()
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(f) for f in logs)
    for f in logs:
        ours = os.path.join(str(tmp_path), os.path.basename(f))
        assert os.path.getsize(ours) == os.path.getsize(f)
        with open(f, "rb") as a, open(ours, "rb") as b:
            while True:
                x, y = a.read(1 << 20), b.read(1 << 20)
                assert x == y, f
                if not x:
                    break


def test_java_server_log_names_the_files_we_expect(java_written):
    """The Java server's own log agrees with the file names (sanity of the fixture)."""
    created = re.findall(r"Creating new log file: (log\.[0-9a-f]+)", java_written.server_log)
    assert created and set(created) <= set(os.listdir(java_written.version_dir))
    java_zk.require_java_zookeeper()
