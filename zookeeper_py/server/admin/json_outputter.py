"""Mirror of org.apache.zookeeper.server.admin.JsonOutputter: Jackson's pretty-printed JSON."""

import logging
from decimal import Decimal

from zookeeper_py.server.admin.command_outputter import CommandOutputter

LOG = logging.getLogger("JsonOutputter")

# Jackson escapes '"', '\\' and the control characters, with short forms for five of them.
_ESCAPES = {i: "\\u%04X" % i for i in range(0x20)}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r",
                 ord('"'): '\\"', ord("\\"): "\\\\"})


def quote(s):
    return '"' + s.translate(_ESCAPES) + '"'


def java_double(d):
    """Double.toString: plain between 10^-3 and 10^7, else computerized scientific (1.0E20)."""
    if d != d:
        return '"NaN"'  # Jackson quotes non-numeric numbers by default
    if d in (float("inf"), float("-inf")):
        return '"Infinity"' if d > 0 else '"-Infinity"'
    if d == 0:
        return "-0.0" if str(d).startswith("-") else "0.0"
    if 1e-3 <= abs(d) < 1e7:
        text = repr(d)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(d)).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    exp10 = exponent + len(mantissa) - 1
    return "%s%s.%sE%d" % ("-" if sign else "", mantissa[0], mantissa[1:] or "0", exp10)


def write_value(out, value, nesting=0):
    """One value in the layout of Jackson's DefaultPrettyPrinter.

    Objects put each entry on its own line, two spaces deeper, as `"key" : value`;
    arrays stay on one line, `[ a, b ]`; empty ones print as `{ }` and `[ ]`.
    """
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(java_double(value))
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        out.append("{")
        inner = "\n" + "  " * (nesting + 1)
        first = True
        for k, v in value.items():
            out.append(inner if first else "," + inner)
            first = False
            out.append(quote(str(k)))
            out.append(" : ")
            write_value(out, v, nesting + 1)
        out.append("\n" + "  " * nesting + "}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        first = True
        for v in value:
            if not first:
                out.append(", ")
            first = False
            write_value(out, v, nesting)
        out.append(" ]")
    else:
        raise TypeError("cannot write %r as JSON" % (value,))


class JsonOutputter(CommandOutputter):
    """Mirror of org.apache.zookeeper.server.admin.JsonOutputter.

    Java's Jackson ObjectMapper with INDENT_OUTPUT and snake_case names; the commands
    here already build their maps with snake_case keys and plain values.
    """

    ERROR_RESPONSE = '{"error": "Exception writing command response to JSON"}'

    def get_content_type(self):
        return "application/json"

    def output(self, response, pw):
        out = []
        try:
            write_value(out, response.to_map())
        except (TypeError, ValueError):
            LOG.warning("Exception writing command response to JSON:", exc_info=True)
            pw.write(self.ERROR_RESPONSE)
            return
        pw.write("".join(out))
