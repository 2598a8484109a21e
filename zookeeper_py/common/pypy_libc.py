"""libc functions called from PyPy, through its built-in cffi backend.

PyPy's own `os` lacks some calls the server makes (sched_setaffinity, prctl, sem_t), and
its ctypes is slow and costs some 20 ms of start-up to import; `_cffi_backend` comes with
PyPy, loads in 0.1 ms and releases the GIL for every call. C types are named as cffi
spells them: "int", "unsigned long", "long *", "long[8]".
"""

import functools
import re


@functools.lru_cache(maxsize=None)
def _backend():
    import _cffi_backend  # optional: PyPy only (ImportError elsewhere, which callers catch)

    return _cffi_backend


@functools.lru_cache(maxsize=None)
def _libc():
    return _backend().load_library(None)


@functools.lru_cache(maxsize=None)
def ctype(name):
    backend = _backend()
    array = re.fullmatch(r"(.+)\[(\d+)\]", name)
    if array:
        return backend.new_array_type(ctype(array.group(1) + " *"), int(array.group(2)))
    if name.endswith("*"):
        return backend.new_pointer_type(ctype(name[:-1].strip()))
    return backend.new_primitive_type(name)


def libc_function(name, result, *args):
    """libc's function `name`, returning C type `result` and taking `args`; AttributeError if missing."""
    fn_t = _backend().new_function_type(tuple(ctype(a) for a in args), ctype(result), False)
    return _libc().load_function(fn_t, name)


def new(type_name, init=None):
    """A new zeroed C object of `type_name` (an array or a pointer type), owned by the returned cdata."""
    return _backend().newp(ctype(type_name), init)


def sizeof(type_name):
    return _backend().sizeof(ctype(type_name))


def get_errno():
    """errno as the last libc call of this thread left it."""
    return _backend().get_errno()
