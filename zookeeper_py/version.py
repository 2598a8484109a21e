"""Mirror of org.apache.zookeeper.Version.

Two versions: the ZooKeeper version this server mirrors (VERSION, what srvr, mntr and
`zkServer.sh version` print, as a 3.5.7 server does) and zookeeper_py's own release
(PROJECT_VERSION, the package's version in setup.cfg).

The build date is not written in the source: a built package (wheel) records it at build
time in zookeeper_py/_build_info.py (setup.py: SOURCE_DATE_EPOCH, else the date of the git
commit built, else the build's time), so the same commit always gives the same date; a
source checkout without it reports the modification time of this file.
"""

import os
import time

VERSION = "3.5.7"
# Where Java has its git commit id. Letters, digits and '-' only: tools parse srvr's version
# with [A-Za-z0-9.-]+ (go-zookeeper's FLWSrvr fails the whole call otherwise).
REVISION = "zookeeper-py"
PROJECT_VERSION = "0.1.0"
# Java's format of the build date: "02/10/2020 11:30 GMT".
DATE_FORMAT = "%m/%d/%Y %H:%M GMT"

try:
    from zookeeper_py._build_info import BUILD_DATE as _build_date
except ImportError:  # a source checkout: the date is read from this file when first asked
    _build_date = None


def build_date():
    global _build_date
    if _build_date is None:
        _build_date = time.strftime(DATE_FORMAT, time.gmtime(os.path.getmtime(__file__)))
    return _build_date


class Version:
    """Mirror of org.apache.zookeeper.Version."""

    @staticmethod
    def get_version():
        return VERSION

    @staticmethod
    def get_revision_hash():
        return REVISION

    @staticmethod
    def get_build_date():
        return build_date()

    @staticmethod
    def get_full_version():
        return Version.get_version() + "-" + REVISION + ", built on " + build_date()

    @staticmethod
    def get_project_version():
        """zookeeper_py's own version (not Java's)."""
        return PROJECT_VERSION
