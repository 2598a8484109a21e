"""Mirror of org.apache.zookeeper.server.ZooTrace: the trace mask of gtmk/stmk."""

import logging


class ZooTrace:
    """Mirror of org.apache.zookeeper.server.ZooTrace."""

    CLIENT_REQUEST_TRACE_MASK = 1 << 1
    CLIENT_DATA_PACKET_TRACE_MASK = 1 << 2
    CLIENT_PING_TRACE_MASK = 1 << 3
    SERVER_PACKET_TRACE_MASK = 1 << 4
    SESSION_TRACE_MASK = 1 << 5
    EVENT_DELIVERY_TRACE_MASK = 1 << 6
    SERVER_PING_TRACE_MASK = 1 << 7
    WARNING_TRACE_MASK = 1 << 8
    JMX_TRACE_MASK = 1 << 9

    trace_mask = CLIENT_REQUEST_TRACE_MASK | SERVER_PACKET_TRACE_MASK | SESSION_TRACE_MASK | WARNING_TRACE_MASK

    @staticmethod
    def get_text_trace_level():
        return ZooTrace.trace_mask

    @staticmethod
    def set_text_trace_level(mask):
        ZooTrace.trace_mask = mask
        logging.getLogger("ZooTrace").info("Set text trace mask to 0x%x", mask & 0xFFFFFFFFFFFFFFFF)

    @staticmethod
    def is_trace_enabled(log, mask):
        return log.isEnabledFor(5) and (ZooTrace.trace_mask & mask) != 0
