"""Mirror of org.apache.zookeeper.server.util.KerberosUtil."""

import os
import re
import threading

from zookeeper_py.common import system_properties

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_DEFAULT_REALM = re.compile(r"^\s*default_realm\s*=\s*(\S+)\s*$")
_cache = {}
_lock = threading.Lock()


def krb5_conf_path():
    """The krb5.conf in use: -Djava.security.krb5.conf, else KRB5_CONFIG (its first file), else /etc/krb5.conf."""
    path = system_properties.get_property("java.security.krb5.conf")
    if not path:
        env = os.environ.get("KRB5_CONFIG")
        path = env.split(":")[0] if env else "/etc/krb5.conf"
    return path


def _read_default_realm(path):
    section = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.lstrip().startswith(("#", ";")):
                continue
            m = _SECTION.match(line)
            if m:
                section = m.group(1).strip()
                continue
            if section == "libdefaults":
                m = _DEFAULT_REALM.match(line)
                if m:
                    return m.group(1)
    return None


class KerberosUtil:
    """Mirror of org.apache.zookeeper.server.util.KerberosUtil: the default realm of the krb5.conf.

    Java asks its Kerberos configuration (new KerberosPrincipal("tmp").getRealm()); here it is
    [libdefaults] default_realm of the file MIT Kerberos reads (java.security.krb5.realm
    first, as in Java). ValueError when there is none, as Java's IllegalArgumentException."""

    @staticmethod
    def get_default_realm():
        realm = system_properties.get_property("java.security.krb5.realm")
        if realm:
            return realm
        path = krb5_conf_path()
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError as e:
            raise ValueError("Can't get Kerberos realm: %s: %s" % (path, e.strerror)) from None
        with _lock:
            cached = _cache.get(path)
            if cached is None or cached[0] != mtime:
                try:
                    cached = (mtime, _read_default_realm(path))
                except OSError as e:
                    raise ValueError("Can't get Kerberos realm: %s: %s" % (path, e.strerror)) from None
                _cache[path] = cached
        if cached[1] is None:
            raise ValueError("Can't get Kerberos realm: no default_realm in [libdefaults] of %s" % path)
        return cached[1]
