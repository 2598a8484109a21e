"""SASL DIGEST-MD5 (RFC 2831) as the JDK speaks it: com.sun.security.sasl.digest.DigestMD5Server/Client.

Sans-I/O state machines: bytes in, bytes out, no sockets. ZooKeeper uses them with protocol
"zookeeper" and server name "zk-sasl-md5" (so digest-uri is "zookeeper/zk-sasl-md5") and the
realm "zk-sasl-md5"; qop is "auth" only (no integrity or privacy layer), algorithm md5-sess,
charset utf-8.

    server = DigestMD5Server("zookeeper", "zk-sasl-md5", callback_handler)
    client = DigestMD5Client(authorization_id, "zookeeper", "zk-sasl-md5", username, password)
    challenge = server.evaluate_response(b"")              # the client starts with an empty token
    response = client.evaluate_challenge(challenge)
    rspauth = server.evaluate_response(response)           # server.is_complete() now
    assert client.evaluate_challenge(rspauth) is None      # client.is_complete() now
"""

import base64
import os

from zookeeper_py.common.lazy_module import LazyModule

# On PyPy these load its OpenSSL binding (20 ms of start); only a SASL login uses them.
hashlib = LazyModule("hashlib")
hmac = LazyModule("hmac")

MECHANISM = "DIGEST-MD5"


class SaslException(Exception):
    """Mirror of javax.security.sasl.SaslException."""


def parse_directives(data):
    """RFC 2831 digest-challenge / digest-response: {name: value}; duplicates are an error."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = bytes(data).decode("utf-8")
    else:
        text = data
    out = {}
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            break
        eq = text.find("=", pos)
        if eq < 0:
            raise SaslException("DIGEST-MD5: directive without a value: %r" % text[pos:])
        key = text[pos:eq].strip().lower()
        pos = eq + 1
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == '"':
            pos += 1
            value = []
            while True:
                if pos >= n:
                    raise SaslException("DIGEST-MD5: unterminated quoted value of %s" % key)
                c = text[pos]
                if c == "\\" and pos + 1 < n:
                    value.append(text[pos + 1])
                    pos += 2
                    continue
                if c == '"':
                    pos += 1
                    break
                value.append(c)
                pos += 1
            value = "".join(value)
        else:
            end = text.find(",", pos)
            end = n if end < 0 else end
            value = text[pos:end].strip()
            pos = end
        if key in out and key != "realm":
            raise SaslException("DIGEST-MD5: duplicate directive %s" % key)
        out.setdefault(key, value)
    return out


def _quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hex_md5(data):
    return hashlib.md5(data).hexdigest()


def _encode(text, utf8):
    """RFC 2831 2.1.2.1: ISO 8859-1 unless charset=utf-8 (or a character outside 8859-1)."""
    if not utf8:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            pass
    return text.encode("utf-8")


def response_value(username, realm, password, nonce, cnonce, nc, qop, digest_uri, authzid, utf8, for_rspauth=False):
    """The `response` (or, for_rspauth, the server's rspauth) of RFC 2831 2.1.2.1 for qop=auth."""
    key = hashlib.md5(_encode(username, utf8) + b":" + _encode(realm, utf8) + b":" + _encode(password, utf8)).digest()
    a1 = key + b":" + nonce.encode("utf-8") + b":" + cnonce.encode("utf-8")
    if authzid:
        a1 += b":" + authzid.encode("utf-8")
    a2 = (b"" if for_rspauth else b"AUTHENTICATE") + b":" + digest_uri.encode("utf-8")
    kd = ":".join((_hex_md5(a1), nonce, nc, cnonce, qop, _hex_md5(a2)))
    return _hex_md5(kd.encode("utf-8"))


def _new_nonce():
    return base64.b64encode(os.urandom(30)).decode("ascii")


class DigestMD5Server:
    """Mirror of com.sun.security.sasl.digest.DigestMD5Server (qop auth only).

    `callback_handler` answers what Java's CallbackHandler does, as methods:
    handle_name(default_name) -> name or None, handle_password(name) -> password or None,
    handle_realm(default_realm) -> realm, handle_authorize(authentication_id, authorization_id)
    -> the authorized id, or None to refuse."""

    def __init__(self, protocol, server_name, callback_handler, realm=None):
        self.protocol = protocol
        self.server_name = server_name
        self.realm = realm if realm is not None else server_name
        self.callback_handler = callback_handler
        self.step = 1
        self.nonce = None
        self.completed = False
        self.authorization_id = None

    def get_mechanism_name(self):
        return MECHANISM

    def is_complete(self):
        return self.completed

    def get_authorization_id(self):
        if not self.completed:
            raise ValueError("DIGEST-MD5 authentication not completed")
        return self.authorization_id

    def evaluate_response(self, response):
        response = bytes(response or b"")
        if self.step == 1:
            if response:
                raise SaslException("DIGEST-MD5 must not have an initial response")
            self.nonce = _new_nonce()
            self.step = 3
            return ('realm=%s,nonce=%s,qop="auth",charset=utf-8,algorithm=md5-sess'
                    % (_quote(self.realm), _quote(self.nonce))).encode("utf-8")
        if self.step == 3:
            self.step = 0  # one try: a failure leaves the exchange over
            try:
                rspauth = self._validate_client_response(response)
            except SaslException:
                raise
            except (ValueError, UnicodeDecodeError) as e:
                raise SaslException("DIGEST-MD5: digest response format violation: %s" % e) from None
            self.completed = True
            return rspauth
        raise SaslException("DIGEST-MD5: Server at illegal state")

    def _validate_client_response(self, response):
        d = parse_directives(response)
        utf8 = False
        if "charset" in d:
            if d["charset"].lower() != "utf-8":
                raise SaslException("DIGEST-MD5: digest response format violation. Incompatible charset value: "
                                    + d["charset"])
            utf8 = True
        username = d.get("username")
        if username is None:
            raise SaslException("DIGEST-MD5: digest response format violation. Missing username.")
        realm = d.get("realm", "")
        if realm != self.realm:
            raise SaslException("DIGEST-MD5: digest response format violation. Nonexistent realm: " + realm)
        if d.get("nonce") != self.nonce:
            raise SaslException("DIGEST-MD5: digest response format violation. Mismatched nonce.")
        cnonce = d.get("cnonce")
        if not cnonce:
            raise SaslException("DIGEST-MD5: digest response format violation. Missing cnonce.")
        nc = d.get("nc", "")
        try:
            if int(nc, 16) != 1:
                raise ValueError
        except ValueError:
            raise SaslException("DIGEST-MD5: digest response format violation. Nonce count does not match: "
                                + nc) from None
        qop = d.get("qop", "auth")
        if qop != "auth":
            raise SaslException("DIGEST-MD5: digest response format violation. Invalid QOP: " + qop)
        digest_uri = d.get("digest-uri")
        expected_uri = self.protocol + "/" + self.server_name
        if digest_uri is None or digest_uri.lower() != expected_uri.lower():
            raise SaslException("DIGEST-MD5: digest response format violation. Mismatched URI: %s; expecting: %s"
                                % (digest_uri, expected_uri))
        client_response = d.get("response")
        if client_response is None:
            raise SaslException("DIGEST-MD5: digest response format violation. Missing response.")
        authzid = d.get("authzid")
        handler = self.callback_handler
        realm = handler.handle_realm(realm)
        name = handler.handle_name(username)
        password = handler.handle_password(name) if name is not None else None
        if password is None:
            raise SaslException("DIGEST-MD5: cannot acquire password for %s in realm : %s" % (username, realm))
        expected = response_value(username, realm, password, self.nonce, cnonce, nc, qop, digest_uri, authzid, utf8)
        if not hmac.compare_digest(expected.encode("ascii"), client_response.lower().encode("ascii", "replace")):
            raise SaslException("DIGEST-MD5: digest response format violation. Mismatched response.")
        authorized = handler.handle_authorize(username, authzid if authzid else username)
        if authorized is None:
            raise SaslException("DIGEST-MD5: %s is not authorized to act as %s" % (username, authzid or username))
        self.authorization_id = authorized
        rspauth = response_value(username, realm, password, self.nonce, cnonce, nc, qop, digest_uri, authzid, utf8,
                                 for_rspauth=True)
        return ("rspauth=" + rspauth).encode("ascii")

    def dispose(self):
        self.callback_handler = None


class DigestMD5Client:
    """Mirror of com.sun.security.sasl.digest.DigestMD5Client (qop auth only).

    authorization_id: Java's ZooKeeper client passes the user name (SecurityUtils.createSaslClient),
    so the response carries authzid="<username>"."""

    def __init__(self, authorization_id, protocol, server_name, username, password):
        self.authorization_id = authorization_id
        self.protocol = protocol
        self.server_name = server_name
        self.username = username
        self.password = password
        self.step = 2
        self.completed = False
        self._expected_rspauth = None

    def get_mechanism_name(self):
        return MECHANISM

    def has_initial_response(self):
        return False

    def is_complete(self):
        return self.completed

    def evaluate_challenge(self, challenge):
        challenge = bytes(challenge or b"")
        if self.step == 2:
            self.step = 3
            return self._respond(challenge)
        if self.step == 3:
            self.step = 0
            try:
                d = parse_directives(challenge)
            except UnicodeDecodeError as e:
                raise SaslException("DIGEST-MD5: bad server response: %s" % e) from None
            rspauth = d.get("rspauth")
            if rspauth is None:
                raise SaslException("DIGEST-MD5: Authentication failed. Expecting 'rspauth' authentication success "
                                    "message")
            if not hmac.compare_digest(rspauth.lower().encode("ascii", "replace"), self._expected_rspauth.encode()):
                raise SaslException("DIGEST-MD5: Server's rspauth value does not match what client expects")
            self.completed = True
            return None
        raise SaslException("DIGEST-MD5: Client at illegal state")

    def _respond(self, challenge):
        if len(challenge) > 2048:
            raise SaslException("DIGEST-MD5: Invalid digest-challenge length. Got:  %d Expected < 2048"
                                % len(challenge))
        try:
            d = parse_directives(challenge)
        except UnicodeDecodeError as e:
            raise SaslException("DIGEST-MD5: bad digest-challenge: %s" % e) from None
        nonce = d.get("nonce")
        if nonce is None:
            raise SaslException("DIGEST-MD5: Digest-challenge format violation: Nonce not present")
        algorithm = d.get("algorithm")
        if algorithm is None or algorithm.lower() != "md5-sess":
            raise SaslException("DIGEST-MD5: Digest-challenge format violation: algorithm directive missing")
        qops = [q.strip() for q in d.get("qop", "auth").split(",")]
        if "auth" not in qops:
            raise SaslException("DIGEST-MD5: No common protection layer between client and server")
        utf8 = d.get("charset", "").lower() == "utf-8"
        realm = d.get("realm", "")
        cnonce = base64.b64encode(os.urandom(30)).decode("ascii")
        nc = "00000001"
        digest_uri = self.protocol + "/" + self.server_name
        authzid = self.authorization_id
        response = response_value(self.username, realm, self.password, nonce, cnonce, nc, "auth", digest_uri,
                                  authzid, utf8)
        self._expected_rspauth = response_value(self.username, realm, self.password, nonce, cnonce, nc, "auth",
                                                digest_uri, authzid, utf8, for_rspauth=True)
        parts = []
        if utf8:
            parts.append("charset=utf-8")
        parts += ["username=" + _quote(self.username), "realm=" + _quote(realm), "nonce=" + _quote(nonce),
                  "nc=" + nc, "cnonce=" + _quote(cnonce), "digest-uri=" + _quote(digest_uri),
                  "maxbuf=65536", "response=" + response, "qop=auth"]
        if authzid:
            parts.append("authzid=" + _quote(authzid))
        return ",".join(parts).encode("utf-8")

    def dispose(self):
        self.password = None
