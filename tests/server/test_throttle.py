"""globalOutstandingLimit: a client that pipelines far past the limit is throttled, not dropped;
every request is answered, in order."""

import struct

import pytest

from tests.support.raw_zk import RawClient
from tests.support.servers import PythonServer
from zookeeper_py import proto
from zookeeper_py.data import ACL, Id


@pytest.fixture
def server(tmp_path):
    srv = PythonServer(str(tmp_path), extra_cfg={"globalOutstandingLimit": "10"})
    srv.start()
    yield srv
    srv.stop()


def test_pipelined_requests_past_the_limit_all_answered_in_order(server):
    client = RawClient("127.0.0.1", server.client_port)
    client.connect()
    hdr, _ = client.request(1, proto.CreateRequest("/t", b"v", [ACL(31, Id("world", "anyone"))], 0))
    assert hdr.err == 0
    n = 3000
    frames = bytearray()
    for i in range(n):
        if i % 3 == 0:
            op, rec = 5, proto.SetDataRequest("/t", b"%d" % i, -1)
        else:
            op, rec = 4, proto.GetDataRequest("/t", False)
        payload = struct.pack(">ii", 1000 + i, op) + rec.to_bytes()
        frames += struct.pack(">i", len(payload)) + payload
    client.sock.sendall(frames)
    xids = []
    last_data = None
    for _ in range(n):
        hdr, pos = proto.ReplyHeader.decode(client.read_frame())
        assert hdr.err == 0
        xids.append(hdr.xid)
    assert xids == list(range(1000, 1000 + n))
    hdr, body = client.request(4, proto.GetDataRequest("/t", False))
    last_data = proto.GetDataResponse.decode(body)[0].data
    assert last_data == b"%d" % (3 * ((n - 1) // 3))
