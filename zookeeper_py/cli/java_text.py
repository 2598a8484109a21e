"""Java's textual forms that zkCli output depends on: List.toString, parseInt errors."""

import re

from zookeeper_py.cli.cli_exception import CliException

_INT = re.compile(r"[+-]?[0-9]+\Z")


def java_list(items):
    """java.util.List.toString(): "[a, b]" ("null" for null)."""
    if items is None:
        return "null"
    return "[" + ", ".join(str(x) for x in items) + "]"


def _parse(text, bits):
    if text is None or not _INT.match(text):
        raise CliException('java.lang.NumberFormatException: For input string: "%s"' % text)
    value = int(text)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise CliException('java.lang.NumberFormatException: For input string: "%s"' % text)
    return value


def parse_int(text):
    """Integer.parseInt. Java lets the NumberFormatException escape zkCli's command loop
    (a stack trace); here it is reported like a command error instead."""
    return _parse(text, 32)


def parse_long(text):
    """Long.parseLong, reported the same way."""
    return _parse(text, 64)
