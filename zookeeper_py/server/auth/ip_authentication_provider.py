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


def _mask(b, bits):
    start = bits // 8
    start_mask = ~((1 << (8 - bits % 8)) - 1) & 0xFF
    while start < len(b):
        b[start] &= start_mask
        start_mask = 0
        start += 1


def _parse_bits(parts, nbytes):
    if len(parts) < 2:
        return nbytes * 8
    try:
        bits = parse_int(parts[1])
    except ValueError:
        return None
    return bits if 0 <= bits <= nbytes * 8 else None


class IPAuthenticationProvider(AuthenticationProvider):
    """Mirror of org.apache.zookeeper.server.auth.IPAuthenticationProvider: ip:a.b.c.d[/bits] ACLs."""

    def get_scheme(self):
        return "ip"

    def handle_authentication(self, cnxn, auth_data):
        cnxn.add_auth_info(Id(self.get_scheme(), cnxn.get_remote_socket_address()[0]))
        return Code.OK

    def matches(self, id_, acl_expr):
        parts = acl_expr.split("/", 1)
        acl_addr = _v4addr2bytes(parts[0])
        if acl_addr is None:
            return False
        bits = _parse_bits(parts, len(acl_addr))
        if bits is None:
            return False
        _mask(acl_addr, bits)
        remote = _v4addr2bytes(id_)
        if remote is None:
            return False
        _mask(remote, bits)
        return remote == acl_addr

    def is_authenticated(self):
        return False

    def is_valid(self, id_):
        parts = id_.split("/", 1)
        acl_addr = _v4addr2bytes(parts[0])
        return acl_addr is not None and _parse_bits(parts, len(acl_addr)) is not None
