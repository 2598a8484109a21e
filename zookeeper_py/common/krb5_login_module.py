"""Mirror of com.sun.security.auth.module.Krb5LoginModule, over MIT Kerberos through python-gssapi.

A JAAS entry such as

    Server {
        com.sun.security.auth.module.Krb5LoginModule required
        useKeyTab=true keyTab="/etc/zookeeper/zk.keytab" storeKey=true
        useTicketCache=false principal="zookeeper/host.example.com@EXAMPLE.COM";
    };

logs in as Java's does: with useKeyTab the principal's key comes from the keytab (no kinit;
MIT Kerberos gets and renews the TGT from the keytab itself, the job of Java's Login refresh
thread), with useTicketCache from the ticket cache (ticketCache, else KRB5CCNAME). As an
initiator (isInitiator, default true) it gets a TGT at login, so a wrong keytab or an unknown
principal fails here as in Java; with storeKey it also keeps acceptor credentials, which a
server needs to accept clients. The Kerberos configuration is MIT's (KRB5_CONFIG, else
/etc/krb5.conf); -Djava.security.krb5.conf=<file> sets KRB5_CONFIG for this process, as the
JVM reads that file.

The `gssapi` package is an optional dependency (pip install 'zookeeper_py[kerberos]'; it builds
against Debian's libkrb5-dev). Without it login() raises LoginException saying so, and a
server with such a section stops at startup.
"""

import logging
import os
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.login import LoginException

LOG = logging.getLogger("Krb5LoginModule")

KRB5_CONF_KEY = "java.security.krb5.conf"
# Options Java's module reads. Anything else it ignores; we say so in the log.
KNOWN_OPTIONS = {"useKeyTab", "keyTab", "principal", "storeKey", "useTicketCache", "ticketCache", "doNotPrompt",
                 "debug", "isInitiator", "refreshKrb5Config", "renewTGT", "clearPass", "tryFirstPass",
                 "useFirstPass", "storePass"}
# Java's options that change how to log in, which this module cannot do: refused, never ignored.
UNSUPPORTED_OPTIONS = {"tryFirstPass": "shared-state passwords", "useFirstPass": "shared-state passwords",
                       "storePass": "shared-state passwords"}

INSTALL_HINT = ("pip install 'zookeeper_py[kerberos]' (the python package 'gssapi' over MIT Kerberos; to build it: "
                "apt-get install libkrb5-dev gcc)")

_env_lock = threading.Lock()


def configure_krb5_from_system_properties():
    """-Djava.security.krb5.conf=<file> -> KRB5_CONFIG of this process (before MIT reads it).

    java.security.krb5.realm/.kdc (Java's way to name a realm without a file) cannot be
    honoured by MIT Kerberos: refused with a message rather than ignored."""
    for key in ("java.security.krb5.realm", "java.security.krb5.kdc"):
        if system_properties.get_property(key) is not None:
            raise ValueError("%s is not supported by zookeeper_py (MIT Kerberos reads its realms from a krb5.conf): "
                             "use -D%s=<krb5.conf> or KRB5_CONFIG" % (key, KRB5_CONF_KEY))
    conf = system_properties.get_property(KRB5_CONF_KEY)
    if conf:
        with _env_lock:
            if os.environ.get("KRB5_CONFIG") != conf:
                LOG.info("%s=%s: using it as KRB5_CONFIG", KRB5_CONF_KEY, conf)
                os.environ["KRB5_CONFIG"] = conf
    if system_properties.get_property("sun.security.krb5.debug") == "true":
        LOG.info("sun.security.krb5.debug is a JVM setting; for MIT Kerberos traces set KRB5_TRACE=/dev/stderr")


def gssapi_or_login_exception(where):
    try:
        import gssapi  # optional: only where MIT Kerberos is set up (the kerberos extra)
    except ImportError as e:
        raise LoginException("%s: Kerberos needs the python package 'gssapi', which is not importable here (%s): %s"
                             % (where, e, INSTALL_HINT)) from None
    return gssapi


class KerberosPrincipal:
    """Mirror of javax.security.auth.kerberos.KerberosPrincipal: a principal name with its realm."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name

    def get_realm(self):
        return self.name.rpartition("@")[2] if "@" in self.name else None

    def __str__(self):
        return self.name

    def __repr__(self):
        return "KerberosPrincipal(%r)" % self.name

    def __eq__(self, other):
        return isinstance(other, KerberosPrincipal) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


class KerberosCredentials:
    """What Java keeps in the Subject's private credentials (KerberosTicket, KerberosKey/KeyTab):
    the gssapi initiator credentials (the TGT) and, with storeKey, the acceptor credentials."""

    __slots__ = ("principal", "initiate", "accept", "keytab", "ccache")

    def __init__(self, principal, initiate=None, accept=None, keytab=None, ccache=None):
        self.principal = principal
        self.initiate = initiate
        self.accept = accept
        self.keytab = keytab
        self.ccache = ccache

    def __repr__(self):
        return "KerberosCredentials(%s, initiate=%s, accept=%s, keytab=%s)" % (
            self.principal, self.initiate is not None, self.accept is not None, self.keytab)


def _bool(options, key, default=False):
    value = options.get(key)
    if value is None:
        return default
    return str(value).strip().lower() == "true"


class Krb5LoginModule:
    """Mirror of com.sun.security.auth.module.Krb5LoginModule (keytab and ticket cache; no prompts)."""

    def __init__(self):
        self.subject = None
        self.options = {}
        self.where = "Krb5LoginModule"
        self.kerb_principal = None
        self.credentials = None
        self.succeeded = False
        self.commit_succeeded = False

    def initialize(self, subject, callback_handler, shared_state, options, where=None):
        self.subject = subject
        self.options = dict(options)
        if where:
            self.where = where
        if _bool(self.options, "debug"):
            LOG.info("%s: debug=true is ignored (set KRB5_TRACE=/dev/stderr for MIT Kerberos traces)", self.where)
        for key in sorted(self.options):
            if key not in KNOWN_OPTIONS:
                LOG.warning("%s: option %s is not one Krb5LoginModule knows; ignored as Java ignores it",
                            self.where, key)

    def login(self):
        for key, what in UNSUPPORTED_OPTIONS.items():
            if _bool(self.options, key):
                raise LoginException("%s: %s=true (%s) is not supported by zookeeper_py" % (self.where, key, what))
        try:
            configure_krb5_from_system_properties()
        except ValueError as e:
            raise LoginException("%s: %s" % (self.where, e)) from None
        gssapi = gssapi_or_login_exception(self.where)
        use_key_tab = _bool(self.options, "useKeyTab")
        use_ticket_cache = _bool(self.options, "useTicketCache")
        store_key = _bool(self.options, "storeKey")
        is_initiator = _bool(self.options, "isInitiator", True)
        principal = self.options.get("principal")
        key_tab = self.options.get("keyTab")
        if not use_key_tab and not use_ticket_cache:
            # Java would prompt for a password through the CallbackHandler; with none (or
            # doNotPrompt) it fails with this message.
            raise LoginException("%s: Unable to obtain password from user (neither useKeyTab nor useTicketCache is "
                                 "true; zookeeper_py never prompts)" % self.where)
        if key_tab and not os.path.exists(key_tab):
            if not use_ticket_cache:
                raise LoginException("%s: Unable to obtain password from user (keyTab %s does not exist)"
                                     % (self.where, key_tab))
        if _bool(self.options, "renewTGT") and not use_key_tab:
            LOG.warning("%s: renewTGT=true: zookeeper_py does not renew a ticket cache's TGT (MIT renews only "
                        "keytab logins); keep the cache fresh with kinit -R or k5start, or use useKeyTab=true",
                        self.where)
        errors = []
        initiate = None
        ccache = None
        name = None
        if principal and principal != "*":
            try:
                name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
            except gssapi.exceptions.GSSError as e:
                raise LoginException("%s: bad principal %r: %s" % (self.where, principal, e)) from None
        if is_initiator and use_ticket_cache:
            ccache = self.options.get("ticketCache")
            store = {"ccache": ccache} if ccache else None
            try:
                initiate = gssapi.Credentials(name=name, usage="initiate", store=store)
                initiate.lifetime  # noqa: B018 -- reads the TGT now: an empty or expired cache fails here
                if name is None:
                    principal = str(initiate.name)
            except gssapi.exceptions.GSSError as e:
                initiate = None
                errors.append("ticket cache %s: %s" % (ccache or os.environ.get("KRB5CCNAME", "(default)"), e))
        if is_initiator and initiate is None and use_key_tab:
            if name is None:
                raise LoginException("%s: useKeyTab=true needs principal=<name@REALM> (zookeeper_py never prompts)"
                                     % self.where)
            # A memory cache of our own, so two logins of one process never share tickets.
            ccache = "MEMORY:zookeeper_py-%s" % os.urandom(16).hex()
            store = {"ccache": ccache}
            if key_tab:
                store["client_keytab"] = key_tab
            try:
                initiate = gssapi.Credentials(name=name, usage="initiate", store=store)
                initiate.lifetime  # noqa: B018 -- the AS exchange with the KDC happens here
            except gssapi.exceptions.GSSError as e:
                initiate = None
                errors.append("keytab %s: %s" % (key_tab or "(default keytab)", e))
        if is_initiator and initiate is None:
            raise LoginException("%s: Kerberos login of %s failed: %s" % (self.where, principal or "(no principal)",
                                                                         "; ".join(errors)))
        accept = None
        if store_key or not is_initiator:
            if not use_key_tab:
                LOG.warning("%s: storeKey=true without useKeyTab=true: no key to accept clients with", self.where)
            else:
                store = {"keytab": key_tab} if key_tab else None
                try:
                    accept = gssapi.Credentials(name=name, usage="accept", store=store)
                    accept.mechs  # noqa: B018
                except gssapi.exceptions.GSSError as e:
                    raise LoginException("%s: no key for %s in keytab %s: %s"
                                         % (self.where, principal or "*", key_tab or "(default keytab)", e)) from None
        if principal is None or principal == "*":
            if initiate is not None:
                principal = str(initiate.name)
        self.kerb_principal = KerberosPrincipal(principal) if principal and principal != "*" else None
        self.credentials = KerberosCredentials(principal, initiate, accept, key_tab, ccache)
        self.succeeded = True
        if initiate is None:
            source = "no TGT (isInitiator=false)"
        elif ccache is not None and ccache.startswith("MEMORY:"):
            source = "TGT from keytab " + (key_tab or "(default keytab)")
        else:
            source = "TGT from the ticket cache"
        LOG.info("%s: logged in as %s: %s%s", self.where, principal, source,
                 ", acceptor key from the keytab" if accept is not None else "")
        return True

    def commit(self):
        if not self.succeeded:
            return False
        if self.kerb_principal is not None and self.kerb_principal not in self.subject.principals:
            self.subject.principals.append(self.kerb_principal)
        self.subject.private_credentials.append(self.credentials)
        self.commit_succeeded = True
        return True

    def abort(self):
        self.logout()
        return self.succeeded

    def logout(self):
        if self.subject is not None:
            if self.kerb_principal in self.subject.principals:
                self.subject.principals.remove(self.kerb_principal)
            if self.credentials in self.subject.private_credentials:
                self.subject.private_credentials.remove(self.credentials)
        self.credentials = None
        self.succeeded = self.commit_succeeded = False
        return True


def kerberos_credentials(subject):
    """The KerberosCredentials a Krb5LoginModule left in `subject`, or None."""
    for cred in subject.private_credentials:
        if isinstance(cred, KerberosCredentials):
            return cred
    return None
