"""Mirror of org.apache.zookeeper.server.EphemeralType: what a node's ephemeralOwner encodes."""

import enum

from zookeeper_py.common import system_properties

CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000  # Long.MIN_VALUE
MAX_EXTENDED_SERVER_ID = 0xFE
_U64 = 0xFFFFFFFFFFFFFFFF
_EXTENDED_MASK = 0xFF00000000000000
_EXTENDED_BIT_TTL = 0x0000
_RESERVED_BITS_MASK = 0x00FFFF0000000000
_RESERVED_BITS_SHIFT = 40
_EXTENDED_FEATURE_VALUE_MASK = ~(_EXTENDED_MASK | _RESERVED_BITS_MASK) & _U64
EXTENDED_TYPES_ENABLED_PROPERTY = "zookeeper.extendedTypesEnabled"


def _signed(value):
    return value - (1 << 64) if value & (1 << 63) else value


class EphemeralType(enum.Enum):
    """Mirror of org.apache.zookeeper.server.EphemeralType."""

    VOID = 0
    NORMAL = 1
    CONTAINER = 2
    TTL = 3

    def max_value(self):
        return _EXTENDED_FEATURE_VALUE_MASK if self is EphemeralType.TTL else 0

    def to_ephemeral_owner(self, value):
        if self is not EphemeralType.TTL:
            return 0
        if value > _EXTENDED_FEATURE_VALUE_MASK or value <= 0:
            raise ValueError("ttl must be positive and cannot be larger than: %d" % _EXTENDED_FEATURE_VALUE_MASK)
        return _signed(_EXTENDED_MASK | _EXTENDED_BIT_TTL | value)

    def get_value(self, ephemeral_owner):
        if self is not EphemeralType.TTL:
            return 0
        return ephemeral_owner & _EXTENDED_FEATURE_VALUE_MASK

    @staticmethod
    def extended_ephemeral_types_enabled():
        return system_properties.get_boolean(EXTENDED_TYPES_ENABLED_PROPERTY)

    @staticmethod
    def get(ephemeral_owner):
        if ephemeral_owner == 0:
            return EphemeralType.VOID
        if EphemeralType.extended_ephemeral_types_enabled():
            owner = ephemeral_owner & _U64
            if owner & _EXTENDED_MASK == _EXTENDED_MASK:
                feature = (owner & _RESERVED_BITS_MASK) >> _RESERVED_BITS_SHIFT
                if feature != _EXTENDED_BIT_TTL:
                    raise ValueError("Invalid ephemeralOwner. [%x]" % owner)
                return EphemeralType.TTL
        if ephemeral_owner == CONTAINER_EPHEMERAL_OWNER:
            return EphemeralType.CONTAINER
        return EphemeralType.NORMAL

    @staticmethod
    def validate_server_id(server_id):
        if EphemeralType.extended_ephemeral_types_enabled() and server_id > MAX_EXTENDED_SERVER_ID:
            raise RuntimeError(
                "extendedTypesEnabled is true but Server ID is too large. Cannot be larger than %d"
                % MAX_EXTENDED_SERVER_ID
            )

    @staticmethod
    def validate_ttl(mode, ttl):
        if mode.is_ttl():
            EphemeralType.TTL.to_ephemeral_owner(ttl)
        elif ttl >= 0:
            raise ValueError("ttl not valid for mode: %s" % mode.name)
