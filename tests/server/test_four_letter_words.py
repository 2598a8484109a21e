"""Four-letter words: our server's answers have the shape of Java 3.8's on the same workload.

Both servers get the same workload from two kazoo clients (nodes, ephemerals, watches)
that stay connected through the module. Then each word is asked of both, and the answers
are compared line by line: exactly where nothing varies, else as "shapes" (numbers, times,
session ids and ports masked), else as sets where Java's own order is arbitrary
(connections and sessions hash by identity in Java).

Known, accepted differences (3.5.7 vs 3.8):
- srvr/stat "Latency min/avg/max" and mntr zk_avg_latency: 3.5.7 prints the average as an
  integer (0/0/0), 3.8 as a double (0/0.0/0). We follow 3.5.7.
- conf: 3.6+ adds clientPortListenBacklog. We follow 3.5.7.
- mntr: 3.6+ prints a hundred more metrics from its metrics system and in hash order;
  we print 3.5.7's list in its order. Every key we print exists in 3.8's output.
"""

import re
import socket
import struct

import pytest
from kazoo.client import KazooClient

from tests.support import java_zk, workload
from tests.support.net import four_letter_word, wait_until
from tests.support.servers import JavaServer, PythonServer

pytestmark = pytest.mark.timeout(180)

ALL_WORDS = "conf cons crst dump envi ruok srst srvr stat wchs wchc wchp mntr isro gtmk dirs".split()
NOT_A_NUMBER = object()


class Workload(workload.Workload):
    """The shared workload, read through four-letter words."""

    def word(self, w):
        return four_letter_word("127.0.0.1", self.server.client_port, w)

    def label_sessions(self, text):
        for sid, label in self.sessions.items():
            text = text.replace("0x%x" % sid, label)
        return text



@pytest.fixture(scope="module")
def loads(tmp_path_factory):
    java_zk.require_java_zookeeper()
    servers, loads = [], {}
    try:
        for kind in (PythonServer, JavaServer):
            s = kind(str(tmp_path_factory.mktemp(kind.kind + "-4lw")))
            servers.append(s)
            s.start()
            loads[kind.kind] = Workload(s)
        yield loads
    finally:
        for w in loads.values():
            w.close()
        for s in servers:
            s.stop()


def both(loads, word):
    return loads["python"].word(word), loads["java"].word(word)


def shape(text):
    """Mask what varies between runs and servers: versions, dates, numbers, hex ids, ports, paths."""
    text = re.sub(r"(Zookeeper version: |zk_version\t|zookeeper\.version=).*", r"\1<version>", text)
    text = re.sub(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}", "<date>", text)
    text = re.sub(r"/127\.0\.0\.1:\d+", "/127.0.0.1:<port>", text)
    text = re.sub(r"0x[0-9a-f]+", "0x<hex>", text)
    text = re.sub(r"\b\d+\.\d+\b", "<num>", text)
    return re.sub(r"\b\d+\b", "<num>", text)


def keys(text, sep):
    return [line.split(sep, 1)[0] for line in text.splitlines() if sep in line]


def test_exact_words(loads):
    for word, expected in (("ruok", "imok"), ("isro", "rw"), ("gtmk", "306")):
        ours, java = both(loads, word)
        assert java == expected, "Java's %s: %r" % (word, java)
        assert ours == java, "%s: ours %r, Java %r" % (word, ours, java)


def test_stmk_sets_the_trace_mask(loads):
    def stmk(server, mask):
        with socket.create_connection(("127.0.0.1", server.client_port), timeout=5) as s:
            s.sendall(b"stmk" + struct.pack(">q", mask))
            chunks = []
            while True:
                b = s.recv(4096)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks).decode()

    for kind in ("python", "java"):
        load = loads[kind]
        assert stmk(load.server, 0x1FF) == "511", kind
        assert load.word("gtmk") == "511", kind
        assert stmk(load.server, 306) == "306", kind
        assert load.word("gtmk") == "306", kind


def test_srvr_and_stat_shapes(loads):
    for word in ("srvr", "stat"):
        ours, java = both(loads, word)
        # 3.8 prints the average latency as a double; 3.5.7 (ours) as an integer
        java = re.sub(r"(Latency min/avg/max: \d+/)(\d+)\.\d+(/\d+)", r"\1\2\3", java)
        assert shape(ours) == shape(java), "%s shape:\nours:\n%s\njava:\n%s" % (word, ours, java)
    ours, java = both(loads, "srvr")
    for line in ("Mode: standalone", "Outstanding: 0"):
        assert line in ours.splitlines(), ours
    node_count = lambda t: re.search(r"^Node count: (\d+)$", t, re.M).group(1)  # noqa: E731
    assert node_count(ours) == node_count(java)
    zxid = lambda t: re.search(r"^Zxid: (0x[0-9a-f]+)$", t, re.M).group(1)  # noqa: E731
    assert zxid(ours) == zxid(java), "same workload, same zxid"


def test_srvr_parses_as_go_zookeepers_flw_srvr_does(loads):
    """go-zookeeper's FLWSrvr (github.com/samuel/go-zookeeper/zk/flw.go) reads srvr with these
    regular expressions and fails the whole call when one does not match; an underscore in our
    version's revision once made it fail (3.5.7's is a hex commit id)."""
    ours = loads["python"].word("srvr")
    version = re.search(r"^Zookeeper version: ([A-Za-z0-9\.\-]+), built on "
                        r"(\d\d/\d\d/\d\d\d\d \d\d:\d\d [A-Za-z0-9:\+\-]+)", ours, re.M)
    assert version is not None, ours
    assert version.group(1).startswith("3.5.7-"), ours
    assert re.search(r"^Latency min/avg/max: (\d+)/(\d+)/(\d+)", ours, re.M), ours
    assert re.search(r"^Received: (\d+).*\n^Sent: (\d+).*\n^Connections: (\d+).*\n^Outstanding: (\d+)",
                     ours, re.M), ours


def test_conf(loads):
    ours, java = both(loads, "conf")
    java_keys = [k for k in keys(java, "=") if k != "clientPortListenBacklog"]  # 3.6+
    assert keys(ours, "=") == java_keys, "conf keys:\nours %s\njava %s" % (keys(ours, "="), java_keys)
    o = dict(line.split("=", 1) for line in ours.splitlines() if "=" in line)
    j = dict(line.split("=", 1) for line in java.splitlines() if "=" in line)
    for k in ("secureClientPort", "tickTime", "maxClientCnxns", "minSessionTimeout", "maxSessionTimeout",
              "serverId"):
        assert o[k] == j[k], k
    assert o["clientPort"] == str(loads["python"].server.client_port)
    assert o["dataDir"] == loads["python"].server.data_dir + "/version-2"


def test_cons_and_crst(loads):
    line_re = re.compile(
        r"^ /127\.0\.0\.1:\d+\[[01]\]\(queued=\d+,recved=\d+,sent=\d+"
        r"(,sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=\d+(,lcxid=0x[0-9a-f]+)?,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,"
        r"minlat=\d+,avglat=\d+,maxlat=\d+)?\)$")
    for phase in ("before crst", "after crst"):
        ours, java = both(loads, "cons")
        for kind, text in (("ours", ours), ("java", java)):
            lines = text.split("\n")
            assert lines[-2:] == ["", ""], "%s cons %s must end with an empty line: %r" % (kind, phase, text)
            assert len(lines) == 3 + 2, "%s cons %s: the 2 clients and the cons connection: %r" % (kind, phase, text)
            for line in lines[:-2]:
                assert line_re.match(line), "%s cons %s line %r" % (kind, phase, line)
        # the connection asking is not selectable while its command runs: [0], and it has no session
        for kind, text in (("ours", ours), ("java", java)):
            no_session = [line for line in text.splitlines() if "sid=" not in line and line]
            assert len(no_session) == 1 and "[0](queued=0,recved=1,sent=0)" in no_session[0], (kind, text)
        if phase == "before crst":
            for load in loads.values():
                assert load.word("crst") == "Connection stats reset.\n"
    # after crst, a client that sent nothing since shows the reset values (no lcxid at all, as in Java)
    for kind, text in (("ours", ours), ("java", java)):
        idle = [line for line in text.splitlines() if "lop=NA" in line]
        for line in idle:
            assert "lcxid" not in line and ",lzxid=0xffffffffffffffff,lresp=0," in line, (kind, line)


def test_srst(loads):
    for load in loads.values():
        assert load.word("srst") == "Server stats reset.\n"
    ours, java = both(loads, "srvr")
    for kind, text in (("ours", ours), ("java", java)):
        # only the srvr request itself has been counted since the reset (plus any client ping)
        received = int(re.search(r"^Received: (\d+)$", text, re.M).group(1))
        assert received <= 3, (kind, text)


def test_dump(loads):
    for kind in ("python", "java"):
        text = loads[kind].label_sessions(loads[kind].word("dump"))
        lines = text.splitlines()
        assert lines[0] == "SessionTracker dump:", (kind, text)
        assert re.match(r"^Session Sets \(\d+\)/\(2\):$", lines[1]), (kind, text)
        i = lines.index("ephemeral nodes dump:")
        expiring = [line.strip() for line in lines[2:i] if line.startswith("\t")]
        assert sorted(expiring) == ["<A>", "<B>"], (kind, text)
        for line in lines[2:i]:
            assert line.startswith("\t") or re.match(r"^<num> expire at <date>:$", shape(line)), (kind, line)
        assert lines[i + 1] == "Sessions with Ephemerals (1):", (kind, text)
        assert lines[i + 2] == "<A>:", (kind, text)
        j = lines.index("Connections dump:")
        paths = [line.strip() for line in lines[i + 3:j]]
        assert sorted(paths) == sorted(["/e"] + ["/n%d" % k for k in range(0, 12, 3)]), (kind, text)
        assert re.match(r"^Connections Sets \(\d+\)/\(3\):$", lines[j + 1]), (kind, text)
        conns = [line for line in lines[j + 2:] if line.startswith("\t")]
        assert sorted(re.sub(r":\d+ ", ":<port> ", c) for c in conns) == sorted([
            "\tip: /127.0.0.1:<port> sessionId: <A>", "\tip: /127.0.0.1:<port> sessionId: <B>",
            "\tip: /127.0.0.1:<port> sessionId: 0x0"]), (kind, text)
    # ephemeral paths come in Java's HashSet order (these five paths fall in distinct buckets)
    ours, java = both(loads, "dump")
    eph = lambda t: t.split("ephemeral nodes dump:")[1].split("Connections dump:")[0]  # noqa: E731
    assert eph(loads["python"].label_sessions(ours)).splitlines() == \
        eph(loads["java"].label_sessions(java)).splitlines()


def test_envi_keys(loads):
    ours, java = both(loads, "envi")
    assert ours.splitlines()[0] == "Environment:"
    assert keys(ours, "=") == keys(java, "="), "envi keys:\nours %s\njava %s" % (keys(ours, "="), keys(java, "="))


def test_wchs(loads):
    ours, java = both(loads, "wchs")
    # as in 3.5.7, only data watches count (/n0../n11, /a twice, /nope, /n3)
    assert java == "2 connections watching 14 paths\nTotal watches:16\n", java
    assert ours == java


def test_wchc_and_wchp(loads):
    for word in ("wchc", "wchp"):
        ours = loads["python"].label_sessions(loads["python"].word(word))
        java = loads["java"].label_sessions(loads["java"].word(word))
        assert ours.endswith("\n\n") and java.endswith("\n\n"), (ours, java)

        def groups(text):
            out, head = {}, None
            for line in text.splitlines():
                if not line:
                    continue
                if line.startswith("\t"):
                    out.setdefault(head, []).append(line[1:])
                else:
                    head = line
                    out.setdefault(head, [])
            return out

        og, jg = groups(ours), groups(java)
        assert {k: sorted(v) for k, v in og.items()} == {k: sorted(v) for k, v in jg.items()}, \
            "%s:\nours\n%s\njava\n%s" % (word, ours, java)
        if word == "wchp":
            # paths come in Java's HashMap order (the sessions under a path hash by identity in Java)
            assert list(og) == list(jg), "wchp path order:\nours %s\njava %s" % (list(og), list(jg))


def test_mntr(loads):
    ours, java = both(loads, "mntr")
    o = dict(line.split("\t", 1) for line in ours.splitlines())
    j = dict(line.split("\t", 1) for line in java.splitlines())
    assert list(o)[:3] == ["zk_version", "zk_avg_latency", "zk_max_latency"], "3.5.7 order: %s" % list(o)
    missing = [k for k in o if k not in j]
    assert not missing, "keys Java 3.8 does not print: %s" % missing
    for k in ("zk_server_state", "zk_znode_count", "zk_watch_count", "zk_ephemerals_count",
              "zk_num_alive_connections", "zk_approximate_data_size", "zk_outstanding_requests",
              "zk_max_file_descriptor_count"):
        assert o[k] == j[k], "%s: ours %s, Java %s" % (k, o[k], j[k])
    for k, v in o.items():
        if k not in ("zk_version", "zk_server_state"):
            assert re.fullmatch(r"-?\d+", v), "%s=%r is not an integer" % (k, v)


def test_dirs(loads):
    ours, java = both(loads, "dirs")
    assert shape(ours) == shape(java) == "datadir_size: <num>\nlogdir_size: <num>\n", (ours, java)


def test_unknown_word_is_a_bad_length(loads):
    """4 bytes that are not a known word are a (huge) length prefix: the server just closes."""
    for load in loads.values():
        assert load.word("abcd") == ""
        assert load.word("ruok") == "imok"


def _start_default_whitelist(kind, base):
    server = kind(base)
    del server.cfg["4lw.commands.whitelist"]
    server.write_cfg()
    server.start()
    return server


def test_default_whitelist_is_srvr_only(tmp_path_factory):
    java_zk.require_java_zookeeper()
    servers = []
    try:
        for kind in (PythonServer, JavaServer):
            servers.append(_start_default_whitelist(kind, str(tmp_path_factory.mktemp(kind.kind + "-wl"))))
        for server in servers:
            for word in ALL_WORDS:
                text = four_letter_word("127.0.0.1", server.client_port, word)
                if word == "srvr":
                    assert "Mode: standalone" in text, (server.kind, text)
                else:
                    assert text == "%s is not executed because it is not in the whitelist.\n" % word, \
                        (server.kind, word, text)
        # the server still serves clients after all that
        for server in servers:
            zk = KazooClient(hosts=server.address)
            zk.start(timeout=15)
            try:
                zk.create("/after", b"ok")
                assert wait_until(lambda: zk.exists("/after"), timeout=5)
            finally:
                zk.stop()
                zk.close()
    finally:
        for s in servers:
            s.stop()
