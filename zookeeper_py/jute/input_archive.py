"""Mirror of org.apache.jute.InputArchive."""


class InputArchive:
    """Mirror of org.apache.jute.InputArchive: the reader interface of records."""

    def read_byte(self, tag=None):
        raise NotImplementedError

    def read_bool(self, tag=None):
        raise NotImplementedError

    def read_int(self, tag=None):
        raise NotImplementedError

    def read_long(self, tag=None):
        raise NotImplementedError

    def read_float(self, tag=None):
        raise NotImplementedError

    def read_double(self, tag=None):
        raise NotImplementedError

    def read_string(self, tag=None):
        raise NotImplementedError

    def read_buffer(self, tag=None):
        raise NotImplementedError

    def read_record(self, record, tag=None):
        raise NotImplementedError

    def start_record(self, tag=None):
        pass

    def end_record(self, tag=None):
        pass

    def start_vector(self, tag=None):
        raise NotImplementedError

    def end_vector(self, tag=None):
        pass
