"""Mirror of org.apache.zookeeper.server.auth.KerberosName (parsing; no auth_to_local rules)."""

import re

_NAME_PARSER = re.compile(r"^([^/@]*)(/([^/@]*))?@([^/@]*)$")


class KerberosName:
    """Mirror of org.apache.zookeeper.server.auth.KerberosName: service[/host][@REALM].

    get_short_name: without host and realm (every DIGEST-MD5 user name) it is the name itself,
    as in Java. Java maps a name with a host or realm through krb5's auth_to_local rules;
    zookeeper_py has no Kerberos yet, so such a name keeps its service part only when its
    realm is the one in zookeeper.kerberos.defaultRealm (Java's DEFAULT rule), else it is
    returned whole."""

    def __init__(self, name):
        m = _NAME_PARSER.match(name)
        if m is None:
            if "@" in name:
                raise ValueError("Malformed Kerberos name: " + name)
            self.service_name = name
            self.host_name = None
            self.realm = None
        else:
            self.service_name = m.group(1)
            self.host_name = m.group(3)
            self.realm = m.group(4)

    def get_service_name(self):
        return self.service_name

    def get_host_name(self):
        return self.host_name

    def get_realm(self):
        return self.realm

    def get_short_name(self):
        if self.host_name is None and self.realm is None:
            return self.service_name
        from zookeeper_py.common import system_properties

        default_realm = system_properties.get_property("zookeeper.kerberos.defaultRealm")
        if default_realm is not None and self.realm == default_realm:
            return self.service_name
        return str(self)

    def __str__(self):
        out = self.service_name
        if self.host_name is not None:
            out += "/" + self.host_name
        if self.realm is not None:
            out += "@" + self.realm
        return out
