"""A real MIT Kerberos KDC for tests: its own realm on loopback, principals and keytabs in a temp dir.

    kdc = session_kdc(tmp_path_factory)          # one KDC per test process, stopped at exit
    keytab = kdc.keytab("zookeeper/localhost")   # a keytab holding that principal (made on first use)
    keytab = kdc.keytab("zkquorum/localhost", "alice")   # one keytab, several principals
    kdc.kinit("alice", ccache_path)              # a ticket cache, as after `kinit -kt`
    kdc.principal("zookeeper/localhost")         # -> "zookeeper/localhost@EXAMPLE.COM"
    kdc.java_flags()                             # -Djava.security.krb5.conf=... for a JVM

The KDC is krb5kdc (Debian krb5-kdc) in the foreground on a free port (UDP and TCP), with a
database made by `kdb5_util create -s` and principals by `kadmin.local` (addprinc -randkey,
then ktadd -norandkey, so several keytabs of one principal hold the same key). Its krb5.conf
and kdc.conf are in the temp dir; session_kdc points KRB5_CONFIG and KRB5_KDC_PROFILE of this
process at them, so our servers and clients (child processes inherit it) use this realm. Java
reads -Djava.security.krb5.conf instead. Where the packages are missing, kdc_missing_reason()
says which and require_kdc()/session_kdc skip the test with it.
"""

import atexit
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from tests.support.net import free_port

REALM = "EXAMPLE.COM"
# Made when the session KDC starts: the client-port service and the quorum service (with keytabs
# from kdc.keytab(name), made on first use).
SERVICE_PRINCIPALS = ("zookeeper/localhost", "zkquorum/localhost")
_TOOLS = {"krb5kdc": "krb5-kdc", "kdb5_util": "krb5-kdc", "kadmin.local": "krb5-kdc"}
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def _which(tool):
    path = shutil.which(tool)
    if path:
        return path
    for d in _SBIN:
        candidate = os.path.join(d, tool)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def kdc_missing_reason():
    """Why a KDC cannot run here, or None when it can."""
    missing = sorted({pkg for tool, pkg in _TOOLS.items() if _which(tool) is None})
    if missing:
        return "MIT Kerberos KDC not installed (apt-get install %s)" % " ".join(
            missing + ["krb5-admin-server", "krb5-user"])
    return None


def gssapi_missing_reason():
    """Why zookeeper_py cannot speak Kerberos in this interpreter (no `gssapi` module), or None."""
    try:
        import gssapi  # noqa: F401
    except ImportError as e:
        return "python-gssapi is not importable (%s): pip install 'zookeeper_py[kerberos]' (needs libkrb5-dev)" % e
    return None


def require_kdc():
    reason = kdc_missing_reason()
    if reason:
        pytest.skip(reason)


KRB5_CONF = """\
[libdefaults]
    default_realm = {realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = true
    rdns = true
    ticket_lifetime = 24h
    forwardable = true
    udp_preference_limit = 1
    default_ccache_name = FILE:{dir}/krb5cc_default

[realms]
    {realm} = {{
        kdc = 127.0.0.1:{port}
        admin_server = 127.0.0.1:{port}
    }}

[domain_realm]
    localhost = {realm}
    .localhost = {realm}
"""

KDC_CONF = """\
[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}
    kdc_ports = {port}
    kdc_tcp_ports = {port}

[realms]
    {realm} = {{
        database_name = {dir}/principal
        key_stash_file = {dir}/stash
        acl_file = {dir}/kadm5.acl
        max_life = 24h
        max_renewable_life = 7d
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}

[logging]
    kdc = FILE:{dir}/kdc.log
    admin_server = FILE:{dir}/kadmin.log
    default = FILE:{dir}/krb5lib.log
"""


class Kdc:
    """One MIT KDC in a directory of its own; start() it, stop() it."""

    def __init__(self, base_dir, realm=REALM, port=None):
        self.dir = str(base_dir)
        self.realm = realm
        self.port = port or free_port()
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.log_path = os.path.join(self.dir, "kdc.log")
        self.proc = None
        self._principals = set()
        self._lock = threading.Lock()
        fmt = dict(realm=realm, port=self.port, dir=self.dir)
        with open(self.krb5_conf, "w") as f:
            f.write(KRB5_CONF.format(**fmt))
        with open(self.kdc_conf, "w") as f:
            f.write(KDC_CONF.format(**fmt))
        with open(os.path.join(self.dir, "kadm5.acl"), "w") as f:
            f.write("*/admin@%s *\n" % realm)

    @property
    def env(self):
        """Environment of a process using this realm (MIT tools and libraries)."""
        env = dict(os.environ)
        env.update(KRB5_CONFIG=self.krb5_conf, KRB5_KDC_PROFILE=self.kdc_conf)
        return env

    def _run(self, *cmd):
        result = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (" ".join(cmd), result.returncode, result.stdout,
                                                           result.stderr))
        return result.stdout

    def start(self, timeout=30):
        # -W: the weak (non-blocking) random source, so creating the database never waits for entropy.
        self._run(_which("kdb5_util"), "create", "-s", "-W", "-r", self.realm, "-P", "kdc-master-password")
        self.proc = subprocess.Popen([_which("krb5kdc"), "-n", "-r", self.realm], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "krb5kdc.err"), "w"))
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("krb5kdc exited with %s: %s" % (self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise TimeoutError("KDC not listening on 127.0.0.1:%d after %ss: %s"
                                       % (self.port, timeout, self.log_tail())) from None
                time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log_tail(self, n=3000):
        text = ""
        for name in ("kdc.log", "krb5kdc.err"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()[-n:]
            except OSError:
                pass
        return text

    def principal(self, name):
        """The full name: name@REALM (name as given when it has a realm already)."""
        return name if "@" in name else "%s@%s" % (name, self.realm)

    def add_principal(self, name):
        """Create the principal (random key) unless it exists."""
        with self._lock:
            if name in self._principals:
                return self.principal(name)
            self._run(_which("kadmin.local"), "-r", self.realm, "-q", "addprinc -randkey %s" % self.principal(name))
            self._principals.add(name)
        return self.principal(name)

    def keytab(self, *names, path=None):
        """A keytab with the current keys of the principals (created if needed); returns its path."""
        if path is None:
            path = os.path.join(self.dir, "%s.keytab" % "+".join(n.replace("/", "_") for n in names))
        if os.path.exists(path):
            return path
        for name in names:
            self.add_principal(name)
            self._run(_which("kadmin.local"), "-r", self.realm, "-q",
                      "ktadd -k %s -norandkey %s" % (path, self.principal(name)))
        return path

    def stale_keytab(self, name, path=None):
        """A keytab whose key for `name` the KDC no longer has (made, then the key changed).

        Give it a principal of its own: keytab() files of that principal go stale as well."""
        path = path or os.path.join(self.dir, "%s.stale.keytab" % name.replace("/", "_"))
        if os.path.exists(path):
            return path
        self.add_principal(name)
        scratch = os.path.join(self.dir, "scratch-%s.keytab" % name.replace("/", "_"))
        # ktadd without -norandkey gives the principal a new random key and writes it out;
        # the second one makes the first key stale. Keep the first only.
        self._run(_which("kadmin.local"), "-r", self.realm, "-q", "ktadd -k %s %s" % (path, self.principal(name)))
        self._run(_which("kadmin.local"), "-r", self.realm, "-q", "ktadd -k %s %s" % (scratch, self.principal(name)))
        return path

    def kinit(self, name, ccache, keytab=None):
        """A ticket cache for the principal (kinit -kt from its keytab); returns the cache path."""
        kinit = shutil.which("kinit")
        if kinit is None:
            pytest.skip("kinit not installed (apt-get install krb5-user)")
        keytab = keytab or self.keytab(name)
        self._run(kinit, "-k", "-t", keytab, "-c", ccache, self.principal(name))
        return ccache

    def java_flags(self):
        """JVM flags for this realm: the krb5.conf, and no replay cache to share between JVMs."""
        return ["-Djava.security.krb5.conf=" + self.krb5_conf]


_session = []
_session_lock = threading.Lock()


def session_kdc(tmp_path_factory, realm=REALM):
    """The KDC of this test process: started on first use, stopped when the process exits.

    Skips the calling test with the reason when the Kerberos packages are missing. Sets
    KRB5_CONFIG and KRB5_KDC_PROFILE in os.environ (so in-process clients and the servers
    started after it use the realm) and KRB5CCNAME to a cache of its own."""
    require_kdc()
    with _session_lock:
        if not _session:
            kdc = Kdc(tmp_path_factory.mktemp("kdc"), realm=realm)
            kdc.start()
            for name in SERVICE_PRINCIPALS:
                kdc.add_principal(name)
            atexit.register(kdc.stop)
            os.environ["KRB5_CONFIG"] = kdc.krb5_conf
            os.environ["KRB5_KDC_PROFILE"] = kdc.kdc_conf
            os.environ["KRB5CCNAME"] = "FILE:" + os.path.join(kdc.dir, "krb5cc_tests")
            _session.append(kdc)
        return _session[0]
