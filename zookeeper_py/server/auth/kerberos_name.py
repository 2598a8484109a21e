"""Mirror of org.apache.zookeeper.server.auth.KerberosName."""

import re

from zookeeper_py.common import system_properties
from zookeeper_py.server.util.kerberos_util import KerberosUtil

AUTH_TO_LOCAL_KEY = "zookeeper.security.auth_to_local"

_NAME_PARSER = re.compile(r"^([^/@]*)(/([^/@]*))?@([^/@]*)$")
_PARAMETER_PATTERN = re.compile(r"([^$]*)(\$(\d*))?")
_RULE_PARSER = re.compile(r"\s*((DEFAULT)|(RULE:\[(\d*):([^\]]*)](\(([^)]*)\))?(s/([^/]*)/([^/]*)/(g)?)?))")
_NON_SIMPLE = re.compile(r"[/@]")
_JAVA_GROUP_REF = re.compile(r"\$(\d+)|\\(.)")


class NoMatchingRule(IOError):
    """Mirror of KerberosName.NoMatchingRule."""


class BadFormatString(IOError):
    """Mirror of KerberosName.BadFormatString."""


def _java_replacement(to):
    """A java.util.regex.Matcher replacement ($1 a group, \\x a literal x) as a re.sub template."""
    out = []
    i = 0
    while i < len(to):
        c = to[i]
        if c == "\\" and i + 1 < len(to):
            out.append(to[i + 1].replace("\\", "\\\\"))
            i += 2
        elif c == "$" and i + 1 < len(to) and to[i + 1].isdigit():
            j = i + 1
            while j < len(to) and to[j].isdigit():
                j += 1
            out.append("\\g<%s>" % to[i + 1:j])
            i = j
        else:
            out.append("\\\\" if c == "\\" else c)
            i += 1
    return "".join(out)


class Rule:
    """Mirror of KerberosName.Rule: DEFAULT, or RULE:[n:format](match)s/from/to/g."""

    def __init__(self, num_of_components=None, fmt=None, match=None, from_pattern=None, to_pattern=None,
                 repeat=False):
        self.is_default = num_of_components is None
        self.num_of_components = num_of_components
        self.format = fmt
        self.match = re.compile(match) if match is not None else None
        self.from_pattern = re.compile(from_pattern) if from_pattern is not None else None
        self.to_pattern = to_pattern
        self.repeat = repeat

    def __str__(self):
        if self.is_default:
            return "DEFAULT"
        out = "RULE:[%d:%s]" % (self.num_of_components, self.format)
        if self.match is not None:
            out += "(%s)" % self.match.pattern
        if self.from_pattern is not None:
            out += "s/%s/%s/%s" % (self.from_pattern.pattern, self.to_pattern, "g" if self.repeat else "")
        return out

    @staticmethod
    def replace_parameters(fmt, params):
        out = []
        start = 0
        while start < len(fmt):
            m = _PARAMETER_PATTERN.match(fmt, start)
            if m is None or m.end() == start:
                break
            out.append(m.group(1))
            if m.group(3) is not None:
                try:
                    num = int(m.group(3))
                except ValueError:
                    raise BadFormatString("bad format in username mapping in " + m.group(3)) from None
                if num < 0 or num >= len(params):
                    raise BadFormatString("index %d from %s is outside of the valid range 0 to %d"
                                          % (num, fmt, len(params) - 1))
                out.append(params[num])
            start = m.end()
        return "".join(out)

    def apply(self, params, default_realm):
        result = None
        if self.is_default:
            if default_realm == params[0]:
                result = params[1]
        elif len(params) - 1 == self.num_of_components:
            base = self.replace_parameters(self.format, params)
            if self.match is None or self.match.fullmatch(base):
                if self.from_pattern is None:
                    result = base
                else:
                    result = self.from_pattern.sub(_java_replacement(self.to_pattern), base,
                                                   count=0 if self.repeat else 1)
        if result is not None and _NON_SIMPLE.search(result):
            raise NoMatchingRule("Non-simple name %s after auth_to_local rule %s" % (result, self))
        return result


def parse_rules(rules):
    result = []
    remaining = rules.strip()
    while remaining:
        m = _RULE_PARSER.match(remaining)
        if m is None:
            raise ValueError("Invalid rule: " + remaining)
        if m.group(2) is not None:
            result.append(Rule())
        else:
            result.append(Rule(int(m.group(4)), m.group(5), m.group(7), m.group(9), m.group(10), m.group(11) == "g"))
        remaining = remaining[m.end():]
    return result


class KerberosName:
    """Mirror of org.apache.zookeeper.server.auth.KerberosName: service[/host][@REALM].

    get_short_name maps a name through the auth_to_local rules of
    zookeeper.security.auth_to_local (default "DEFAULT": the first component, for a name of
    the krb5.conf's default realm), read at each call rather than once per JVM. A name no
    rule maps raises NoMatchingRule, as in Java."""

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

    @staticmethod
    def get_default_realm():
        """The krb5.conf's default realm, or "" without one (Java's default unless
        zookeeper.requireKerberosConfig=true, which raises)."""
        try:
            return KerberosUtil.get_default_realm()
        except ValueError:
            if system_properties.get_property("zookeeper.requireKerberosConfig") == "true":
                raise
            return ""

    def get_service_name(self):
        return self.service_name

    def get_host_name(self):
        return self.host_name

    def get_realm(self):
        return self.realm

    def get_short_name(self):
        if self.host_name is None:
            if self.realm is None:
                return self.service_name
            params = [self.realm, self.service_name]
        else:
            params = [self.realm, self.service_name, self.host_name]
        rules = parse_rules(system_properties.get_property(AUTH_TO_LOCAL_KEY, "DEFAULT"))
        default_realm = self.get_default_realm()
        for rule in rules:
            result = rule.apply(params, default_realm)
            if result is not None:
                return result
        raise NoMatchingRule("No rules applied to " + str(self))

    def __str__(self):
        out = self.service_name
        if self.host_name is not None:
            out += "/" + self.host_name
        if self.realm is not None:
            out += "@" + self.realm
        return out
