"""Mirror of org.apache.zookeeper.server.auth.DigestAuthenticationProvider."""

import base64
import logging
import sys

from zookeeper_py.common import system_properties
from zookeeper_py.common.lazy_module import LazyModule
from zookeeper_py.common.string_utils import java_split
from zookeeper_py.data import Id
from zookeeper_py.keeper_exception import Code
from zookeeper_py.server.auth.authentication_provider import AuthenticationProvider

LOG = logging.getLogger("DigestAuthenticationProvider")
hashlib = LazyModule("hashlib")  # on PyPy it loads OpenSSL (20 ms of start); only digest auth uses it


class DigestAuthenticationProvider(AuthenticationProvider):
    """Mirror of org.apache.zookeeper.server.auth.DigestAuthenticationProvider: user:password digests."""

    def get_scheme(self):
        return "digest"

    @staticmethod
    def generate_digest(id_password):
        """user:password -> user:base64(sha1(user:password))."""
        user = id_password.split(":", 1)[0]
        digest = hashlib.sha1(id_password.encode("utf-8")).digest()
        return user + ":" + base64.b64encode(digest).decode("ascii")

    def handle_authentication(self, cnxn, auth_data):
        id_ = bytes(auth_data).decode("utf-8", "replace")
        digest = self.generate_digest(id_)
        if digest == system_properties.get_property("zookeeper.DigestAuthenticationProvider.superDigest"):
            cnxn.add_auth_info(Id("super", ""))
        cnxn.add_auth_info(Id(self.get_scheme(), digest))
        return Code.OK

    def is_authenticated(self):
        return True

    def is_valid(self, id_):
        return len(java_split(id_, ":")) == 2  # "u:x:" is valid and "u:" is not, as in Java

    def matches(self, id_, acl_expr):
        return id_ == acl_expr


def main(argv=None):
    """DigestAuthenticationProvider.main: print user:password->digest for each argument."""
    for arg in (sys.argv[1:] if argv is None else argv):
        print(arg + "->" + DigestAuthenticationProvider.generate_digest(arg))


if __name__ == "__main__":
    main()
