"""A module imported when one of its attributes is first read.

`ssl` is the one we need it for: importing it takes 40 ms on PyPy (10 ms on CPython), a sixth
of the server's start to serving, and a server without TLS settings never uses it. Modules that
hold `ssl = LazyModule("ssl")` keep writing `ssl.SSLContext`, `except ssl.SSLError` as before.
"""

import importlib


class LazyModule:
    def __init__(self, name):
        self._module_name = name

    def __getattr__(self, attr):
        # import_module takes the module's import lock, so threads racing here get one module.
        value = getattr(importlib.import_module(self._module_name), attr)
        setattr(self, attr, value)  # later reads find it without coming here
        return value

    def __repr__(self):
        return "<LazyModule %r>" % self._module_name
