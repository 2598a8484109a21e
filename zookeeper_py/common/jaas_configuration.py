"""JAAS login configuration: javax.security.auth.login.Configuration and the JDK's ConfigFile.

Java reads the file named by the system property `java.security.auth.login.config`
(-Djava.security.auth.login.config=..., SERVER_JVMFLAGS, CLIENT_JVMFLAGS) in this syntax:

    Server {
        org.apache.zookeeper.server.auth.DigestLoginModule required
            user_super="adminsecret"
            user_bob="bobsecret";
    };
    Client {   // comments: // to the end of the line, or /* ... */
        org.apache.zookeeper.server.auth.DigestLoginModule required
            username="bob" password=bobsecret;
    };

A section is a name, `{`, entries, `}` and `;`. An entry is a login module class, a control
flag (required, requisite, sufficient, optional; any case), options `key=value` (value quoted
or one bare word; `${prop}` expands to a system property) and `;`. A file Java would refuse
raises JaasConfigurationException naming the file and the line.

The LoginContext part (which module class runs for an entry) lives in zookeeper_py/login.py.
"""

import os
import re
import threading

from zookeeper_py.common import system_properties

JAAS_CONF_KEY = "java.security.auth.login.config"


class JaasConfigurationException(Exception):
    """Java's SecurityException / IOException "Configuration Error: Line N: ..." of ConfigFile."""

    def __init__(self, message, path=None, line=None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = path + (":%d" % line if line is not None else "") + ": "
        super().__init__("JAAS configuration error: " + where + message)


class LoginModuleControlFlag:
    """Mirror of javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag."""

    REQUIRED = "required"
    REQUISITE = "requisite"
    SUFFICIENT = "sufficient"
    OPTIONAL = "optional"
    ALL = (REQUIRED, REQUISITE, SUFFICIENT, OPTIONAL)


class AppConfigurationEntry:
    """Mirror of javax.security.auth.login.AppConfigurationEntry: one login module of a section."""

    __slots__ = ("login_module_name", "control_flag", "options", "line")

    def __init__(self, login_module_name, control_flag, options, line=None):
        self.login_module_name = login_module_name
        self.control_flag = control_flag
        self.options = dict(options)
        self.line = line  # where it is in the file (for messages)

    def get_login_module_name(self):
        return self.login_module_name

    def get_control_flag(self):
        return self.control_flag

    def get_options(self):
        return dict(self.options)

    def __repr__(self):
        return "AppConfigurationEntry(%s %s %s)" % (self.login_module_name, self.control_flag,
                                                   sorted(self.options))


# -- the tokenizer (Java uses a StreamTokenizer with // and /* */ comments) -----------------

_WORD = re.compile(r'[^\s{}=;"/]+(?:/(?![/*])[^\s{}=;"/]*)*')
_EXPAND = re.compile(r"\$\{([^}]*)\}")


def _tokens(text, path):
    """(kind, value, line): kind is "word", "string" or the character of { } = ;."""
    pos = 0
    line = 1
    n = len(text)
    last_line = 1  # end of file is reported at the line of the last token
    while pos < n:
        c = text[pos]
        if c == "\n":
            line += 1
            pos += 1
        elif c.isspace():
            pos += 1
        elif text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = n if end < 0 else end
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                raise JaasConfigurationException("unterminated /* comment", path, line)
            line += text.count("\n", pos, end)
            pos = end + 2
        elif c in "{}=;":
            last_line = line
            yield c, c, line
            pos += 1
        elif c == '"':
            start_line = line
            out = []
            pos += 1
            while True:
                if pos >= n:
                    raise JaasConfigurationException("unterminated quoted string", path, start_line)
                c = text[pos]
                if c == '"':
                    pos += 1
                    break
                if c == "\\" and pos + 1 < n:
                    # StreamTokenizer's escapes: \n \t \" \\ ...
                    nxt = text[pos + 1]
                    out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(nxt, nxt))
                    pos += 2
                    continue
                if c == "\n":
                    line += 1
                out.append(c)
                pos += 1
            last_line = start_line
            yield "string", "".join(out), start_line
        else:
            m = _WORD.match(text, pos)
            if m is None or m.end() == pos:
                raise JaasConfigurationException("unexpected character %r" % c, path, line)
            last_line = line
            yield "word", m.group(0), line
            pos = m.end()
    yield "eof", None, last_line


def _expand(value, path, line):
    """ConfigFile expands ${name} with system properties (${/} is the file separator)."""
    def sub(m):
        name = m.group(1)
        if name == "/":
            return os.sep
        v = system_properties.get_property(name)
        if v is None:
            v = {"user.home": os.path.expanduser("~"), "user.dir": os.getcwd()}.get(name)
        if v is None:
            raise JaasConfigurationException("unable to expand ${%s}: no such system property" % name, path, line)
        return v
    return _EXPAND.sub(sub, value) if "${" in value else value


def parse_jaas(text, path="<jaas>"):
    """The sections of a JAAS file: {name: [AppConfigurationEntry, ...]} (ConfigFile.Spi.init)."""
    sections = {}
    toks = _tokens(text, path)
    tok = next(toks)

    def expect(kind, what):
        nonlocal tok
        k, v, line = tok
        if k != kind:
            found = "end of file" if k == "eof" else v
            raise JaasConfigurationException("expected [%s], found [%s]" % (what, found), path, line)
        tok = next(toks)
        return v, line

    while tok[0] != "eof":
        name, name_line = expect("word", "login configuration name")
        if name in sections:
            raise JaasConfigurationException("Can not specify multiple entries for %s" % name, path, name_line)
        expect("{", "{")
        entries = []
        while tok[0] != "}":
            module, module_line = expect("word", "login module class name")
            flag, flag_line = expect("word", "controlFlag")
            if flag.lower() not in LoginModuleControlFlag.ALL:
                raise JaasConfigurationException("Invalid control flag, %s" % flag, path, flag_line)
            options = {}
            while tok[0] != ";":
                key, key_line = expect("word", "option key")
                expect("=", "=")
                k, value, value_line = tok
                if k not in ("word", "string"):
                    raise JaasConfigurationException(
                        "expected [option value], found [%s]" % ("end of file" if k == "eof" else value),
                        path, value_line)
                tok = next(toks)
                options[key] = _expand(value, path, value_line)
            expect(";", ";")
            entries.append(AppConfigurationEntry(module, flag.lower(), options, module_line))
        expect("}", "}")
        expect(";", ";")
        sections[name] = entries
    return sections


class Configuration:
    """Mirror of javax.security.auth.login.Configuration (with sun.security.provider.ConfigFile).

    Configuration.get_configuration() reads the file named by java.security.auth.login.config
    once per path, as Java's static configuration does; a malformed file raises
    JaasConfigurationException (file and line), a missing one too. With the property unset
    it returns None (Java throws SecurityException "Unable to locate a login configuration",
    which ZooKeeper's callers treat as "no JAAS")."""

    _lock = threading.Lock()
    _cached = {}

    def __init__(self, sections, path=None):
        self.sections = sections
        self.path = path

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise JaasConfigurationException("cannot read the file: %s" % (e.strerror or e), path) from None
        return cls(parse_jaas(text, path), path)

    @classmethod
    def get_configuration(cls):
        path = system_properties.get_property(JAAS_CONF_KEY)
        if not path:
            return None
        # Java accepts a leading "=" (-Djava.security.auth.login.config==file overrides) and file: URLs.
        path = path.lstrip("=")
        if path.startswith("file:"):
            path = path[5:]
            while path.startswith("//"):
                path = path[1:]
        with cls._lock:
            try:
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                mtime = None
            cached = cls._cached.get(path)
            if cached is not None and cached[0] == mtime and mtime is not None:
                return cached[1]
            config = cls.from_file(path)
            cls._cached[path] = (mtime, config)
            return config

    def get_app_configuration_entry(self, name):
        """The entries of section `name`, or None when the file has no such section."""
        entries = self.sections.get(name)
        return list(entries) if entries is not None else None

    def refresh(self):
        with self._lock:
            self._cached.clear()
