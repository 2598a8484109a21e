"""JavaRandom against java.util.Random's definition (its javadoc's formulas, written plainly here)
and values a JVM prints; tests/server/test_session_ids.py checks passwords against a Java server."""

import random

from zookeeper_py.common.java_random import JavaRandom, next_seed

MASK = (1 << 48) - 1


def plain_next_seed(seed):
    return (seed * 0x5DEECE66D + 0xB) & MASK


def plain_next_bytes(seed, n):
    """Random.nextBytes as its javadoc gives it: each nextInt() gives up to 4 bytes, low byte first."""
    seed = (seed ^ 0x5DEECE66D) & MASK
    out = bytearray()
    while len(out) < n:
        seed = plain_next_seed(seed)
        rnd = seed >> 16
        for _ in range(min(n - len(out), 4)):
            out.append(rnd & 0xFF)
            rnd >>= 8
    return bytes(out)


def test_next_seed_is_the_48_bit_lcg_step_for_any_seed():
    rng = random.Random(7)
    seeds = [0, 1, MASK, MASK - 1, 1 << 24, (1 << 24) - 1, 1 << 47, 0x5DEECE66D]
    seeds += [rng.getrandbits(48) for _ in range(20000)]
    for seed in seeds:
        assert next_seed(seed) == plain_next_seed(seed), hex(seed)


def test_next_bytes_of_every_length_matches_the_definition():
    rng = random.Random(11)
    seeds = [0, -1, 1 << 63, -(1 << 63), 0x0100000000000001] + [rng.getrandbits(64) - (1 << 63) for _ in range(200)]
    for seed in seeds:
        for n in range(0, 21):
            assert JavaRandom(seed).next_bytes(n) == plain_next_bytes(seed, n), (seed, n)


def test_next_int_is_what_a_jvm_prints():
    # OpenJDK 17: new Random(42).nextInt() twice, new Random(0).nextInt(), new Random(42).nextInt(10)
    r = JavaRandom(42)
    assert [r.next_int(), r.next_int()] == [-1170105035, 234785527]
    assert JavaRandom(0).next_int() == -1155484576
    assert JavaRandom(42).next_int(10) == 0
    # byte[] b = new byte[7]; new Random(-5).nextBytes(b)
    assert JavaRandom(-5).next_bytes(7).hex() == "66e8f04443f409"
