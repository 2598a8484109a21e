"""Mirror of org.apache.zookeeper.server.auth.DigestLoginModule."""


class DigestLoginModule:
    """Mirror of org.apache.zookeeper.server.auth.DigestLoginModule: the JAAS module of DIGEST-MD5.

    On a client (options `username` and `password`) it puts the user name in the Subject's
    public credentials and the password in its private ones, where ZooKeeperSaslClient finds
    them. On a server it does nothing: SaslServerCallbackHandler reads the `user_<name>`
    options of the section itself. No login happens here; SASL authenticates later."""

    def __init__(self):
        self.subject = None

    def initialize(self, subject, callback_handler, shared_state, options):
        if "username" in options:
            self.subject = subject
            subject.public_credentials.append(options["username"])
            subject.private_credentials.append(options.get("password"))

    def login(self):
        return True

    def commit(self):
        return True

    def abort(self):
        return False

    def logout(self):
        return True
