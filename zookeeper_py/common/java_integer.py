"""Integer.parseInt and Long.parseLong. Python's int() also takes blanks around the digits and "_"
between them, which Java refuses: text an operator or a client wrote that Java would reject (an
ACL id, a port, a count) must be rejected here too."""

import re

# Java takes an optional sign and decimal digits of any script (Character.digit), as \d and int() do
_DIGITS = {10: re.compile(r"[+-]?\d+\Z"), 16: re.compile(r"[+-]?[0-9a-fA-F]+\Z")}


class NumberFormatException(ValueError):
    """java.lang.NumberFormatException, with Java's message."""


def parse_int(text, bits=32, radix=10):
    """The value of text, or NumberFormatException (a ValueError) where Java refuses it."""
    if text is None or not _DIGITS[radix].match(text):
        raise NumberFormatException("For input string: \"%s\"" % text)
    value = int(text, radix)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise NumberFormatException("For input string: \"%s\"" % text)
    return value


def parse_long(text, radix=10):
    return parse_int(text, 64, radix)
