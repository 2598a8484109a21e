"""Java's zkCli 3.8 prints the same against our server as against Java ZooKeeper 3.8.

One scripted interactive session (commands fed on stdin) runs against each server; stdout
and stderr are compared separately after masking times, zxids, session ids and the port.
Watch events, which the CLI's event thread prints asynchronously, are compared as a list.

There is no "unknown opcode of a newer client" case for zkCli 3.8: every opcode it sends
(up to whoAmI, 107) is one our server implements. The UNIMPLEMENTED path is shown by
`create -t` against a server without extendedTypesEnabled.
"""

import difflib

import pytest

from tests.support import java_zk
from tests.support.java_cli import mask, run_zkcli, split_events
from tests.support.servers import JavaServer, PythonServer

pytestmark = pytest.mark.timeout(300)

# {addr} is the server's own address (for `connect`).
SESSION = """\
create /app v1
create -s /app/seq- one
create -s /app/seq- two
create -e /app/eph e
create -e -s /app/es- x
create -c /cont
create /cont/child
create -t 100000 /ttl t
create -s -t 100000 /app/ttlseq- t
create -c -e /bad
create -t abc /bad
create -e -t 5 /bad
create -c -t 5 /bad
create
ls /app
ls -s /app
ls -R /app
ls -s -R /cont
ls -w /app
get -s -w /app
set /app v2
stat /app
stat -w /app/eph
stat /ttl
stat /cont
set -v 1 /app v3
set -v 1 /app v4
set -s /app v5
delete -v 0 /app/seq-0000000000
delete -v 7 /app/seq-0000000001
delete /app/seq-0000000001
delete /app
create /tree
create /tree/a
create /tree/a/b
create /tree/c
deleteall /tree
ls /tree
getAcl /app
setAcl /app world:anyone:cdrwa,digest:bob:3QifC4F5fA4WbtmuQ1ZNZ6c52xg=:r
getAcl -s /app
setAcl /app world:anyone:cdrwa,bogus:x:r
setAcl /app ip:999.1.1.1:r
addauth digest alice:secret
create /priv p auth::cdrwa
getAcl /priv
get /priv
setAcl /locked world:anyone:r
create /locked L
setAcl /locked world:anyone:r
set /locked newval
delete /locked
create /locked/child
setAcl -v 5 /locked world:anyone:cdrwa
getEphemerals
getEphemerals /app
getEphemerals /nope
getAllChildrenNumber /
getAllChildrenNumber /app
getAllChildrenNumber /nope
addWatch /watched
addWatch -m PERSISTENT /pw
create /watched
create /watched/x
set /watched/x 1
create /pw
set /pw d
create /pw/kid
delete /watched/x
whoami
sync /app
sync /nope
create /q
create /q/1
setquota -n 5 /q
setquota -b 100 /q
listquota /q
listquota /nope
create /q/2
set /q/1 twelve-bytes
listquota /q
delquota -n /q
listquota /q
delquota /q
listquota /q
delquota /q
setquota -n 2 /nope
get /nonexist
get -s /nonexist
ls /nonexist
stat /nonexist
set /nonexist x
delete /nonexist
deleteall /nonexist
create /app dup
create /a/b/c orphan
create /app/eph/child x
delete /cont
create relative
get /trailing/
get //double
create /zookeeper/x y
delete /zookeeper/x
delete /zookeeper
delete /zookeeper/quota
delete /zookeeper/config
set /zookeeper/config x
getAcl /zookeeper/config
get /zookeeper/config
ls /zookeeper
ls -R /zookeeper/quota
removewatches /app
removewatches /nonexist
printwatches off
printwatches
printwatches on
connect {addr}
get /priv
getAcl /priv
whoami
getEphemerals
ls /app
history
redo 3
nosuchcommand a b
close
ls /
quit
"""

# One command per invocation: (args, expected exit code on both servers).
ONE_SHOT = [
    (["ls", "/"], 0),
    (["get", "/missing"], 1),
    (["create", "-t", "1000", "/ttl"], 1),  # extendedTypesEnabled is off: UNIMPLEMENTED
    (["create", "/made", "x"], 0),
    (["create", "/made", "x"], 1),
    (["nosuchcommand"], 127),
    (["getAllChildrenNumber", "/"], 0),
]


def _diff(ours, java, what):
    lines = difflib.unified_diff(java.splitlines(), ours.splitlines(), "java 3.8 " + what, "ours " + what,
                                 lineterm="", n=2)
    return "\n".join(lines)


def _start(kind, tmp_path_factory, name, flags):
    java_zk.require_java_zookeeper()
    server = kind(str(tmp_path_factory.mktemp(name)), flags=flags)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def session_outputs(tmp_path_factory):
    """{kind: CompletedProcess} of the scripted session, against a server with extended types on."""
    outputs = {}
    for kind in (PythonServer, JavaServer):
        server = _start(kind, tmp_path_factory, kind.kind + "-cli", ["-Dzookeeper.extendedTypesEnabled=true"])
        try:
            outputs[kind.kind] = run_zkcli(server.address, script=SESSION.format(addr=server.address))
        finally:
            server.stop()
    return outputs


def test_session_exit_code(session_outputs):
    codes = {k: r.returncode for k, r in session_outputs.items()}
    assert codes["python"] == codes["java"], codes


def test_session_stdout_matches_java(session_outputs):
    ours, _ = split_events(mask(session_outputs["python"].stdout))
    java, _ = split_events(mask(session_outputs["java"].stdout))
    assert "Auth scheme: User" in java and "[/app/es-0000000003, /app/eph]" in java, "session did not run:\n" + java
    assert ours == java, "zkCli stdout differs:\n" + _diff(ours, java, "stdout")


def test_session_stderr_matches_java(session_outputs):
    ours = mask(session_outputs["python"].stderr)
    java = mask(session_outputs["java"].stderr)
    assert "Node does not exist: /nonexist" in java, "session did not run:\n" + java
    assert ours == java, "zkCli stderr differs:\n" + _diff(ours, java, "stderr")


def test_session_watch_events_match_java(session_outputs):
    """Node events in the order delivered; session-state events (two sessions, two event threads) as a set."""

    def events(kind):
        _, lines = split_events(mask(session_outputs[kind].stdout))
        node = [e for e in lines if e.startswith("WatchedEvent") and "type:None" not in e]
        state = sorted(e for e in lines if e.startswith("WatchedEvent") and "type:None" in e)
        return node, state, lines.count("WATCHER::")

    ours, java = events("python"), events("java")
    assert len(java[0]) >= 10, "expected the persistent watches to fire: %r" % (java,)
    assert ours == java, "watch events differ:\nours %r\njava %r" % (ours, java)


@pytest.fixture(scope="module")
def default_servers(tmp_path_factory):
    """Our server and Java's with default settings (no extended types), one each."""
    servers = {}
    try:
        for kind in (PythonServer, JavaServer):
            servers[kind.kind] = _start(kind, tmp_path_factory, kind.kind + "-plain", [])
        yield servers
    finally:
        for s in servers.values():
            s.stop()


def test_one_command_per_invocation(default_servers):
    for args, expected_code in ONE_SHOT:
        results = {k: run_zkcli(s.address, args=args) for k, s in default_servers.items()}
        for kind, r in results.items():
            assert r.returncode == expected_code, "%s %s: exit %s, want %s\nstdout %r\nstderr %r" % (
                kind, args, r.returncode, expected_code, r.stdout, r.stderr)
        ours, java = results["python"], results["java"]
        # The connect event comes from the CLI's event thread, before or after the command's output.
        (ours_text, ours_events), (java_text, java_events) = (split_events(mask(r.stdout)) for r in (ours, java))
        assert ours_text == java_text, "%s stdout:\n%s" % (args, _diff(ours_text, java_text, "stdout"))
        assert ours_events == java_events, "%s watch events:\nours %r\njava %r" % (args, ours_events, java_events)
        assert mask(ours.stderr) == mask(java.stderr), "%s stderr:\n%s" % (
            args, _diff(mask(ours.stderr), mask(java.stderr), "stderr"))
