"""Mirror of org.apache.zookeeper.common.KeyStoreFileType."""

import enum


class KeyStoreFileType(enum.Enum):
    """Mirror of org.apache.zookeeper.common.KeyStoreFileType: the file type of a key or trust store.

    The members and extensions are 3.6+'s (3.5.7 has no BCFKS). `.pfx` is accepted as
    PKCS12 too (Java recognises only `.p12`): it is the other common PKCS12 extension and
    cannot mean anything else. BCFKS is known, so that a config naming it is refused with a
    clear message (by X509Util.check_config), not read as a bad value.
    """

    JKS = ".jks"
    PEM = ".pem"
    PKCS12 = ".p12"
    BCFKS = ".bcfks"

    def get_property_value(self):
        return self.name

    def get_default_file_extension(self):
        return self.value

    @classmethod
    def from_property_value(cls, property_value):
        """None for None or ""; else the member named (any case); ValueError for another name."""
        if not property_value:
            return None
        try:
            return cls[property_value.upper()]
        except KeyError:
            raise ValueError("No enum constant KeyStoreFileType." + property_value.upper()) from None

    @classmethod
    def from_filename(cls, filename):
        """The type from the file's extension (case-sensitive, as Java's); ValueError if none fits."""
        i = filename.rfind(".")
        if i >= 0:
            extension = filename[i:]
            for store_file_type in cls:
                if store_file_type.value == extension:
                    return store_file_type
            if extension == ".pfx":
                return cls.PKCS12
        raise ValueError("Unable to auto-detect store file type from file name: " + filename)

    @classmethod
    def from_property_value_or_file_name(cls, property_value, filename):
        result = cls.from_property_value(property_value)
        if result is None:
            result = cls.from_filename(filename)
        return result
