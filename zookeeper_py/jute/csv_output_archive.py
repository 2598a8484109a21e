"""Mirror of org.apache.jute.CsvOutputArchive: the text form of Java's generated toString()."""

import io

from zookeeper_py.jute import utils
from zookeeper_py.jute.output_archive import OutputArchive


class CsvOutputArchive(OutputArchive):
    """Mirror of org.apache.jute.CsvOutputArchive."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else io.StringIO()
        self.is_first = True

    def getvalue(self):
        return self.stream.getvalue()

    def _print_comma_unless_first(self):
        if not self.is_first:
            self.stream.write(",")
        self.is_first = False

    def write_byte(self, b, tag=None):
        self.write_long(b, tag)

    def write_bool(self, b, tag=None):
        self._print_comma_unless_first()
        self.stream.write("T" if b else "F")

    def write_int(self, i, tag=None):
        self.write_long(i, tag)

    def write_long(self, value, tag=None):
        self._print_comma_unless_first()
        self.stream.write(str(value))

    def write_float(self, f, tag=None):
        self.write_double(f, tag)

    def write_double(self, d, tag=None):
        self._print_comma_unless_first()
        self.stream.write(repr(float(d)))

    def write_string(self, s, tag=None):
        self._print_comma_unless_first()
        self.stream.write(utils.to_csv_string(s))

    def write_buffer(self, buf, tag=None):
        self._print_comma_unless_first()
        self.stream.write(utils.to_csv_buffer(buf))

    def write_record(self, record, tag=None):
        if record is not None:
            record.write_fields(self, tag)

    def start_record(self, record, tag=None):
        if tag:
            self._print_comma_unless_first()
            self.stream.write("s{")
            self.is_first = True

    def end_record(self, record, tag=None):
        if not tag:
            self.stream.write("\n")
            self.is_first = True
        else:
            self.stream.write("}")
            self.is_first = False

    def start_vector(self, vector, tag=None):
        self._print_comma_unless_first()
        self.stream.write("v{")
        self.is_first = True

    def end_vector(self, vector, tag=None):
        self.stream.write("}")
        self.is_first = False
