"""Mirror of org.apache.zookeeper.Version."""

VERSION = "3.5.7"
REVISION = "zookeeper_py"
BUILD_DATE = "11/28/2026 00:00 GMT"


class Version:
    """Mirror of org.apache.zookeeper.Version."""

    @staticmethod
    def get_version():
        return VERSION + "-" + REVISION

    @staticmethod
    def get_revision_hash():
        return REVISION

    @staticmethod
    def get_build_date():
        return BUILD_DATE

    @staticmethod
    def get_full_version():
        return Version.get_version() + ", built on " + BUILD_DATE
