"""Mirror of org.apache.jute.Utils: string codecs and the CSV forms used by toString()."""

import re

_NON_BMP = re.compile("[\U00010000-\U0010FFFF]")


def _split_surrogates(match):
    code = ord(match.group()) - 0x10000
    return chr(0xD800 | (code >> 10)) + chr(0xDC00 | (code & 0x3FF))


def encode_string(s):
    """Encode as Java's BinaryOutputArchive does: UTF-8 per UTF-16 unit (CESU-8)."""
    if s.isascii():
        return s.encode("ascii")
    if _NON_BMP.search(s):
        s = _NON_BMP.sub(_split_surrogates, s)
    return s.encode("utf-8", "surrogatepass")


def _utf8_decoder_is_lax():
    """PyPy's UTF-8 decoder lets encoded surrogates through; CPython's refuses them."""
    try:
        str(b"\xed\xa0\xbd", "utf-8")
        return True
    except UnicodeDecodeError:
        return False


# True where str(bytes, "utf-8") accepts CESU-8 surrogates (they then need recombining).
LAX_UTF8 = _utf8_decoder_is_lax()
_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_string(b):
    """Decode jute string bytes: plain UTF-8, or CESU-8 surrogate pairs written by Java."""
    try:
        s = str(b, "utf-8")
        if not LAX_UTF8 or not _SURROGATE.search(s):
            return s
    except UnicodeDecodeError:
        try:
            s = str(b, "utf-8", "surrogatepass")
        except UnicodeDecodeError:
            # Malformed bytes: Java's new String(bytes, UTF_8) puts U+FFFD in their place.
            return str(b, "utf-8", "replace")
    # Recombine surrogate pairs; a lone surrogate becomes U+FFFD as in Java.
    return s.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


_CSV_ESCAPES = {"\0": "%00", "\n": "%0A", "\r": "%0D", ",": "%2C", "}": "%7D", "%": "%25"}
_CSV_SPECIAL = re.compile("[\0\n\r,}%]")


def to_csv_string(s):
    """Utils.toCSVString: a leading quote and %-escapes of the CSV separators."""
    if s is None:
        return ""
    return "'" + _CSV_SPECIAL.sub(lambda m: _CSV_ESCAPES[m.group()], s)


def to_csv_buffer(b):
    """Utils.toCSVBuffer, with Java's Integer.toHexString of a signed byte."""
    if not b:
        return ""
    return "#" + "".join("%x" % (x if x < 0x80 else x - 0x100 + (1 << 32)) for x in b)
