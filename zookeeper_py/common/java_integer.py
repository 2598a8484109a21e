"""Integer.parseInt and Long.parseLong. Python's int() also takes blanks around the digits and "_"
between them, which Java refuses: text an operator or a client wrote that Java would reject (an
ACL id, a port, a count) must be rejected here too."""

import re

# Java takes an optional sign and decimal digits of any script (Character.digit), as \d and int() do
_DECIMAL = re.compile(r"[+-]?\d+\Z")


class NumberFormatException(ValueError):
    """java.lang.NumberFormatException, with Java's message."""


def parse_int(text, bits=32):
    """The value of text, or NumberFormatException (a ValueError) where Java refuses it."""
    if text is None or not _DECIMAL.match(text):
        raise NumberFormatException("For input string: \"%s\"" % text)
    value = int(text)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise NumberFormatException("For input string: \"%s\"" % text)
    return value


def parse_long(text):
    return parse_int(text, 64)
