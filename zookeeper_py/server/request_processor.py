"""Mirror of org.apache.zookeeper.server.RequestProcessor."""


class RequestProcessorException(Exception):
    """Mirror of org.apache.zookeeper.server.RequestProcessor.RequestProcessorException."""


class RequestProcessor:
    """Mirror of org.apache.zookeeper.server.RequestProcessor: one stage of the request pipeline."""

    def process_request(self, request):
        raise NotImplementedError

    def shutdown(self):
        raise NotImplementedError
