"""Mirror of org.apache.jute.OutputArchive."""


class OutputArchive:
    """Mirror of org.apache.jute.OutputArchive: the writer interface of records."""

    def write_byte(self, b, tag=None):
        raise NotImplementedError

    def write_bool(self, b, tag=None):
        raise NotImplementedError

    def write_int(self, i, tag=None):
        raise NotImplementedError

    def write_long(self, value, tag=None):
        raise NotImplementedError

    def write_float(self, f, tag=None):
        raise NotImplementedError

    def write_double(self, d, tag=None):
        raise NotImplementedError

    def write_string(self, s, tag=None):
        raise NotImplementedError

    def write_buffer(self, buf, tag=None):
        raise NotImplementedError

    def write_record(self, record, tag=None):
        raise NotImplementedError

    def start_record(self, record, tag=None):
        pass

    def end_record(self, record, tag=None):
        pass

    def start_vector(self, vector, tag=None):
        raise NotImplementedError

    def end_vector(self, vector, tag=None):
        pass
