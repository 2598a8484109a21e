"""Mirror of org.apache.zookeeper.server.RequestProcessor."""


class RequestProcessorException(Exception):
    """Mirror of org.apache.zookeeper.server.RequestProcessor.RequestProcessorException."""


class RequestProcessor:
    """Mirror of org.apache.zookeeper.server.RequestProcessor: one stage of the request pipeline."""

    def process_request(self, request):
        raise NotImplementedError

    def flush(self):
        """java.io.Flushable, which some processors implement: send on what process_request
        held back. A thread that hands requests to a processor calls this before it waits for
        more work. Nothing is held back by default."""

    def shutdown(self):
        raise NotImplementedError
