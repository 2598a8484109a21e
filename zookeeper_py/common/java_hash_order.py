"""The iteration order of Java's java.util.HashMap and HashSet.

Java's server prints maps and sets (a snapshot's children and sessions, the
ephemerals and watches of the four-letter words and admin commands, a session's
auth ids) in whatever order their hash tables iterate. To print the same lines,
these functions compute that order from Java's hashCode of each key.
"""

_U64 = 0xFFFFFFFFFFFFFFFF


def string_hash_code(s):
    """java.lang.String.hashCode over UTF-16 code units."""
    h = 0
    if s.isascii():  # one code unit a character
        for c in s:
            h = (31 * h + ord(c)) & 0xFFFFFFFF
        return h
    units = s.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h


def long_hash_code(v):
    """java.lang.Long.hashCode."""
    v &= _U64
    return (v ^ (v >> 32)) & 0xFFFFFFFF


def id_hash_code(id_):
    """The jute-generated Id.hashCode: 37 * (37 * 17 + scheme.hashCode()) + id.hashCode()."""
    h = (37 * 17 + string_hash_code(id_.scheme)) & 0xFFFFFFFF
    return (37 * h + string_hash_code(id_.id)) & 0xFFFFFFFF


_SORT_MAX = 4096  # up to this many keys, one sort() (a few ms at most)
_RADIX_BITS = 11


def java_hash_order(keys, hash_code, initial_capacity=16):
    """The iteration order of a java.util.HashMap/HashSet filled with `keys` in this order.

    The table starts at initial_capacity and doubles whenever the size passes 3/4 of it;
    iteration goes bucket by bucket, and within a bucket in insertion order (a resize
    keeps that order). Bins that Java turns into trees (8+ colliding keys) are not modelled.
    """
    keys = list(keys)
    cap = 1
    while cap < initial_capacity:
        cap <<= 1
    while len(keys) > int(cap * 0.75):
        cap <<= 1

    mask = cap - 1
    buckets = []
    for k in keys:
        h = hash_code(k)
        buckets.append((h ^ (h >> 16)) & mask)
    if len(keys) <= _SORT_MAX:
        return [keys[i] for i in sorted(range(len(keys)), key=buckets.__getitem__)]
    # Many keys (wchp over 200,000 watches): a radix sort, in Python loops, which let the other
    # threads run; one sort() call holds them all (0.2 s on PyPy, which a client waited).
    order = range(len(keys))
    bits = cap.bit_length() - 1
    for shift in range(0, bits, _RADIX_BITS):
        digit = (1 << _RADIX_BITS) - 1
        bins = [[] for _ in range(1 << _RADIX_BITS)]
        for i in order:
            bins[(buckets[i] >> shift) & digit].append(i)
        order = [i for b in bins for i in b]
    return [keys[i] for i in order]
