"""zookeeper_py.common.java_hash_order against what Java 17 printed for the same keys
(java.lang.String/Long.hashCode, HashSet/HashMap iteration); the Java lines are in the comments,
so jshell can make the numbers again."""

from zookeeper_py.common.java_hash_order import java_hash_order, long_hash_code, string_hash_code

U32 = 0xFFFFFFFF


def test_hash_codes():
    # System.out.println("abc".hashCode() + " " + "\u00e9\ud83d\ude00".hashCode() + " " + Long.hashCode(-1L)
    #     + " " + Long.hashCode(0x123456789abcdefL) + " " + Long.hashCode(Long.MIN_VALUE));
    assert string_hash_code("abc") == 96354
    assert string_hash_code("\u00e9\U0001F600") == 1996812  # UTF-16 code units: a surrogate pair
    assert long_hash_code(-1) == 0
    assert long_hash_code(0x123456789abcdef) == -2004318072 & U32
    assert long_hash_code(-(1 << 63)) == -2147483648 & U32


def test_hash_set_of_strings():
    # Set<String> s = new HashSet<>(); for (x : keys) s.add(x); String.join(",", s)
    keys = ["banana", "apple", "cherry", "zookeeper", "quota", "a", "b", "Aa", "BB"]
    # "Aa" and "BB" have the same hash: one bucket, in insertion order.
    assert java_hash_order(keys, string_hash_code) == \
        "banana,Aa,BB,apple,cherry,a,b,zookeeper,quota".split(",")


def test_hash_set_after_resize():
    # 20 keys: the table grew from 16 to 32 buckets.
    keys = ["node%d" % i for i in range(20)]
    assert java_hash_order(keys, string_hash_code) == (
        "node10,node11,node12,node13,node14,node15,node16,node17,node18,node19,"
        "node0,node1,node4,node5,node2,node3,node8,node9,node6,node7").split(",")


def test_hash_set_resizes_past_three_quarters():
    # 13 keys: past 16 * 0.75, so 32 buckets already.
    keys = ["k%d" % (i * 7) for i in range(13)]
    assert java_hash_order(keys, string_hash_code) == "k0,k70,k84,k42,k63,k77,k21,k7,k35,k56,k14,k28,k49".split(",")


def test_hash_map_of_longs():
    # Map<Long, Integer> m = new HashMap<>(); for (id : ids) m.put(id, 1); m.keySet()
    ids = [0x1000000a0b0001, 0x1000000a0b0002, -5, 72057594037927936, 3, 0x7fffffffffffffff]
    assert java_hash_order(ids, long_hash_code) == [
        72057594037927936, 9223372036854775807, 3, -5, 4503599795863554, 4503599795863553]
