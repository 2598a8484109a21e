"""Mirror of org.apache.zookeeper.Login, with the javax.security.auth.login.LoginContext it drives."""

import importlib
import logging

from zookeeper_py.common.jaas_configuration import Configuration, JaasConfigurationException

LOG = logging.getLogger("Login")

KRB5_LOGIN_MODULE = "com.sun.security.auth.module.Krb5LoginModule"

# JAAS login module class -> its twin here ("module:Class").
LOGIN_MODULES = {
    "org.apache.zookeeper.server.auth.DigestLoginModule":
        "zookeeper_py.server.auth.digest_login_module:DigestLoginModule",
    KRB5_LOGIN_MODULE: "zookeeper_py.common.krb5_login_module:Krb5LoginModule",
}


class LoginException(Exception):
    """Mirror of javax.security.auth.login.LoginException."""


class Subject:
    """Mirror of javax.security.auth.Subject: who logged in and with what."""

    def __init__(self):
        self.principals = []
        self.public_credentials = []
        self.private_credentials = []

    def get_principals(self):
        return self.principals

    def get_public_credentials(self):
        return self.public_credentials

    def get_private_credentials(self):
        return self.private_credentials


class LoginContext:
    """Mirror of javax.security.auth.login.LoginContext: runs the modules of one JAAS section."""

    def __init__(self, name, subject=None, callback_handler=None, configuration=None):
        self.name = name
        self.subject = subject if subject is not None else Subject()
        self.callback_handler = callback_handler
        self.configuration = configuration if configuration is not None else Configuration.get_configuration()
        if self.configuration is None:
            raise LoginException("No JAAS configuration (%s is not set)" % "java.security.auth.login.config")
        self.entries = self.configuration.get_app_configuration_entry(name)
        if self.entries is None:
            raise LoginException("No LoginModules configured for " + name)
        self.modules = []

    def login(self):
        for entry in self.entries:
            class_name = entry.get_login_module_name()
            target = LOGIN_MODULES.get(class_name)
            if target is None:
                raise LoginException("No LoginModule found for %s (section '%s' of %s); zookeeper_py knows %s"
                                     % (class_name, self.name, self.configuration.path,
                                        ", ".join(sorted(LOGIN_MODULES))))
            module_name, _, cls_name = target.partition(":")
            module = getattr(importlib.import_module(module_name), cls_name)()
            # Krb5LoginModule names the section and file in its messages.
            module.where = "%s in section '%s' of %s" % (class_name, self.name, self.configuration.path)
            module.initialize(self.subject, self.callback_handler, {}, entry.get_options())
            module.login()
            self.modules.append(module)
        for module in self.modules:
            module.commit()

    def logout(self):
        for module in self.modules:
            module.logout()

    def get_subject(self):
        return self.subject


class Login:
    """Mirror of org.apache.zookeeper.Login: logs in with one JAAS section and keeps the Subject.

    Java's Login also runs a thread that refreshes Kerberos tickets (kinit -R or a new login
    from the keytab before the TGT expires). Here MIT Kerberos does that itself: credentials
    Krb5LoginModule acquired from a client keytab are renewed from it whenever a context needs
    a fresh TGT, and DIGEST-MD5 has nothing to refresh; so startThreadIfNeeded starts nothing.
    A login from a ticket cache alone (useTicketCache without useKeyTab) is renewed by whoever
    keeps that cache (kinit -R, k5start), as with Java without renewTGT."""

    def __init__(self, login_context_name, callback_handler, zk_config=None, configuration=None):
        self.login_context_name = login_context_name
        self.callback_handler = callback_handler
        self.zk_config = zk_config
        self.login_context = LoginContext(login_context_name, None, callback_handler, configuration)
        self.login_context.login()
        self.subject = self.login_context.get_subject()
        LOG.info("Successfully logged in.")

    def get_subject(self):
        return self.subject

    def get_login_context_name(self):
        return self.login_context_name

    def start_thread_if_needed(self):
        pass  # MIT Kerberos renews keytab logins itself (see the class docstring)

    def shutdown(self):
        pass


__all__ = ["Login", "LoginContext", "LoginException", "Subject", "JaasConfigurationException"]
