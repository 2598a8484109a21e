"""Mirror of org.apache.zookeeper.server.auth.SASLAuthenticationProvider."""

from zookeeper_py.common import system_properties
from zookeeper_py.keeper_exception import Code
from zookeeper_py.server.auth.authentication_provider import AuthenticationProvider
from zookeeper_py.server.auth.kerberos_name import KerberosName


class SASLAuthenticationProvider(AuthenticationProvider):
    """Mirror of org.apache.zookeeper.server.auth.SASLAuthenticationProvider: the "sasl" ACL scheme.

    The id of a connection is added by ZooKeeperServer.process_sasl once SASL completes
    (Id("sasl", authorizationID)); an `addauth sasl ...` packet is always refused, as in Java.
    Register it with zookeeper.authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider."""

    def get_scheme(self):
        return "sasl"

    def handle_authentication(self, cnxn, auth_data):
        # SASL is negotiated with SetSASL packets, never through an auth packet.
        return Code.AUTHFAILED

    def matches(self, id_, acl_expr):
        if id_ == "super" or id_ == acl_expr:
            return True
        read_access_user = system_properties.get_property("zookeeper.letAnySaslUserDoX")
        return read_access_user is not None and acl_expr == read_access_user

    def is_authenticated(self):
        return True

    def is_valid(self, id_):
        try:
            KerberosName(id_)
            return True
        except ValueError:
            return False
