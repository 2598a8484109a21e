"""zkCli: our bin/zkCli.sh next to Java 3.8's ZooKeeperMain on the same server.

The same script goes to both shells through a pipe (no terminal: both print no prompt,
"JLine support is disabled"), each under its own base path. stdout and stderr must then
be equal once times, zxids, session ids and the base path are masked. Watch events are
printed by another thread in both shells, so they are compared as their own sequence.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
import time

import pytest

from tests.support import java_zk
from tests.support.net import free_port
from zookeeper_py.zookeeper_main import ZooKeeperMain

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZKCLI = os.path.join(REPO, "bin", "zkCli.sh")


def digest(user, password):
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()).decode())


SCRIPT = """\
create {b} base
create {b}/a data_a
create -s {b}/seq- s1
create -s {b}/seq- s2
create -e {b}/eph e
create -e -s {b}/eseq- x
create -c {b}/cont
create {b}/cont/child
create -t 10000 {b}/ttl t
create -t 10000 -e {b}/bad
create -c -s {b}/bad
create -t abc {b}/bad
create -t 0 {b}/bad
create {b}/a again
create {b}/no/such
create noslash
create {b}/
create {b}/x y world:anyone:rx,bad,digest:u:p
create
ls {b}
ls -s {b}
ls -R {b}
ls {b}/none
ls -w {b}
create {b}/trigger
sync {b}
get {b}/a
get -s {b}/a
get -w {b}/a
set {b}/a new
sync {b}
get {b}/none
get
set -v 5 {b}/a x
set -s -v 1 {b}/a v2
set {b}/a
stat {b}/a
stat {b}/none
stat -w {b}/a
set {b}/a v3
sync {b}
delete -v 7 {b}/seq-0000000000
delete -v 0 {b}/seq-0000000000
delete {b}/seq-0000000000
delete {b}/cont
deleteall {b}/cont
ls {b}
create {b}/acl
getAcl {b}
getAcl -s {b}/acl
setAcl {b}/acl world:anyone:cdrwa,ip:127.0.0.1:r
getAcl {b}/acl
setAcl -s {b}/acl digest:{digest}:cdrwa
get {b}/acl
addauth digest user1:pw
get {b}/acl
getAcl {b}/acl
setAcl -v 99 {b}/acl world:anyone:r
setAcl {b}/acl nonsense
create {b}/tree
create {b}/tree/t1
setAcl -R {b}/tree world:anyone:cdrwa
getAcl {b}/tree/t1
getEphemerals {b}
getEphemerals {b}/eph
getAllChildrenNumber {b}
getAllChildrenNumber {b}/none
addWatch {b}/w
addWatch -m PERSISTENT {b}/w2
addWatch -m bogus {b}
create {b}/w
create {b}/w/x
create {b}/w2
set {b}/w2 changed
sync {b}
whoami
sync {b}
create {b}/q
setquota -n 5 {b}/q
listquota {b}/q
setquota -b 100 {b}/q
listquota {b}/q
setquota -n 0 {b}/q
setquota -n 3 -b 4 {b}/q
delquota -n {b}/q
listquota {b}/q
delquota {b}/q
listquota {b}/q
delquota {b}/q
setquota -n 5 {b}/none
printwatches off
printwatches
create {b}/silent
printwatches on
removewatches {b}/none
get -w {b}/q
removewatches {b}/q -d
bogus
ls -x {b}
redo 21
redo 0x15
redo 999
history
config
config -c
config -s
reconfig -add server.5=localhost:1234:1235;1236
reconfig
reconfig -file x -add y
reconfig -v zz -add y
version
close
ls /
connect {addr}
ls /zookeeper
"""


def mask(text, base):
    text = text.replace(base, "{b}")
    text = re.sub(r"(ctime|mtime) = .*", r"\1 = <time>", text)
    text = re.sub(r"([cmp]Zxid) = 0x[0-9a-f]+", r"\1 = <zxid>", text)
    text = re.sub(r"ephemeralOwner = 0x(?!0\n)[0-9a-f]+", "ephemeralOwner = <session>", text)
    text = re.sub(r"ZooKeeper CLI version: .*", "ZooKeeper CLI version: <version>", text)
    # getEphemerals lists paths in the server's hash-set order, which depends on the names.
    text = re.sub(r"^\[(\{b\}[^\]]*)\]$", lambda m: "[" + ", ".join(sorted(m.group(1).split(", "))) + "]", text,
                  flags=re.M)
    return text


def split_events(stdout):
    """(stdout without the watcher lines, [event lines]) — the EventThread prints them."""
    events = re.findall(r"WatchedEvent state:\S+ type:\S+ path:\S+", stdout)
    rest = re.sub(r"\nWATCHER::\n", "", stdout)
    rest = re.sub(r"\nWatchedEvent state:\S+ type:\S+ path:\S+\n", "", rest)
    return rest, events


def without_closing_event(stdout):
    rest, events = split_events(stdout)
    if events and events[-1].startswith("WatchedEvent state:Closed "):
        events = events[:-1]
    return rest, events


def our_usage_lines_only(stderr):
    # Our shell also keeps 3.5.7's ls2 and rmr, which 3.8 dropped.
    return re.sub(r"\t(ls2|rmr) [^\n]*\n", "", stderr)


def run_java_cli(server, args, stdin=None, timeout=120):
    cp = ":".join([java_zk.ZK_JAR, "/usr/share/java/zookeeper-jute.jar", "/usr/share/java/slf4j-nop.jar"])
    cmd = [java_zk.java_executable(), "-cp", cp, "org.apache.zookeeper.ZooKeeperMain",
           "-server", server.address] + args
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)


def run_our_cli(server, args, stdin=None, timeout=120, env=None):
    env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    env.pop("ZOO_LOG_DIR", None)
    cmd = [ZKCLI, "-server", server.address] + args
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def both_runs(server):
    java_zk.require_java_zookeeper()
    runs = {}
    for who, runner in (("java", run_java_cli), ("ours", run_our_cli)):
        base = "/cli_%s_%s" % (server.kind, who)
        script = SCRIPT.format(b=base, digest=digest("user1", "pw"), addr=server.address)
        p = runner(server, [], stdin=script)
        out, events = split_events(mask(p.stdout, base))
        runs[who] = (p.returncode, out, events, mask(p.stderr, base))
    return runs


def test_cli_stdout_matches_java(both_runs):
    java, ours = both_runs["java"], both_runs["ours"]
    assert ours[1].splitlines() == java[1].splitlines()


def test_cli_stderr_matches_java(both_runs):
    java, ours = both_runs["java"], both_runs["ours"]
    assert our_usage_lines_only(ours[3]).splitlines() == java[3].splitlines()


def test_cli_watch_events_match_java(both_runs):
    java, ours = both_runs["java"], both_runs["ours"]
    assert ours[2] == java[2]
    assert "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:{b}" in ours[2]
    assert ours[2][-2:] == ["WatchedEvent state:Closed type:None path:null",
                            "WatchedEvent state:SyncConnected type:None path:null"]  # close, connect


def test_cli_exit_code_matches_java(both_runs):
    assert both_runs["ours"][0] == both_runs["java"][0]


@pytest.mark.parametrize("args", [
    ["ls", "/"],
    ["get", "/cli_no_such_node"],
    ["foo"],
    ["create"],
    ["ls", "-x", "/"],
    ["stat", "/zookeeper"],
    ["quit"],
    ["history"],
], ids=lambda a: "_".join(a).replace("/", ""))
def test_one_shot_command_output_and_exit_code(server, args):
    java_zk.require_java_zookeeper()
    java = run_java_cli(server, args)
    ours = run_our_cli(server, args)
    assert ours.returncode == java.returncode
    jout, _ = split_events(mask(java.stdout, "/none"))
    oout, _ = split_events(mask(ours.stdout, "/none"))
    assert oout == jout
    assert our_usage_lines_only(ours.stderr) == java.stderr


def test_one_shot_command_prints_the_events_queued_before_it_exits(server, capsys):
    """`zkCli.sh -server H ls /` prints the SyncConnected event, as Java's does: the process must not
    end while the EventThread still holds it. The EventThread is held busy here so that the reply
    comes before the event is printed (CI saw our shell end first on a loaded machine)."""
    main = ZooKeeperMain(["-server", server.address, "ls", "/"])
    try:
        main.zk.cnxn.event_thread.queue_callback(time.sleep, 0.5)
        assert main.run() == 0
        out = capsys.readouterr().out
        assert "WATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null" in out, out
        assert "zookeeper]" in out, out  # the ls reply
    finally:
        main.zk.close()


def test_deprecated_357_commands(server):
    """ls2 and rmr are 3.5.7 commands Java 3.8 no longer has: checked against 3.5.7's texts."""
    script = "create /cli_old\ncreate /cli_old/b\ncreate /cli_old/a\nls2 /cli_old\nrmr /cli_old\nls /cli_old\n"
    p = run_our_cli(server, [], stdin=script)
    out, _ = split_events(mask(p.stdout, "/cli_old"))
    lines = out.splitlines()
    i = lines.index("JLine support is disabled")
    assert lines[i + 1] in ("[a, b]", "[b, a]")  # server order, not sorted
    assert lines[i + 2] == "cZxid = <zxid>" and lines[i + 12] == "numChildren = 2"
    assert p.stderr.splitlines() == [
        "Created /cli_old", "Created /cli_old/b", "Created /cli_old/a",
        "'ls2' has been deprecated. Please use 'ls [-s] path' instead.",
        "The command 'rmr' has been deprecated. Please use 'deleteall' instead.",
        "Node does not exist: /cli_old"]


def test_system_properties_from_client_jvmflags(server):
    """-D flags reach the client through CLIENT_JVMFLAGS, as with Java's zkCli.sh."""
    p = run_our_cli(server, ["ls", "/"], env={"CLIENT_JVMFLAGS": "-Djute.maxbuffer=10"})
    # A 10-byte packet limit makes the connect reply itself too long: a connection loss.
    assert p.returncode == 1 and p.stderr == "KeeperErrorCode = ConnectionLoss for /\n"
    p = run_our_cli(server, ["-Dzookeeper.request.timeout=5000", "ls", "/"])
    assert "[" in p.stdout and p.returncode == 0


def test_shell_options_match_java(server, tmp_path):
    """-waitforconnection on a dead server, -client-configuration (missing and good), -r."""
    java_zk.require_java_zookeeper()
    good = tmp_path / "good.properties"
    good.write_text("zookeeper.request.timeout=3000\n")
    dead = "127.0.0.1:%d" % free_port()
    cases = [
        ["-waitforconnection", "-timeout", "1000", "-server", dead, "ls", "/"],
        ["-client-configuration", str(tmp_path / "missing.properties"), "ls", "/"],
        ["-client-configuration", str(good), "-r", "-timeout", "5000", "ls", "/zookeeper"],
        ["-timeout", "abc", "ls", "/"],
        ["-server", "bogus:host:x", "ls", "/"],
    ]
    for args in cases:
        java = run_java_cli(server, args)
        ours = run_our_cli(server, args)
        assert ours.returncode == java.returncode, args
        # Java prints the Closed event of its exit only when its EventThread gets to it before the
        # JVM ends (seen either way run to run): compare the events before it.
        assert without_closing_event(ours.stdout) == without_closing_event(java.stdout), args
        # Java goes on with a stack trace; the first line and any "Caused by" agree.
        jerr = [l for l in java.stderr.splitlines() if not l.startswith(("\tat ", "\t..."))]
        assert ours.stderr.splitlines() == jerr[:len(ours.stderr.splitlines())], args
        assert ours.stderr.splitlines()[:1] == jerr[:1]
