"""Java's textual forms that zkCli output depends on: List.toString, parseInt errors."""

from zookeeper_py.cli.cli_exception import CliException
from zookeeper_py.common import java_integer


def java_list(items):
    """java.util.List.toString(): "[a, b]" ("null" for null)."""
    if items is None:
        return "null"
    return "[" + ", ".join(str(x) for x in items) + "]"


def _parse(text, bits):
    try:
        return java_integer.parse_int(text, bits)
    except ValueError:
        raise CliException('java.lang.NumberFormatException: For input string: "%s"' % text) from None


def parse_int(text):
    """Integer.parseInt. Java lets the NumberFormatException escape zkCli's command loop
    (a stack trace); here it is reported like a command error instead."""
    return _parse(text, 32)


def parse_long(text):
    """Long.parseLong, reported the same way."""
    return _parse(text, 64)
