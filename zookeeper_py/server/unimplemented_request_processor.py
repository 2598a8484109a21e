"""Mirror of org.apache.zookeeper.server.UnimplementedRequestProcessor."""

from zookeeper_py.keeper_exception import Code
from zookeeper_py.proto import ReplyHeader
from zookeeper_py.server.request_processor import RequestProcessor


class UnimplementedRequestProcessor(RequestProcessor):
    """Mirror of org.apache.zookeeper.server.UnimplementedRequestProcessor: UNIMPLEMENTED, then close."""

    def process_request(self, request):
        hdr = ReplyHeader(request.cxid, request.zxid, int(Code.UNIMPLEMENTED))
        try:
            request.cnxn.send_response(hdr, None)
        except Exception:
            pass
        request.cnxn.send_close_session()

    def shutdown(self):
        pass
