"""Mirror of org.apache.zookeeper.common.PathUtils."""

import re

# Printable-ASCII paths with no "." or ".." component are valid; only others take the slow walk.
_PLAIN_PATH = re.compile(r"(?:/(?!\.\.?(?:/|\Z))[\x20-\x2e\x30-\x7e]+)+")


class PathUtils:
    """Mirror of org.apache.zookeeper.common.PathUtils: znode path validation."""

    @staticmethod
    def validate_path(path, is_sequential=False):
        """Raise ValueError (Java's IllegalArgumentException) with Java's message if invalid."""
        validate_path(path + "1" if is_sequential else path)


def validate_path(path):
    if path is not None and _PLAIN_PATH.fullmatch(path):
        return
    if path is None:
        raise ValueError("Path cannot be null")
    if len(path) == 0:
        raise ValueError("Path length must be > 0")
    if path[0] != "/":
        raise ValueError("Path must start with / character")
    if len(path) == 1:
        return
    if path[-1] == "/":
        raise ValueError("Path must not end with / character")
    reason = None
    last = "/"
    i = 1
    n = len(path)
    while i < n:
        c = path[i]
        if c == "\0":
            reason = "null character not allowed @" + str(i)
            break
        elif c == "/" and last == "/":
            reason = "empty node name specified @" + str(i)
            break
        elif c == "." and last == ".":
            if path[i - 2] == "/" and (i + 1 == n or path[i + 1] == "/"):
                reason = "relative paths not allowed @" + str(i)
                break
        elif c == ".":
            if path[i - 1] == "/" and (i + 1 == n or path[i + 1] == "/"):
                reason = "relative paths not allowed @" + str(i)
                break
        elif (("\u0000" < c <= "\u001f") or ("\u007f" <= c <= "\u009F") or ("\ud800" <= c <= "\uf8ff")
              or (c >= "\ufff0")):
            reason = "invalid character @" + str(i)
            break
        last = c
        i += 1
    if reason is not None:
        raise ValueError('Invalid path string "%s" caused by %s' % (path, reason))
