"""srvr, stat, mntr, conf and zkServer.sh status on quorum members; not serving without a quorum; read-only."""

import os
import re
import subprocess
import sys

from kazoo.protocol.states import KeeperState

from tests.quorum.conftest import kazoo, repo_root
from tests.support.net import four_letter_word, wait_until

NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"


def test_four_letter_words_on_leader_and_follower(make_ensemble):
    ens = make_ensemble().start()
    leader = ens.wait_for_quorum()
    follower = 1
    with kazoo(ens.address(follower)) as zk:
        zk.create("/x", b"12345")

    def flw(sid, word):
        return four_letter_word("127.0.0.1", ens.client_ports[sid], word)

    srvr = flw(leader, "srvr")
    assert "Mode: leader\n" in srvr
    assert re.search(r"^Proposal sizes last/min/max: \d+/\d+/\d+$", srvr, re.M)
    assert re.search(r"^Zxid: 0x1[0-9a-f]{8}$", srvr, re.M)
    assert "Mode: follower\n" in flw(follower, "srvr")
    assert "Proposal sizes" not in flw(follower, "srvr")
    stat = flw(follower, "stat")
    assert stat.startswith("Zookeeper version: ") and "Clients:\n" in stat and "Mode: follower" in stat
    mntr = dict(line.split("\t", 1) for line in flw(leader, "mntr").splitlines())
    assert mntr["zk_server_state"] == "leader"
    assert mntr["zk_followers"] == "2"
    assert mntr["zk_synced_followers"] == "2"
    assert mntr["zk_pending_syncs"] == "0"
    assert int(mntr["zk_max_proposal_size"]) > 0
    mntr_f = dict(line.split("\t", 1) for line in flw(follower, "mntr").splitlines())
    assert mntr_f["zk_server_state"] == "follower"
    assert "zk_followers" not in mntr_f
    conf = flw(follower, "conf")
    for line in ("initLimit=10", "syncLimit=5", "electionAlg=3", "electionPort=%d" % ens.election_ports[follower],
                 "quorumPort=%d" % ens.quorum_ports[follower], "peerType=0", "serverId=%d" % follower,
                 "membership: "):
        assert line + "\n" in conf, line
    assert "server.1=127.0.0.1:%d:%d:participant\n" % (ens.quorum_ports[1], ens.election_ports[1]) in conf
    assert conf.rstrip().endswith("version=0")


def _zk_server_status(ens, sid):
    # PYTHON, not ZOO_PYTHON: the script then runs this interpreter as it is. ZOO_PYTHON would make
    # it build a venv on first use, which took over the 30 s below on a slow CI machine.
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=repo_root())
    proc = subprocess.run(["bash", os.path.join(repo_root(), "bin", "zkServer.sh"), "status",
                           ens.servers[sid].cfg_path], capture_output=True, text=True, env=env, timeout=30)
    return proc.returncode, proc.stdout


def test_zk_server_sh_status_and_not_serving_without_quorum(make_ensemble):
    ens = make_ensemble(tick_time=300).start()
    leader = ens.wait_for_quorum()
    for sid in ens.servers:
        code, out = _zk_server_status(ens, sid)
        assert code == 0, out
        assert ("Mode: leader" if sid == leader else "Mode: follower") in out
    others = [s for s in ens.servers if s != leader]
    ens.kill(others[0])
    ens.kill(others[1])
    wait_until(lambda: four_letter_word("127.0.0.1", ens.client_ports[leader], "srvr") == NOT_SERVING,
               timeout=15, message="not serving")
    for word in ("stat", "mntr", "conf"):
        assert four_letter_word("127.0.0.1", ens.client_ports[leader], word) == NOT_SERVING
    assert four_letter_word("127.0.0.1", ens.client_ports[leader], "ruok") == "imok"
    code, out = _zk_server_status(ens, leader)
    assert code == 1 and "Error contacting service. It is probably not running." in out


def test_read_only_mode_while_looking(make_ensemble):
    ens = make_ensemble(flags=["-Dreadonlymode.enabled=true"])
    ens.start([1, 2])
    ens.wait_for_quorum([1, 2])
    with kazoo(ens.connect_string([1, 2])) as zk:
        zk.create("/ro", b"readable")
    ens.kill(2)
    # Alone, server 1 looks for a leader, and after max(2000, tickTime) ms serves reads.
    wait_until(lambda: ens.mode(1) == "read-only", timeout=20, message="read-only mode")
    srvr = four_letter_word("127.0.0.1", ens.client_ports[1], "srvr")
    assert "READ-ONLY mode; serving only read-only clients\n" in srvr
    assert four_letter_word("127.0.0.1", ens.client_ports[1], "isro") == "ro"
    with kazoo(ens.address(1), read_only=True) as zk:
        assert zk.get("/ro")[0] == b"readable"
    # A quorum again: back to read-write.
    ens.start_member(2)
    ens.wait_for_quorum([1, 2], timeout=30)
    assert four_letter_word("127.0.0.1", ens.client_ports[1], "isro") == "rw"


def test_read_only_sessions_are_local_and_global_ones_wait_for_the_quorum(make_ensemble):
    """A read-only server's sessions as 3.6.2+'s (ZOOKEEPER-3863): a new read-only client gets a
    local session with this server's id, and neither it nor its close writes a txn; a global
    session is not re-established until the quorum is back, then carries on with its ephemeral.
    3.5.7 (ours before) made them global sessions of server 1 (each create and close a session txn
    of this server alone), and the global session was served read-only."""
    ens = make_ensemble(flags=["-Dreadonlymode.enabled=true"])
    ens.start([1, 2])
    ens.wait_for_quorum([1, 2])
    with kazoo(ens.address(2), read_only=True) as held:
        held.create("/owner", b"", ephemeral=True)
        held_id = held.client_id[0]
        ens.kill(1)
        wait_until(lambda: ens.mode(2) == "read-only", timeout=20, message="read-only mode")
        zxid = ens.zxid(2)
        for _ in range(2):
            with kazoo(ens.address(2), read_only=True) as zk:
                assert zk.client_state == KeeperState.CONNECTED_RO
                assert zk.client_id[0] >> 56 == 2, hex(zk.client_id[0])
                assert zk.exists("/owner") is not None
        assert ens.zxid(2) == zxid, "a read-only session's create or close wrote a txn"
        wait_until(lambda: "Refusing global session reconnection in RO mode" in ens.log(2), timeout=20,
                   message="the global session refused in read-only mode")
        assert held.client_state != KeeperState.CONNECTED_RO
        ens.start_member(1)
        ens.wait_for_quorum([1, 2], timeout=30)
        wait_until(lambda: held.client_state == KeeperState.CONNECTED, timeout=30,
                   message="the global session back in read-write")
        assert held.client_id[0] == held_id
        assert held.exists("/owner").ephemeralOwner == held_id
