"""Mirror of org.apache.zookeeper.server.auth.IPAuthenticationProvider."""

from zookeeper_py.common.java_integer import parse_int
from zookeeper_py.data import Id
from zookeeper_py.keeper_exception import Code
from zookeeper_py.server.auth.authentication_provider import AuthenticationProvider


def _v4addr2bytes(addr):
    parts = addr.split(".")
    if len(parts) != 4:
        return None
    out = []
    for p in parts:
        try:
            v = parse_int(p)
        except ValueError:
            return None
        if not 0 <= v <= 255:
            return None
        out.append(v)
    return out


def _parse_bits(parts, nbytes):
    if len(parts) < 2:
        return nbytes * 8
    try:
        bits = parse_int(parts[1])
    except ValueError:
        return None
    return bits if 0 <= bits <= nbytes * 8 else None


_PARSED = {}  # ip ACL expression -> (address as an int, prefix bits), or None where Java refuses it
_PARSED_MAX = 16384


def _parsed(expr):
    """An "a.b.c.d[/bits]" ACL id, parsed once: a node's ACL of thousands of ip entries is checked
    against every request on it."""
    try:
        return _PARSED[expr]
    except KeyError:
        pass
    parts = expr.split("/", 1)
    addr = _v4addr2bytes(parts[0])
    bits = _parse_bits(parts, 4) if addr is not None else None
    value = None if bits is None else (int.from_bytes(bytes(addr), "big"), bits)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()  # bounded: a client cannot grow it with ids it makes up
    _PARSED[expr] = value
    return value


class IPAuthenticationProvider(AuthenticationProvider):
    """Mirror of org.apache.zookeeper.server.auth.IPAuthenticationProvider: ip:a.b.c.d[/bits] ACLs."""

    def get_scheme(self):
        return "ip"

    def handle_authentication(self, cnxn, auth_data):
        cnxn.add_auth_info(Id(self.get_scheme(), cnxn.get_remote_socket_address()[0]))
        return Code.OK

    def matches(self, id_, acl_expr):
        acl = _parsed(acl_expr)
        remote = _parsed(id_) if "/" not in id_ else None  # an address, never a range
        if acl is None or remote is None:
            return False
        acl_addr, bits = acl
        mask = ~((1 << (32 - bits)) - 1)
        return remote[0] & mask == acl_addr & mask

    def is_authenticated(self):
        return False

    def is_valid(self, id_):
        parts = id_.split("/", 1)
        acl_addr = _v4addr2bytes(parts[0])
        return acl_addr is not None and _parse_bits(parts, len(acl_addr)) is not None
