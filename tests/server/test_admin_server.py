"""AdminServer (HTTP, JSON): our server against Java 3.8's Jetty AdminServer on the same workload.

Debian's zookeeper package puts Jetty and Jackson on the jar's class path but not the
servlet API, so its AdminServer is silently replaced by the dummy
("Unable to load jetty ... NoClassDefFoundError: javax/servlet/Servlet"). The tests add
/usr/share/java/servlet-api.jar (Debian's libservlet-api-java) to the class path; then
Java's AdminServer runs and each command is compared with ours: the key order, the keys
(ours are 3.5.7's; the keys 3.6-3.8 added are listed below), the values that do not vary,
and the exact text where the whole answer is fixed. Without the jar the comparison is
skipped and ours is checked against the key sets of 3.5.7's Commands.java alone.

Known, accepted differences:
- 3.5.7 answers every command with "not currently serving" while the server is down; 3.8
  exempts environment, get_trace_mask, set_trace_mask, monitor, system_properties, zabstate.
- 3.8 has hash, observers, observer_connection_stat_reset and zabstate; we answer
  "Unknown command" (no txn digests, observer masters or Zab phase in a 3.5.7 server).
- system_properties lists this process's property table (-D flags and zoo.cfg's
  zookeeper.* keys), not a JVM's java.*, os.*, user.* properties.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.support import java_zk, workload
from tests.support.ensemble import Ensemble
from tests.support.net import free_port, free_ports, process_thread_count, wait_until
from tests.support.servers import REPO, JavaServer, PythonServer
from zookeeper_py.common.jetty_http_server import MAX_THREADS

pytestmark = pytest.mark.timeout(120)

SERVLET_JAR = "/usr/share/java/servlet-api.jar"

# Commands.java of 3.5.7: primary name first, then the aliases.
NAMES_357 = [
    ["connection_stat_reset", "crst"], ["configuration", "conf", "config"], ["connections", "cons"], ["dirs"],
    ["dump"], ["environment", "env", "envi"], ["get_trace_mask", "gtmk"], ["is_read_only", "isro"],
    ["monitor", "mntr"], ["ruok"], ["set_trace_mask", "stmk"], ["server_stats", "srvr"], ["stats", "stat"],
    ["stat_reset", "srst"], ["watches", "wchc"], ["watches_by_path", "wchp"], ["watch_summary", "wchs"],
]
# The 3.6-3.8 commands we answer too.
NAMES_LATER = [["initial_configuration", "icfg"], ["last_snapshot", "lsnp"], ["leader", "lead"],
               ["system_properties", "sysp"], ["voting_view"]]
# zookeeper_py's own.
NAMES_OURS = [["chain"], ["queues"], ["threads"], ["trace"]]
NAMES_38_ONLY = ["hash", "observers", "obsr", "observer_connection_stat_reset", "orst", "zabstate"]

# The keys 3.5.7's commands answer with on a standalone server (from Commands.java, ServerStats,
# BufferStats, ZooKeeperServerConf, ServerCnxn.getConnectionInfo), "command" and "error" last.
CNXN_BRIEF = ["remote_socket_address", "interest_ops", "outstanding_requests", "packets_received", "packets_sent"]
CNXN_FULL = CNXN_BRIEF + ["session_id", "last_operation", "established", "session_timeout", "last_cxid",
                          "last_zxid", "last_response_time", "last_latency", "min_latency", "avg_latency",
                          "max_latency"]
SERVER_STATS_357 = ["packets_sent", "packets_received", "max_latency", "min_latency", "fsync_threshold_exceed_count",
                    "client_response_stats", "outstanding_requests", "last_processed_zxid", "data_dir_size",
                    "log_dir_size", "avg_latency", "num_alive_client_connections", "server_state", "provider_null"]
BUFFER_STATS = ["last_buffer_size", "min_buffer_size", "max_buffer_size"]
ENV_KEYS = ["zookeeper.version", "host.name", "java.version", "java.vendor", "java.home", "java.class.path",
            "java.library.path", "java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version", "user.name",
            "user.home", "user.dir", "os.memory.free", "os.memory.max", "os.memory.total"]
END = ["command", "error"]
KEYS_357 = {
    "connection_stat_reset": END,
    "configuration": ["client_port", "data_dir", "data_log_dir", "tick_time", "max_client_cnxns",
                      "min_session_timeout", "max_session_timeout", "server_id"] + END,
    "connections": ["connections", "secure_connections"] + END,
    "dirs": ["datadir_size", "logdir_size"] + END,
    "dump": ["expiry_time_to_session_ids", "session_id_to_ephemeral_paths"] + END,
    "environment": ENV_KEYS + END,
    "get_trace_mask": ["tracemask"] + END,
    "is_read_only": ["read_only"] + END,
    "monitor": ["version", "avg_latency", "max_latency", "min_latency", "packets_received", "packets_sent",
                "num_alive_connections", "outstanding_requests", "server_state", "znode_count", "watch_count",
                "ephemerals_count", "approximate_data_size", "open_file_descriptor_count",
                "max_file_descriptor_count", "last_client_response_size", "max_client_response_size",
                "min_client_response_size"] + END,
    "ruok": END,
    "set_trace_mask": ["error", "command"],  # no traceMask given
    "server_stats": ["version", "read_only", "server_stats", "client_response", "node_count"] + END,
    "stats": ["version", "read_only", "server_stats", "client_response", "node_count", "connections",
              "secure_connections"] + END,
    "stat_reset": END,
    "watches": ["session_id_to_watched_paths"] + END,
    "watches_by_path": ["path_to_session_ids"] + END,
    "watch_summary": ["num_connections", "num_paths", "num_total_watches"] + END,
    "initial_configuration": ["initial_configuration"] + END,
    "last_snapshot": ["zxid", "timestamp"] + END,
    "leader": ["error", "command"],  # standalone: "server is not initialized"
    "voting_view": ["current_config"] + END,
}
# Keys 3.6-3.8 added to commands 3.5.7 already had (Java's answer may have these besides ours).
ADDED_BY_38 = {
    "configuration": {"client_port_listen_backlog"},
    "server_stats": {"uptime", "auth_failed_count", "non_mtlsremote_conn_count", "non_mtlslocal_conn_count"},
    "monitor": None,  # 3.8's metrics system adds a few hundred keys
}
# Nested objects with fixed keys (Java beans); the other nested maps are keyed by data.
BEANS = {"server_stats", "client_response", "client_response_stats", "proposal_stats"}
# 3.8 prints these keys of 3.5.7's in another order (metrics, getters of another class).
ORDER_DIFFERS = {"monitor", "server_stats"}


# -- servers and HTTP ------------------------------------------------------------------------


def java_admin_reason():
    return java_zk.missing_reason() or (None if os.path.exists(SERVLET_JAR) else
                                        "%s missing: Java's AdminServer cannot load Jetty" % SERVLET_JAR)


def java_admin_flags(server):
    """A second -cp (the last one wins) that adds the servlet API to the Java server's class path."""
    return ["-cp", java_zk.classpath(server.base_dir) + ":" + SERVLET_JAR]


def ensemble_with_admin_ports(base_dir, kinds):
    """An Ensemble whose members also get AdminServers, on ports distinct from the ensemble's."""
    ens = Ensemble(base_dir, kinds=kinds)
    taken = set(ens.client_ports.values()) | set(ens.quorum_ports.values()) | set(ens.election_ports.values())
    ports = free_ports(len(kinds))
    while taken & set(ports):
        ports = free_ports(len(kinds))
    ports = dict(zip(sorted(ens.servers), ports))
    for sid, server in ens.servers.items():
        server.cfg.update(admin_cfg(ports[sid]))
        server.write_cfg()
    return ens, ports


def admin_cfg(port, **extra):
    cfg = {"admin.enableServer": "true", "admin.serverAddress": "127.0.0.1", "admin.serverPort": str(port)}
    cfg.update(extra)
    return cfg


def http(port, path, method="GET"):
    """(status, headers, body) of one request, as curl would show them."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def command(port, name):
    status, headers, body = http(port, "/commands/" + name)
    assert status == 200 and headers["Content-Type"] == "application/json", (name, status, body)
    return body


def pairs(body):
    """The JSON object as (key, value) pairs, in order."""
    return json.loads(body, object_pairs_hook=lambda p: p)


def as_dict(body):
    return json.loads(body)


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Admin(workload.Workload):
    """A started server with its AdminServer, after the shared workload."""

    def __init__(self, server, port):
        super().__init__(server)
        self.port = port
        self.labels = self.sessions

    def get(self, name):
        return command(self.port, name)

    def label(self, sid):
        return self.labels.get(int(sid), sid)



@pytest.fixture(scope="module")
def admins(tmp_path_factory):
    """{"python": Admin, "java": Admin or None}: standalone servers with AdminServers on free ports."""
    started, admins = [], {"java": None}
    try:
        kinds = [PythonServer] + ([JavaServer] if java_admin_reason() is None else [])
        for kind in kinds:
            client_port, port = free_ports(2)
            server = kind(str(tmp_path_factory.mktemp(kind.kind + "-admin")), client_port=client_port,
                          extra_cfg=admin_cfg(port))
            if kind is JavaServer:
                server.flags += java_admin_flags(server)
            started.append(server)
            server.start()
            wait_until(lambda: listening(port), timeout=10, message="%s AdminServer" % kind.kind)
            admins[kind.kind] = Admin(server, port)
        yield admins
    finally:
        for admin in admins.values():
            if admin is not None:
                admin.close()
        for server in started:
            server.stop()


def java_or_skip(admins):
    if admins["java"] is None:
        pytest.skip(java_admin_reason())
    return admins["java"]


# -- every command: keys, order, formats ------------------------------------------------------


def _check_keys(where, ours, java):
    """Our keys (in order) against Java 3.8's, allowing the keys 3.8 added."""
    ours_keys = [k for k, _ in ours]
    java_keys = [k for k, _ in java]
    assert set(ours_keys) <= set(java_keys), "%s: keys Java lacks: %s" % (where, set(ours_keys) - set(java_keys))
    name = where.split(".")[-1]
    added = ADDED_BY_38.get(name, set())
    if added is not None:
        assert set(java_keys) - set(ours_keys) <= added, "%s: Java has more: %s" % (
            where, set(java_keys) - set(ours_keys) - added)
    if name not in ORDER_DIFFERS:
        assert [k for k in java_keys if k in ours_keys] == ours_keys, "%s: order %s vs Java %s" % (
            where, ours_keys, java_keys)
    for k, v in ours:
        if k in BEANS:
            _check_keys(where + "." + k, v, dict(java)[k])


def _type(v):
    if isinstance(v, list) and v and isinstance(v[0], tuple):
        return "object"
    return {bool: "bool", int: "number", float: "number", str: "string", list: "array",
            type(None): "null"}[type(v)]


@pytest.mark.parametrize("names", NAMES_357 + NAMES_LATER, ids=[n[0] for n in NAMES_357 + NAMES_LATER])
def test_command_keys_and_types(admins, names):
    primary = names[0]
    ours = pairs(admins["python"].get(primary))
    if primary == "system_properties":
        keys = [k for k, _ in ours]
        assert keys[-2:] == END and keys[:-2] == sorted(keys[:-2]) and "zookeeper.admin.serverPort" in keys
        return
    assert [k for k, _ in ours] == KEYS_357[primary], "%s: %s" % (primary, ours)
    assert dict(ours)["command"] == primary
    if admins["java"] is None:
        return
    java = pairs(admins["java"].get(primary))
    _check_keys(primary, ours, java)
    for k, v in ours:
        jv = dict(java)[k]
        # 3.8 counts the average latency as a double
        if k == "avg_latency" and isinstance(jv, float):
            continue
        assert _type(v) == _type(jv), "%s.%s: ours %r, Java %r" % (primary, k, v, jv)


def test_aliases_answer_with_the_primary_name(admins):
    for names in NAMES_357 + NAMES_LATER:
        for name in names:
            response = as_dict(admins["python"].get(name))
            assert response["command"] == names[0], name
            if admins["java"] is not None:
                assert as_dict(admins["java"].get(name))["command"] == names[0], name


def test_fixed_answers_are_identical_text(admins):
    java = java_or_skip(admins)
    ours = admins["python"]
    for path in ("ruok", "isro", "gtmk", "wchs", "srst", "crst", "lead", "voting_view", "nope", "ruok/",
                 "wchc/extra", "stmk", "stmk?traceMask=abc", "stmk?traceMask=0x10", "stmk?traceMask=",
                 "stmk?traceMask=%2B306", "stmk?traceMask=12&traceMask=13", "gtmk", "stmk?traceMask=306"):
        assert ours.get(path) == java.get(path), path
    assert ours.get("gtmk").endswith('"tracemask" : 306,\n  "command" : "get_trace_mask",\n  "error" : null\n}')


def test_values_on_the_same_workload(admins):
    java = java_or_skip(admins)
    ours = admins["python"]
    for name in ("monitor", "server_stats"):
        o, j = as_dict(ours.get(name)), as_dict(java.get(name))
        if name == "monitor":
            for key in ("server_state", "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
                        "num_alive_connections", "outstanding_requests"):
                assert o[key] == j[key], (key, o[key], j[key])
        else:
            assert (o["read_only"], o["node_count"]) == (j["read_only"], j["node_count"])
            for key in ("server_state", "last_processed_zxid", "num_alive_client_connections", "provider_null"):
                assert o["server_stats"][key] == j["server_stats"][key], key
    o, j = as_dict(ours.get("conf")), as_dict(java.get("conf"))
    for key in ("tick_time", "max_client_cnxns", "min_session_timeout", "max_session_timeout", "server_id"):
        assert o[key] == j[key], key
    assert o["client_port"] == ours.server.client_port
    assert o["data_dir"] == os.path.join(ours.server.data_dir, "version-2")
    assert as_dict(ours.get("envi"))["zookeeper.version"].startswith("3.5.7")
    o, j = as_dict(ours.get("icfg")), as_dict(java.get("icfg"))
    for admin, answer in ((ours, o), (java, j)):
        with open(admin.server.cfg_path) as f:
            assert answer["initial_configuration"] == f.read()
    o, j = as_dict(ours.get("lsnp")), as_dict(java.get("lsnp"))
    assert o["zxid"] == j["zxid"] == "0"
    assert abs(o["timestamp"] - time.time()) < 600
    o, j = as_dict(ours.get("sysp")), as_dict(java.get("sysp"))
    for key in ("zookeeper.admin.serverPort", "zookeeper.admin.serverAddress", "zookeeper.4lw.commands.whitelist"):
        assert key in o and key in j, key
    assert o["zookeeper.admin.serverPort"] == str(ours.port)
    assert list(o) == sorted(o, key=lambda k: (k in END, k))
    o, j = pairs(ours.get("stmk?traceMask=306")), pairs(java.get("stmk?traceMask=306"))
    assert o == j == [("tracemask", 306), ("command", "set_trace_mask"), ("error", None)]


def test_sessions_watches_and_ephemerals(admins):
    java = java_or_skip(admins)
    ours = admins["python"]
    seen = {}
    for kind, admin in (("python", ours), ("java", java)):
        wchc = as_dict(admin.get("wchc"))["session_id_to_watched_paths"]
        wchp = as_dict(admin.get("wchp"))["path_to_session_ids"]
        dump = as_dict(admin.get("dump"))
        cons = as_dict(admin.get("cons"))["connections"]
        stat = as_dict(admin.get("stat"))["connections"]
        seen[kind] = {
            # Java's HashSet order; paths that share a bucket come in watch order there, which a
            # Python set does not keep, so only wchp's path order (a dict here) is compared.
            "wchc": {admin.label(sid): sorted(paths) for sid, paths in wchc.items()},
            "wchp": [(path, sorted(admin.label(s) for s in sids)) for path, sids in wchp.items()],
            "ephemerals": {admin.label(sid): sorted(paths)
                           for sid, paths in dump["session_id_to_ephemeral_paths"].items()},
            "expiring": sorted(admin.label(s) for ids in dump["expiry_time_to_session_ids"].values() for s in ids),
            "cons": sorted(admin.label(c["session_id"]) for c in cons),
            "cons_keys": [list(c) for c in cons],
            "stat_keys": [list(c) for c in stat],
            "addresses": all(re.match(r"^127\.0\.0\.1:\d+$", c["remote_socket_address"]) for c in cons + stat),
        }
    assert seen["python"] == seen["java"]
    assert seen["python"]["cons"] == ["<A>", "<B>"]
    assert seen["python"]["cons_keys"] == [CNXN_FULL, CNXN_FULL]
    assert seen["python"]["stat_keys"] == [CNXN_BRIEF, CNXN_BRIEF]
    for c in as_dict(ours.get("cons"))["connections"]:
        assert abs(c["established"] / 1000.0 - time.time()) < 600  # a java.util.Date: ms since the epoch


def _skeleton(body):
    """The JSON text with every scalar masked: Jackson's layout of nesting, arrays and separators."""
    return re.sub(r'(?<=: )("(?:[^"\\]|\\.)*"|-?[\d.E-]+|true|false|null)|(?<=[\[,] )-?\d+(?=[ ,])', "V", body)


def test_pretty_printer_layout(admins):
    java = java_or_skip(admins)
    ours = admins["python"]
    for name in ("cons", "wchp", "stat", "conf", "envi", "dirs"):
        o, j = _skeleton(ours.get(name)), _skeleton(java.get(name))
        if name == "conf":
            j = j.replace('  "client_port_listen_backlog" : V,\n', "")
        if name == "stat":
            # 3.8's server_stats holds other getters in another order
            o, j = (re.sub(r'"server_stats" : \{[^}]*\{[^}]*\}[^}]*\}', "<stats>", t) for t in (o, j))
        assert o == j, name
    assert "[ {\n    " in ours.get("cons") and "  } ],\n" in ours.get("cons")
    assert '"secure_connections" : [ ],' in ours.get("cons")
    assert '"expiry_time_to_session_ids" : {\n    "' in ours.get("dump")


# -- HTTP ---------------------------------------------------------------------------------------


def test_command_links(admins):
    status, headers, ours = http(admins["python"].port, "/commands")
    assert status == 200 and headers["Content-Type"] is None
    primaries = sorted(n[0] for n in NAMES_357 + NAMES_LATER + NAMES_OURS)
    assert ours == "".join('<a href="/commands/%s">%s</a>\n<br/>\n' % (n, n) for n in primaries)
    assert http(admins["python"].port, "/commands/")[2] == ours
    if admins["java"] is not None:
        java = http(admins["java"].port, "/commands")[2]
        lines = java.split("\n<br/>\n")
        java_ours = "".join(line + "\n<br/>\n" for line in lines if any('>%s<' % n in line for n in primaries))
        for n in NAMES_OURS:
            ours = ours.replace('<a href="/commands/%s">%s</a>\n<br/>\n' % (n[0], n[0]), "")
        assert java_ours == ours


def test_http_framing_as_jetty(admins):
    port = admins["python"].port
    status, headers, body = http(port, "/commands/ruok")
    assert headers["Server"].startswith("Jetty(") and headers["Content-Length"] == str(len(body.encode()))
    assert not body.endswith("\n")
    assert http(port, "/other")[0] == 404
    assert http(port, "/commands/ruok", method="POST")[0] == 405
    assert http(port, "/commands/ruok", method="TRACE")[0] == 403
    status, headers, body = http(port, "/commands/ruok", method="HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 0
    if admins["java"] is not None:
        jport = admins["java"].port
        for path, method in (("/other", "GET"), ("/commands/ruok", "POST"), ("/commands/ruok", "TRACE")):
            assert http(jport, path, method)[0] == http(port, path, method)[0], (path, method)
    # keep-alive: two requests on one connection
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /commands/ruok HTTP/1.1\r\nHost: x\r\n\r\nGET /commands/isro HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b'"error" : null\n}') < 2:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
    assert b'"command" : "ruok"' in data and b'"command" : "is_read_only"' in data


# -- enable, disable, bind failures ---------------------------------------------------------------


def test_disabled_admin_server_opens_no_port(tmp_path):
    client_port, port = free_ports(2)
    server = PythonServer(str(tmp_path), client_port=client_port,
                          extra_cfg=admin_cfg(port, **{"admin.enableServer": "false"}))
    try:
        server.start()
        assert not listening(port)
        assert "Started AdminServer" not in server.log_text()
    finally:
        server.stop()


def _hold_port(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    return s


def _run_until_exit(server, timeout=60):
    server.start(wait=False)
    try:
        return server.proc.wait(timeout)
    finally:
        server.stop(kill=True)


def test_busy_port_stops_the_standalone_server_with_exit_4(tmp_path):
    port = free_port()
    kinds = [PythonServer] + ([JavaServer] if java_admin_reason() is None else [])
    with _hold_port(port):
        for kind in kinds:
            server = kind(str(tmp_path / kind.kind), extra_cfg=admin_cfg(port))  # its client port: not `port`
            if kind is JavaServer:
                server.flags += java_admin_flags(server)
            assert _run_until_exit(server) == 4, server.output_tail()
            out = server.output_tail(20000)
            assert "Unable to start AdminServer, exiting abnormally" in out, (kind.kind, out)
            assert ("Problem starting AdminServer on address 127.0.0.1, port %d and command URL /commands" % port
                    in out), (kind.kind, out)


def test_a_command_url_without_a_leading_slash_stops_the_server_with_exit_4(tmp_path):
    """Jetty refuses the mapping and the server exits 4; ours served every path as 404."""
    kinds = [PythonServer] + ([JavaServer] if java_admin_reason() is None else [])
    for kind in kinds:
        port = free_port()
        server = kind(str(tmp_path / kind.kind), extra_cfg=admin_cfg(port, **{"admin.commandURL": "cmds"}))
        if kind is JavaServer:
            server.flags += java_admin_flags(server)
        assert _run_until_exit(server) == 4, server.output_tail()
        out = server.output_tail(20000)
        assert "Unable to start AdminServer, exiting abnormally" in out, (kind.kind, out)
        if kind is PythonServer:
            assert "command URL cmds: the command URL must start with /" in out, out


def test_quorum_peer_only_warns_and_serves_the_roles(tmp_path):
    """A peer whose admin port is taken warns and serves; the others' AdminServers follow the roles."""
    ens, ports = ensemble_with_admin_ports(str(tmp_path), ["python", "python", "python"])
    with _hold_port(ports[1]):
        try:
            ens.start()
            leader = ens.wait_for_quorum()
            log = ens.log(1)
            assert "Problem starting AdminServer" in log
            assert ("org.apache.zookeeper.server.admin.AdminServer$AdminServerException: Problem starting AdminServer"
                    " on address 127.0.0.1, port %d and command URL /commands" % ports[1]) in log
            for sid in (2, 3):
                lead = as_dict(command(ports[sid], "lead"))
                assert lead == {"is_leader": sid == leader, "leader_id": leader, "leader_ip": "127.0.0.1",
                                "command": "leader", "error": None}
                view = as_dict(command(ports[sid], "voting_view"))["current_config"]
                assert list(view) == ["1", "2", "3"]
                assert view[str(sid)] == {
                    "server_addresses": ["127.0.0.1:%d" % ens.quorum_ports[sid]],
                    "election_addresses": ["127.0.0.1:%d" % ens.election_ports[sid]],
                    "client_address": "", "learner_type": "participant"}
                mntr = as_dict(command(ports[sid], "mntr"))
                assert mntr["server_state"] == ("leader" if sid == leader else "follower")
                assert ("followers" in mntr) == (sid == leader)
                if sid == leader:
                    assert (mntr["followers"], mntr["synced_followers"]) == (2, 2)
                    assert (mntr["learners"], mntr["synced_observers"], mntr["synced_non_voting_followers"]) == (
                        2, 0, 0)
                assert ("proposal_stats" in as_dict(command(ports[sid], "srvr"))) == (sid == leader)
                assert as_dict(command(ports[sid], "conf"))["server_id"] == sid
            # Without a quorum the survivor is LOOKING: its AdminServer has no server to ask.
            survivor = [sid for sid in (2, 3) if sid != leader][0]
            for sid in (1, 2, 3):
                if sid != survivor:
                    ens.kill(sid)
            wait_until(lambda: as_dict(command(ports[survivor], "ruok"))["error"] is not None, timeout=20,
                       message="survivor not serving")
            assert as_dict(command(ports[survivor], "sysp"))["error"] is None  # needs no server (3.6+)
        finally:
            ens.stop()


def test_mixed_ensemble_against_java(tmp_path):
    """lead, voting_view and srvr from a Java 3.8 member and ours in one ensemble."""
    if java_admin_reason() is not None:
        pytest.skip(java_admin_reason())
    ens, ports = ensemble_with_admin_ports(str(tmp_path), ["python", "python", "java"])
    ens.servers[3].flags += java_admin_flags(ens.servers[3])
    try:
        ens.start()
        leader = ens.wait_for_quorum()
        answers = {sid: (as_dict(command(ports[sid], "lead")), as_dict(command(ports[sid], "voting_view")))
                   for sid in (1, 2, 3)}
        java_lead, java_view = answers[3]
        assert java_lead["leader_id"] == leader
        # 3.6+ gives its own server line the clientPort as client address; 3.5.7 leaves it unset.
        assert java_view["current_config"]["3"]["client_address"] == "0.0.0.0:%d" % ens.client_ports[3]
        java_view["current_config"]["3"]["client_address"] = ""
        for sid in (1, 2):
            lead, view = answers[sid]
            assert lead["leader_id"] == java_lead["leader_id"] and lead["leader_ip"] == java_lead["leader_ip"]
            assert lead["is_leader"] == (sid == leader)
            assert view == java_view
            ours, java = pairs(command(ports[sid], "srvr")), pairs(command(ports[3], "srvr"))
            if sid != leader and 3 != leader:
                assert [k for k, _ in ours] == [k for k, _ in java]
    finally:
        ens.stop()


def test_default_conf_keeps_javas_defaults():
    with open(os.path.join(REPO, "conf", "zoo.cfg")) as f:
        text = f.read()
    assert "admin.enableServer=false" not in text
    from zookeeper_py.server.admin.jetty_admin_server import JettyAdminServer

    assert (JettyAdminServer.DEFAULT_ADDRESS, JettyAdminServer.DEFAULT_PORT, JettyAdminServer.DEFAULT_COMMAND_URL,
            JettyAdminServer.DEFAULT_IDLE_TIMEOUT) == ("0.0.0.0", 8080, "/commands", 30000)


def test_command_url_and_idle_timeout_from_system_properties(tmp_path):
    client_port, port = free_ports(2)
    server = PythonServer(str(tmp_path), client_port=client_port,
                          extra_cfg=admin_cfg(port, **{"admin.commandURL": "/zk"}),
                          flags=["-Dzookeeper.admin.idleTimeout=500"])
    try:
        server.start()
        status, _, body = http(port, "/zk/ruok")
        assert status == 200 and as_dict(body)["command"] == "ruok"
        assert http(port, "/commands/ruok")[0] == 404
        assert '<a href="/zk/ruok">ruok</a>' in http(port, "/zk")[2]
        # an idle connection is closed after idleTimeout
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            started = time.time()
            assert s.recv(1) == b""
            assert time.time() - started < 5
    finally:
        server.stop()


def test_idle_and_half_sent_connections_hold_no_thread_and_keep_no_one_out(tmp_path):
    """Connections that say nothing, send half a request and wait, or keep a finished request's
    connection alive (each until idleTimeout, 30 s) hold no thread: a client opening more of them
    than the pool has threads keeps nobody else out. (Until they held a thread each, 200 of them
    shut the AdminServer for 30 s.)"""
    client_port, port = free_ports(2)
    server = PythonServer(str(tmp_path), client_port=client_port, extra_cfg=admin_cfg(port))
    held = []
    try:
        server.start()
        pid = server.proc.pid
        assert http(port, "/commands/ruok")[0] == 200
        before = process_thread_count(pid)
        for i in range(MAX_THREADS + 100):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(s)
            if i % 3 == 1:
                s.sendall(b"GET /commands/ruok HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            elif i % 3 == 2:
                s.sendall(b"GET /commands/ruok HTTP/1.1\r\nHost: x\r\n\r\n")
                assert s.recv(4096).startswith(b"HTTP/1.1 200 "), i  # then kept alive, idle
        started = time.monotonic()
        status, _, body = http(port, "/commands/stat")
        assert status == 200 and as_dict(body)["command"] == "stats"
        assert time.monotonic() - started < 5
        grown = process_thread_count(pid) - before
        assert grown <= 10, "%d more threads" % grown
    finally:
        for s in held:
            s.close()
        server.stop()


# Requests Jetty refuses with a status line and a close, and what it answers: a lenient parse
# answered HTTP/0.9 without a status line, or dropped the headers after a bad one and kept the
# connection open for idleTimeout.
MALFORMED_REQUESTS = [
    ("garbage", b"HELLO\r\n\r\n", 400),
    ("no-version", b"GET /commands/ruok\r\n\r\n", 505),
    ("http-2.0", b"GET /commands/ruok HTTP/2.0\r\nHost: x\r\n\r\n", 426),
    ("http-1.2", b"GET /commands/ruok HTTP/1.2\r\nHost: x\r\n\r\n", 505),
    ("header-without-colon", b"GET /commands/ruok HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n",
     400),
    ("no-host", b"GET /commands/ruok HTTP/1.1\r\n\r\n", 400),
    ("long-header", b"GET /commands/ruok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ("long-uri", b"GET /commands/ruok?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
]


def _raw_reply(port, request):
    """(status code, True if the server closed the connection within 5 s) for one raw request."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            return _status(data), False
    return _status(data), True


def _status(data):
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    return int(match.group(1)) if match else data[:60]


@pytest.mark.parametrize("name,request_bytes,code", MALFORMED_REQUESTS, ids=[r[0] for r in MALFORMED_REQUESTS])
def test_malformed_requests_get_jettys_status_and_are_closed(admins, name, request_bytes, code):
    assert _raw_reply(admins["python"].port, request_bytes) == (code, True)
    if admins["java"] is not None:
        assert _raw_reply(admins["java"].port, request_bytes)[0] == code


def test_run_main_maps_admin_server_exception_to_4():
    code = ("from zookeeper_py.server.zoo_keeper_server_main import run_main\n"
            "from zookeeper_py.server.admin.admin_server import AdminServerException\n"
            "def run(args):\n    raise AdminServerException('x')\n"
            "import sys; sys.exit(run_main(run, [], lambda: None, 'usage'))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=REPO))
    assert r.returncode == 4 and "Unable to start AdminServer, exiting abnormally" in r.stderr
