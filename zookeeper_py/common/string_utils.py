"""Mirror of org.apache.zookeeper.common.StringUtils."""


class StringUtils:
    """Mirror of org.apache.zookeeper.common.StringUtils."""

    @staticmethod
    def split(value, separator):
        """Split, trim every item and drop the empty ones: "3, ,4," -> ["3", "4"]."""
        return [item.strip() for item in value.split(separator) if item.strip()]
