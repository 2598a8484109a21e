"""Mirror of org.apache.zookeeper.server.auth.ProviderRegistry."""

import importlib
import logging
import threading

from zookeeper_py.common import system_properties
from zookeeper_py.server.auth.digest_authentication_provider import DigestAuthenticationProvider
from zookeeper_py.server.auth.ip_authentication_provider import IPAuthenticationProvider

LOG = logging.getLogger("ProviderRegistry")


class ProviderRegistry:
    """Mirror of org.apache.zookeeper.server.auth.ProviderRegistry: scheme -> AuthenticationProvider.

    `zookeeper.authProvider.N` names extra providers: a Java class name of a provider that
    has a twin here (JAVA_PROVIDER_CLASSES), or a Python class path ("package.module.ClassName").
    As in Java 3.5.7, only ip and digest are built in: the x509 provider, which TLS
    connections need (the scheme in zookeeper.ssl.authProvider, default "x509"), is
    registered by zookeeper.authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider.
    """

    JAVA_PROVIDER_CLASSES = {
        "org.apache.zookeeper.server.auth.IPAuthenticationProvider":
            "zookeeper_py.server.auth.ip_authentication_provider.IPAuthenticationProvider",
        "org.apache.zookeeper.server.auth.DigestAuthenticationProvider":
            "zookeeper_py.server.auth.digest_authentication_provider.DigestAuthenticationProvider",
        "org.apache.zookeeper.server.auth.X509AuthenticationProvider":
            "zookeeper_py.server.auth.x509_authentication_provider.X509AuthenticationProvider",
        "org.apache.zookeeper.server.auth.SASLAuthenticationProvider":
            "zookeeper_py.server.auth.sasl_authentication_provider.SASLAuthenticationProvider",
    }

    _lock = threading.Lock()
    _initialized = False
    _providers = {}

    @classmethod
    def initialize(cls):
        with cls._lock:
            if cls._initialized:
                return
            for provider in (IPAuthenticationProvider(), DigestAuthenticationProvider()):
                cls._providers[provider.get_scheme()] = provider
            for key, class_name in system_properties.snapshot().items():
                if key.startswith("zookeeper.authProvider."):
                    try:
                        class_name = cls.JAVA_PROVIDER_CLASSES.get(class_name.strip(), class_name.strip())
                        module_name, _, name = class_name.rpartition(".")
                        provider = getattr(importlib.import_module(module_name), name)()
                        cls._providers[provider.get_scheme()] = provider
                    except Exception:
                        LOG.warning("Problems loading %s", class_name, exc_info=True)
            cls._initialized = True

    @classmethod
    def get_provider(cls, scheme):
        if not cls._initialized:
            cls.initialize()
        return cls._providers.get(scheme)

    @classmethod
    def list_providers(cls):
        return "".join(s + " " for s in cls._providers)
