"""Mirror of org.apache.zookeeper.common.StringUtils."""


class StringUtils:
    """Mirror of org.apache.zookeeper.common.StringUtils."""

    @staticmethod
    def split(value, separator):
        """Split, trim every item and drop the empty ones: "3, ,4," -> ["3", "4"]."""
        return [item.strip() for item in value.split(separator) if item.strip()]


def java_split(text, separator):
    """Java's text.split(separator) for a literal separator: the trailing empty strings dropped
    ("u:x:" gives two parts there, three in Python's)."""
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts
