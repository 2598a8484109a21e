"""Quorum configuration: myid and electionAlg errors, hierarchical quorums with weights, the dynamic config
file, standaloneEnabled=false, and reconfig on the leader."""

import os
import socket

import pytest

from tests.quorum.conftest import kazoo
from tests.support.ensemble import Ensemble
from tests.support.net import four_letter_word, free_port, wait_until


def _run_until_exit(server, timeout=30):
    server.start(wait=False)
    try:
        code = server.proc.wait(timeout)
    finally:
        server.stop(kill=True)
    return code, server.output_tail(20000)


@pytest.mark.parametrize("case", ["missing", "not-a-number", "not-listed", "election-alg"])
def test_config_errors_say_what_is_wrong(tmp_path, case):
    ens = Ensemble(str(tmp_path), extra_cfg={"electionAlg": "1"} if case == "election-alg" else None)
    server = ens.servers[1]
    myid = os.path.join(server.data_dir, "myid")
    if case == "missing":
        os.remove(myid)
    elif case == "not-a-number":
        with open(myid, "w") as f:
            f.write("one\n")
    elif case == "not-listed":
        with open(myid, "w") as f:
            f.write("7\n")
    code, out = _run_until_exit(server)
    assert code == 2, out
    expected = {
        "missing": "myid file is missing (expected %s)" % myid,
        "not-a-number": "serverid one is not a number (read from %s)" % myid,
        "not-listed": "myid 7 is not in the server list",
        "election-alg": "Invalid electionAlg value. Only 3 is supported.",
    }[case]
    assert expected in out


def test_hierarchical_quorum_weights_dynamic_file_listen_on_all_ips(make_ensemble):
    # One group of three; server 3 has weight 0: it never leads and its vote does not count.
    ens = make_ensemble(extra_cfg={"group.1": "1:2:3", "weight.1": "1", "weight.2": "1", "weight.3": "0",
                                   "quorumListenOnAllIPs": "true", "cnxTimeout": "2000"},
                        dynamic_file=True).start()
    assert ens.wait_for_quorum() == 2, ens.modes()
    with kazoo(ens.address(3)) as zk:
        zk.create("/weighted", b"")
        config = zk.get("/zookeeper/config")[0].decode()
    assert "group.1=1:2:3" in config and "weight.3=0" in config
    # With reconfig disabled no proposed config is kept, as Java 3.6+ (3.5.7 wrote one next to zoo.cfg).
    for sid in ens.servers:
        assert not os.path.exists(ens.servers[sid].cfg_path + ".dynamic.next")
    # 1 and 3 are not a quorum (3 weighs nothing).
    ens.kill(2)
    wait_until(lambda: ens.mode(1) is None and ens.mode(3) is None, timeout=20, message="no quorum without 2")
    ens.start_member(2)
    assert ens.wait_for_quorum(timeout=30) == 2


@pytest.mark.parametrize("extra, expected", [
    # A group member with no server line: Java exits 1 with a NullPointerException; ours ran,
    # counting it as weight 1, so a group could never reach its majority.
    ({"group.1": "1:2:3:7"}, "group.1: server 7 is not a voting member"),
    ({"group.1": "1:2: 3"}, 'group.1=1:2: 3: For input string: " 3"'),  # Java's parseLong; ours took it
    ({"group.1": "1:2:3", "weight.1": "99999999999999999999"}, "weight.1=99999999999999999999: For input string"),
])
def test_hierarchical_config_errors_name_the_key(tmp_path, extra, expected):
    server = Ensemble(str(tmp_path), extra_cfg=extra).servers[1]
    code, out = _run_until_exit(server)
    assert code == 2, out
    assert expected in out and server.cfg_path in out, out


def test_a_group_with_a_trailing_colon_is_read_as_java_splits_it(make_ensemble):
    """"1:2:3:" is three members in Java (split drops trailing empty strings); ours refused it."""
    ens = make_ensemble(extra_cfg={"group.1": "1:2:3:"}).start()
    ens.wait_for_quorum()
    with kazoo(ens.address(1)) as zk:
        zk.create("/grouped", b"")
        assert "group.1=1:2:3\n" in zk.get("/zookeeper/config")[0].decode()


def test_single_server_quorum_with_standalone_disabled(make_ensemble):
    ens = make_ensemble(kinds=["python"], extra_cfg={"standaloneEnabled": "false"}).start()
    assert ens.wait_for_quorum() == 1
    with kazoo(ens.address(1)) as zk:
        zk.create("/alone", b"1")
        assert zk.get("/zookeeper/config")[0].startswith(b"server.1=127.0.0.1:")


def test_reconfig_removes_and_adds_a_member(make_ensemble):
    ens = make_ensemble(extra_cfg={"reconfigEnabled": "true", "skipACL": "yes"}).start()
    leader = ens.wait_for_quorum()
    assert leader == 3
    spec2 = "server.2=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (
        ens.quorum_ports[2], ens.election_ports[2], ens.client_ports[2])
    with kazoo(ens.address(1)) as zk:
        # Java's StringUtils.split: items are trimmed and empty ones dropped ("reconfig -remove 2,").
        data, stat = zk.reconfig(joining=None, leaving=" 2 ,", new_members=None)
        text = data.decode()
        assert "server.2=" not in text and "server.1=" in text and "server.3=" in text
        version = text.rsplit("version=", 1)[1]
        assert stat.mzxid == int(version, 16)
        zk.create("/after-leave", b"")
    for sid in (1, 3):
        with kazoo(ens.address(sid)) as zk:
            zk.sync("/")
            assert zk.get("/zookeeper/config")[0].decode() == text
        cfg_dir = os.path.dirname(ens.servers[sid].cfg_path)
        assert os.path.exists(os.path.join(cfg_dir, "zoo.cfg.dynamic." + version))
        assert "dynamicConfigFile=" in open(ens.servers[sid].cfg_path).read()
    with kazoo(ens.address(1)) as zk:
        data, _ = zk.reconfig(joining=spec2, leaving=None, new_members=None)
        assert "server.2=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (
            ens.quorum_ports[2], ens.election_ports[2], ens.client_ports[2]) in data.decode()
        zk.create("/after-join", b"")
    with kazoo(ens.address(2)) as zk:
        zk.sync("/")
        assert zk.exists("/after-join") is not None
        assert zk.get("/zookeeper/config")[0] == data


def test_reconfig_moves_a_members_client_port_without_a_restart(make_ensemble):
    """NIOServerCnxnFactory.reconfigure: once a reconfig that gives member 2 a new client port commits,
    member 2 (the same process) serves on the new port and no longer on the old one."""
    ens = make_ensemble(extra_cfg={"reconfigEnabled": "true", "skipACL": "yes"}).start()
    ens.wait_for_quorum()
    pid = ens.servers[2].proc.pid
    old_port = ens.client_ports[2]
    new_port = free_port()
    spec2 = "server.2=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (
        ens.quorum_ports[2], ens.election_ports[2], new_port)
    with kazoo(ens.address(1)) as zk:
        zk.create("/before-move", b"1")
        data, _ = zk.reconfig(joining=spec2, leaving=None, new_members=None)
        assert ";127.0.0.1:%d" % new_port in data.decode()

    def serves_on_new_port():
        try:
            return "imok" in four_letter_word("127.0.0.1", new_port, "ruok", timeout=2)
        except OSError:
            return False

    wait_until(serves_on_new_port, timeout=20, message="member 2 to listen on its new client port")
    with kazoo("127.0.0.1:%d" % new_port) as zk:
        zk.sync("/")
        assert zk.get("/before-move")[0] == b"1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", old_port), timeout=2).close()
    assert ens.servers[2].proc.pid == pid and ens.servers[2].proc.poll() is None
