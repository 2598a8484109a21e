"""Mirror of org.apache.jute: records and their binary and CSV archives."""

from zookeeper_py.jute.binary_input_archive import BinaryInputArchive
from zookeeper_py.jute.binary_output_archive import BinaryOutputArchive
from zookeeper_py.jute.csv_output_archive import CsvOutputArchive
from zookeeper_py.jute.index import Index
from zookeeper_py.jute.input_archive import InputArchive
from zookeeper_py.jute.output_archive import OutputArchive
from zookeeper_py.jute.record import (
    JuteEOFError,
    JuteIOError,
    Record,
    Vector,
    max_length,
    set_max_buffer,
)

__all__ = [
    "BinaryInputArchive",
    "BinaryOutputArchive",
    "CsvOutputArchive",
    "Index",
    "InputArchive",
    "JuteEOFError",
    "JuteIOError",
    "OutputArchive",
    "Record",
    "Vector",
    "max_length",
    "set_max_buffer",
]
