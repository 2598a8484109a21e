"""Mirror of org.apache.zookeeper.server.auth.AuthenticationProvider."""


class AuthenticationProvider:
    """Mirror of org.apache.zookeeper.server.auth.AuthenticationProvider: one auth scheme."""

    def get_scheme(self):
        raise NotImplementedError

    def handle_authentication(self, cnxn, auth_data):
        """Return a KeeperException Code: OK after adding the connection's Id, or AUTHFAILED."""
        raise NotImplementedError

    def matches(self, id_, acl_expr):
        raise NotImplementedError

    def is_authenticated(self):
        raise NotImplementedError

    def is_valid(self, id_):
        raise NotImplementedError
