"""Mirror of org.apache.zookeeper.cli.AclParser: "scheme:id:perms[,...]"."""

import sys

from zookeeper_py.data import ACL, Id
from zookeeper_py.zoo_defs import Perms

_PERMS = {"r": Perms.READ, "w": Perms.WRITE, "c": Perms.CREATE, "d": Perms.DELETE, "a": Perms.ADMIN}


class AclParser:
    """Mirror of org.apache.zookeeper.cli.AclParser."""

    @staticmethod
    def parse(acl_string, err=None):
        """The id is everything between the first and the last colon (digest:user:hash:perms)."""
        err = err or sys.stderr
        acl = []
        for a in acl_string.split(","):
            first = a.find(":")
            last = a.rfind(":")
            if first == -1 or last == -1 or first == last:
                err.write(a + " does not have the form scheme:id:perm\n")
                continue
            acl.append(ACL(AclParser.get_perm_from_string(a[last + 1:], err), Id(a[:first], a[first + 1:last])))
        return acl

    @staticmethod
    def get_perm_from_string(perm_string, err=None):
        perm = 0
        for c in perm_string:
            bit = _PERMS.get(c)
            if bit is None:
                (err or sys.stderr).write("Unknown perm type: " + c + "\n")
            else:
                perm |= bit
        return perm
