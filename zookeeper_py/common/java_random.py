"""java.util.Random, bit for bit: session passwords must match what Java servers compute."""

_MULTIPLIER = 0x5DEECE66D
_ADDEND = 0xB
_MASK = (1 << 48) - 1


class JavaRandom:
    """The 48-bit linear congruential generator of java.util.Random."""

    __slots__ = ("seed",)

    def __init__(self, seed):
        self.seed = (seed ^ _MULTIPLIER) & _MASK

    def next(self, bits):
        self.seed = (self.seed * _MULTIPLIER + _ADDEND) & _MASK
        value = self.seed >> (48 - bits)
        # As a Java int: the top bit of `bits` is the sign when bits == 32.
        if value & (1 << (bits - 1)) and bits == 32:
            value -= 1 << 32
        return value

    def next_int(self, bound=None):
        if bound is None:
            return self.next(32)
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of 2
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_bytes(self, n):
        # next_int() per 4 bytes, low byte first; inlined, as every new session costs one call.
        out = bytearray()
        seed = self.seed
        while len(out) < n:
            seed = (seed * _MULTIPLIER + _ADDEND) & _MASK
            out += ((seed >> 16) & 0xFFFFFFFF).to_bytes(4, "little")
        self.seed = seed
        return bytes(out[:n])
