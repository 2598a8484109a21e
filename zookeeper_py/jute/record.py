"""Mirror of org.apache.jute.Record, and the codec compiler that replaces jute's code generator.

A record declares its fields once, in IDL order:

    class ReplyHeader(Record):
        '''Mirror of org.apache.zookeeper.proto.ReplyHeader.'''
        FIELDS = (("xid", "int"), ("zxid", "long"), ("err", "int"))

Field types are "byte", "boolean", "int", "long", "float", "double", "ustring",
"buffer", a Record subclass, or Vector(type). From that declaration the metaclass
builds __slots__, __init__, __eq__/__hash__/__repr__, and two straight-line
functions, compiled once, on the first use of the record class (a server defines
~130 records and starts with a few of them in use): _encode(self, out: bytearray)
and _decode(buf, pos) -> (record, new_pos). Runs of fixed-size fields are packed and
unpacked by one precompiled struct.Struct, variable fields by slicing the one
buffer, so the hot path makes no Python call per field.
"""

import struct
import threading

from zookeeper_py.jute import utils
from zookeeper_py.jute.csv_output_archive import CsvOutputArchive

_PRIMITIVE_CODES = {"byte": "b", "boolean": "?", "int": "i", "long": "q", "float": "f", "double": "d"}
_VARIABLE = ("ustring", "buffer")

# Java's jute.maxbuffer (0xfffff) plus zookeeper.jute.maxbuffer.extrasize (same value by default).
DEFAULT_MAX_BUFFER = 0xFFFFF


class JuteIOError(IOError):
    """An IOException from a jute archive (for example "Unreasonable length = N")."""


class JuteEOFError(JuteIOError, EOFError):
    """An EOFException: the bytes ended inside a record."""

    def __init__(self, message="unexpected end of record", needed=None):
        super().__init__(message)
        self.needed = needed  # absolute buffer position that would have been enough, if known


class Vector:
    """The jute vector<T> type in a FIELDS declaration."""

    __slots__ = ("element",)

    def __init__(self, element):
        self.element = element

    def __repr__(self):
        return "Vector(%r)" % (self.element,)


# Every compiled codec shares this namespace, so set_max_buffer() reaches all of them.
_NS = {
    "_INT": struct.Struct(">i"),
    "_NULL": struct.pack(">i", -1),
    "_LIMIT": 2 * DEFAULT_MAX_BUFFER,
    "_encstr": utils.encode_string,
    "_decstr": utils.decode_string,
    "JuteIOError": JuteIOError,
    "JuteEOFError": JuteEOFError,
    "_new": object.__new__,
}
_counter = [0]
_compile_lock = threading.Lock()


def set_max_buffer(max_buffer=DEFAULT_MAX_BUFFER, extra=None):
    """Set the length limit of strings, buffers and vectors (maxBuffer + extraMaxBuffer)."""
    if extra is None:
        extra = max_buffer
    extra = max(extra, 1024)
    _NS["_LIMIT"] = max_buffer + extra


def max_length():
    return _NS["_LIMIT"]


def _unique(prefix):
    _counter[0] += 1
    return "%s%d" % (prefix, _counter[0])


class _Writer:
    """Accumulates the lines of one generated function."""

    def __init__(self):
        self.lines = []

    def add(self, indent, text):
        self.lines.append("    " * indent + text)


def _fixed_code(ftype):
    return _PRIMITIVE_CODES.get(ftype) if isinstance(ftype, str) else None


def _check_type(ftype):
    if isinstance(ftype, Vector):
        _check_type(ftype.element)
    elif isinstance(ftype, str):
        if ftype not in _PRIMITIVE_CODES and ftype not in _VARIABLE:
            raise TypeError("unknown jute type %r" % (ftype,))
    elif not (isinstance(ftype, type) and issubclass(ftype, Record)):
        raise TypeError("unknown jute type %r" % (ftype,))


def _emit_encode_value(w, ind, ftype, expr):
    """Lines that append the encoding of `expr` (a local name) to `out`."""
    code = _fixed_code(ftype)
    if code:
        s = _unique("_S")
        _NS[s] = struct.Struct(">" + code)
        w.add(ind, "out += %s.pack(%s)" % (s, expr))
    elif ftype == "ustring":
        w.add(ind, "if %s is None:" % expr)
        w.add(ind + 1, "out += _NULL")
        w.add(ind, "else:")
        w.add(ind + 1, "%s = %s.encode('ascii') if %s.isascii() else _encstr(%s)" % (expr, expr, expr, expr))
        w.add(ind + 1, "out += _INT.pack(len(%s))" % expr)
        w.add(ind + 1, "out += %s" % expr)
    elif ftype == "buffer":
        w.add(ind, "if %s is None:" % expr)
        w.add(ind + 1, "out += _NULL")
        w.add(ind, "else:")
        w.add(ind + 1, "out += _INT.pack(len(%s))" % expr)
        w.add(ind + 1, "out += %s" % expr)
    elif isinstance(ftype, Vector):
        elem = _unique("e")
        w.add(ind, "if %s is None:" % expr)
        w.add(ind + 1, "out += _NULL")
        w.add(ind, "else:")
        w.add(ind + 1, "out += _INT.pack(len(%s))" % expr)
        w.add(ind + 1, "for %s in %s:" % (elem, expr))
        _emit_encode_value(w, ind + 2, ftype.element, elem)
    else:  # a record
        w.add(ind, "%s(%s, out)" % (ftype._encoder_name, expr))


def _emit_decode_value(w, ind, ftype, target):
    """Lines that decode one value at `pos` in `buf` into `target` and advance pos."""
    code = _fixed_code(ftype)
    if code:
        s = _unique("_S")
        _NS[s] = struct.Struct(">" + code)
        w.add(ind, "%s, = %s.unpack_from(buf, pos)" % (target, s))
        w.add(ind, "pos += %d" % _NS[s].size)
    elif ftype in _VARIABLE:
        w.add(ind, "n, = _INT.unpack_from(buf, pos)")
        w.add(ind, "pos += 4")
        w.add(ind, "if n < 0:")
        w.add(ind + 1, "if n != -1:")
        w.add(ind + 2, "raise JuteIOError('Unreasonable length = %d' % n)")
        w.add(ind + 1, "%s = None" % target)
        w.add(ind, "else:")
        w.add(ind + 1, "if n > _LIMIT:")
        w.add(ind + 2, "raise JuteIOError('Unreasonable length = %d' % n)")
        w.add(ind + 1, "end = pos + n")
        w.add(ind + 1, "if end > blen:")
        w.add(ind + 2, "raise JuteEOFError(needed=end)")
        if ftype == "ustring":
            w.add(ind + 1, "v = buf[pos:end]")
            if utils.LAX_UTF8:
                # This decoder would pass CESU-8 surrogates through: 0xED starts them.
                w.add(ind + 1, "if 0xED in v:")
                w.add(ind + 2, "%s = _decstr(v)" % target)
                w.add(ind + 1, "else:")
                w.add(ind + 2, "%s = str(v, 'utf-8', 'replace')" % target)
            else:
                w.add(ind + 1, "try:")
                w.add(ind + 2, "%s = str(v, 'utf-8')" % target)
                w.add(ind + 1, "except UnicodeDecodeError:")
                w.add(ind + 2, "%s = _decstr(v)" % target)
        else:
            w.add(ind + 1, "%s = bytes(buf[pos:end])" % target)
        w.add(ind + 1, "pos = end")
    elif isinstance(ftype, Vector):
        lst = _unique("l")
        elem = _unique("e")
        w.add(ind, "n, = _INT.unpack_from(buf, pos)")
        w.add(ind, "pos += 4")
        w.add(ind, "if n < 0:")
        w.add(ind + 1, "if n != -1:")
        w.add(ind + 2, "raise JuteIOError('Unreasonable length = %d' % n)")
        w.add(ind + 1, "%s = None" % target)
        w.add(ind, "else:")
        # Every element takes at least one byte: a count beyond the bytes left is a lie.
        w.add(ind + 1, "if n > blen - pos:")
        w.add(ind + 2, "raise JuteEOFError(needed=pos + n)")
        w.add(ind + 1, "%s = []" % lst)
        w.add(ind + 1, "for _ in range(n):")
        _emit_decode_value(w, ind + 2, ftype.element, elem)
        w.add(ind + 2, "%s.append(%s)" % (lst, elem))
        w.add(ind + 1, "%s = %s" % (target, lst))
    else:
        w.add(ind, "%s, pos = %s(buf, pos)" % (target, ftype._decoder_name))


def _groups(fields):
    """Split fields into runs of fixed-size primitives and single variable fields."""
    run = []
    for name, ftype in fields:
        if _fixed_code(ftype):
            run.append((name, ftype))
            continue
        if run:
            yield "fixed", run
            run = []
        yield "var", [(name, ftype)]
    if run:
        yield "fixed", run


def _compile_on_first_use(cls):
    """Check the fields now; compile the codec when a generated method is first called.

    Until then each generated method (and each name other records' generated code calls
    this record's codec by) is a stand-in that compiles the class, then calls the real one."""
    for _, ftype in cls.FIELDS:
        _check_type(ftype)
    cls._encoder_name = _unique("_enc")
    cls._decoder_name = _unique("_dec")

    def stand_in(name):
        def compile_then_call(*args, **kwargs):
            _compile(cls)
            return getattr(cls, name)(*args, **kwargs)

        return compile_then_call

    for name in ("__init__", "__eq__", "__hash__", "copy", "_encode"):
        setattr(cls, name, stand_in(name))
    cls._decode = staticmethod(stand_in("_decode"))
    _NS[cls._encoder_name] = stand_in("_encode")
    _NS[cls._decoder_name] = stand_in("_decode")


def _compile(cls):
    """Replace the stand-ins of _compile_on_first_use with the compiled methods (once per class)."""
    with _compile_lock:
        if "_compiled" not in cls.__dict__:
            _compile_locked(cls)
            cls._compiled = True


def _compile_locked(cls):
    fields = cls.FIELDS
    names = [n for n, _ in fields]
    cname = _unique("_C")
    _NS[cname] = cls
    enc_name = cls._encoder_name
    dec_name = cls._decoder_name

    enc = _Writer()
    enc.add(0, "def %s(self, out):" % enc_name)
    dec = _Writer()
    dec.add(0, "def %s(buf, pos):" % dec_name)
    dec.add(1, "blen = len(buf)")
    dec.add(1, "o = _new(%s)" % cname)
    for kind, group in _groups(fields):
        if kind == "fixed":
            s = _unique("_S")
            _NS[s] = struct.Struct(">" + "".join(_fixed_code(t) for _, t in group))
            attrs = ", ".join("self.%s" % n for n, _ in group)
            enc.add(1, "out += %s.pack(%s)" % (s, attrs))
            targets = ", ".join("o.%s" % n for n, _ in group)
            dec.add(1, "%s, = %s.unpack_from(buf, pos)" % (targets, s))
            dec.add(1, "pos += %d" % _NS[s].size)
        else:
            name, ftype = group[0]
            enc.add(1, "v = self.%s" % name)
            _emit_encode_value(enc, 1, ftype, "v")
            _emit_decode_value(dec, 1, ftype, "o.%s" % name)
    if not fields:
        enc.add(1, "pass")
    dec.add(1, "return o, pos")

    init = _Writer()
    params = "".join(", %s=%r" % (n, _default(t)) for n, t in fields)
    init.add(0, "def __init__(self%s):" % params)
    for n in names:
        init.add(1, "self.%s = %s" % (n, n))
    if not names:
        init.add(1, "pass")

    hs = _Writer()
    hs.add(0, "def __hash__(self):")
    parts = []
    for n, t in fields:
        if isinstance(t, Vector):
            parts.append("None if self.%s is None else tuple(self.%s)" % (n, n))
        else:
            parts.append("self.%s" % n)
    hs.add(1, "return hash((%s, %s))" % (cname, ", ".join(parts) if parts else ""))

    cp = _Writer()
    cp.add(0, "def copy(self):")
    cp.add(1, "return %s(%s)" % (cname, ", ".join("self.%s" % n for n in names)))

    eq = _Writer()
    eq.add(0, "def __eq__(self, other):")
    eq.add(1, "if type(other) is not type(self):")
    eq.add(2, "return NotImplemented")
    eq.add(1, "return " + (" and ".join("self.%s == other.%s" % (n, n) for n in names) or "True"))

    source = "\n".join(enc.lines + dec.lines + init.lines + cp.lines + eq.lines + hs.lines) + "\n"
    exec(compile(source, "<jute %s>" % cls.__name__, "exec"), _NS)
    cls._encode = _NS[enc_name]
    cls._decode = staticmethod(_NS[dec_name])
    cls.__init__ = _NS.pop("__init__")
    cls.__eq__ = _NS.pop("__eq__")
    cls.copy = _NS.pop("copy")
    cls.__hash__ = _NS.pop("__hash__")


def _default(ftype):
    if ftype in ("byte", "int", "long"):
        return 0
    if ftype == "boolean":
        return False
    if ftype in ("float", "double"):
        return 0.0
    return None


class _RecordMeta(type):
    def __new__(mcs, name, bases, ns):
        if "FIELDS" in ns:
            ns["__slots__"] = tuple(n for n, _ in ns["FIELDS"])
        elif "__slots__" not in ns:
            ns["__slots__"] = ()
        cls = super().__new__(mcs, name, bases, ns)
        if "FIELDS" in ns:
            _compile_on_first_use(cls)
        return cls


class Record(metaclass=_RecordMeta):
    """Mirror of org.apache.jute.Record."""

    FIELDS = ()
    __slots__ = ()

    def serialize(self, archive, tag=None):
        archive.write_record(self, tag)

    def deserialize(self, archive, tag=None):
        archive.read_record(self, tag)

    def write_fields(self, archive, tag):
        """The generic, per-field serialize of generated Java code (used by non-binary archives)."""
        archive.start_record(self, tag)
        for name, ftype in self.FIELDS:
            _write_value(archive, ftype, getattr(self, name), name)
        archive.end_record(self, tag)

    def to_bytes(self):
        out = bytearray()
        self._encode(out)
        return bytes(out)

    def encode_into(self, out):
        """Append the binary encoding to the bytearray `out`."""
        self._encode(out)

    @classmethod
    def decode(cls, buf, pos=0):
        """Decode one record at `pos`; returns (record, position after it)."""
        try:
            return cls._decode(buf, pos)
        except struct.error as e:
            raise cls._ends_early(e) from None

    @classmethod
    def from_bytes(cls, buf, pos=0):
        try:
            return cls._decode(buf, pos)[0]  # not through decode(): a call less per request
        except struct.error as e:
            raise cls._ends_early(e) from None

    @classmethod
    def _ends_early(cls, e):
        return JuteEOFError("record %s ends early: %s" % (cls.__name__, e))

    def copy(self):
        """A shallow copy (compiled per record class)."""
        raise NotImplementedError

    def copy_from(self, other):
        for name in self.__slots__:
            setattr(self, name, getattr(other, name))

    def field_values(self):
        return tuple(getattr(self, n) for n, _ in self.FIELDS)

    def __repr__(self):
        return "%s(%s)" % (
            type(self).__name__,
            ", ".join("%s=%r" % (n, getattr(self, n)) for n, _ in self.FIELDS),
        )

    def __str__(self):
        """Java's generated toString(): the CSV form."""
        archive = CsvOutputArchive()
        self.write_fields(archive, "")
        return archive.getvalue()


def _write_value(archive, ftype, value, tag):
    if isinstance(ftype, Vector):
        archive.start_vector(value, tag)
        if value is not None:
            for element in value:
                _write_value(archive, ftype.element, element, "e1")
        archive.end_vector(value, tag)
    elif isinstance(ftype, str):
        getattr(archive, _WRITERS[ftype])(value, tag)
    else:
        archive.write_record(value, tag)


_WRITERS = {
    "byte": "write_byte",
    "boolean": "write_bool",
    "int": "write_int",
    "long": "write_long",
    "float": "write_float",
    "double": "write_double",
    "ustring": "write_string",
    "buffer": "write_buffer",
}
