"""Mirror of org.apache.zookeeper.server.util.VerifyingFileFactory."""

import os


class VerifyingFileFactory:
    """Mirror of org.apache.zookeeper.server.util.VerifyingFileFactory.

    Checks a configured path: a warning for a relative one (unless it starts with ./, the
    sign that it is meant), and ValueError (Java: IllegalArgumentException) for a missing one.
    Java's Builder is the constructor's keyword arguments; the log is the caller's, as in Java.
    """

    def __init__(self, log, warn_for_relative_path=False, fail_for_non_existing_path=False):
        self.log = log
        self.warn_for_relative_path = warn_for_relative_path
        self.fail_for_non_existing_path = fail_for_non_existing_path

    def create(self, path):
        return self.validate(path)

    def validate(self, path):
        if self.warn_for_relative_path:
            self.do_warn_for_relative_path(path)
        if self.fail_for_non_existing_path:
            self.do_fail_for_non_existing_path(path)
        return path

    @staticmethod
    def do_fail_for_non_existing_path(path):
        if not os.path.exists(path):
            raise ValueError("%s file is missing" % path)

    def do_warn_for_relative_path(self, path):
        if os.path.isabs(path) or path.startswith("." + os.sep):
            return
        self.log.warning("%s is relative. Prepend .%s to indicate that you're sure!", path, os.sep)
