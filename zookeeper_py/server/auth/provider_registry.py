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

    `zookeeper.authProvider.N` names extra providers; here that is a Python class path
    ("package.module.ClassName").
    """

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
