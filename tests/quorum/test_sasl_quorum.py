"""Quorum SASL (DIGEST-MD5): quorum.auth.enableSasl, learnerRequireSasl, serverRequireSasl.

Real server processes, ours and Java 3.8's, with the JAAS file named by
-Djava.security.auth.login.config (QuorumServer and QuorumLearner sections). Every
connection a member opens to another (election port, the leader's quorum port) starts
with the QuorumAuthPacket exchange; the accepting side runs it on the connection's own
thread (QuorumConnectionThread, LearnerHandler).
"""

import socket
import struct
import threading
import time

import pytest

from tests.quorum.scenarios import (
    RUNTIMES,
    on_runtime,
    rolling_restarts,
    survive_leader_kill,
    write_and_read_everywhere,
)
from tests.quorum.test_tls_quorum import assert_tls_in_use, tls_cfg
from tests.support import java_zk
from tests.support.net import closed_by_peer, wait_until
from tests.support.servers import PythonServer
from tests.support.tls import session_tls_material
from zookeeper_py.common import system_properties
from zookeeper_py.common.sasl_digest_md5 import SaslException
from zookeeper_py.server.quorum.auth.quorum_auth import AuthInputStream, QuorumAuth, Status

JAAS_KEY = "java.security.auth.login.config"

JAAS = """\
QuorumServer {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    user_zkpeer="peersecret";
};
QuorumLearner {
    org.apache.zookeeper.server.auth.DigestLoginModule required
    username="zkpeer"
    password="peersecret";
};
"""

# An intruder: it knows the user name, not the password (it also expects the wrong one from others).
BAD_JAAS = JAAS.replace("peersecret", "guessed")

SASL_ON = {"quorum.auth.enableSasl": "true", "quorum.auth.learnerRequireSasl": "true",
           "quorum.auth.serverRequireSasl": "true"}

AUTHENTICATED = "Successfully completed the authentication using SASL"

MIXED = pytest.mark.parametrize("kinds", [("java", "python", "java"), ("python", "java", "python")],
                                ids=["2java-1python", "1java-2python"])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


@pytest.fixture
def jaas(tmp_path):
    return write(tmp_path / "jaas.conf", JAAS)


@pytest.fixture
def bad_jaas(tmp_path):
    return write(tmp_path / "bad-jaas.conf", BAD_JAAS)


def jaas_flags(path):
    return ["-D%s=%s" % (JAAS_KEY, path)]


def sasl_ensemble(make_ensemble, jaas, kinds=("python",) * 3, cfg=SASL_ON, **kwargs):
    return make_ensemble(kinds=list(kinds), extra_cfg=dict(cfg), flags=jaas_flags(jaas), **kwargs)


def assert_authenticated(ens, sids=None):
    """Every member authenticated a peer or was authenticated (both logs say the same sentence)."""
    for sid in sids or ens.running():
        assert AUTHENTICATED in ens.log(sid), "member %d logged no SASL authentication:\n%s" % (
            sid, ens.servers[sid].output_tail())


# -- Python members ------------------------------------------------------------------------------


@RUNTIMES
def test_three_members_requiring_quorum_sasl_elect_replicate_and_survive_leader_kill(make_ensemble, jaas, runtime):
    ens = on_runtime(sasl_ensemble(make_ensemble, jaas), runtime)
    ens.start()
    leader = ens.wait_for_quorum()
    assert_authenticated(ens)
    survive_leader_kill(ens, leader, "sasl")
    assert any("Successfully authenticated learner: authenticationID=zkpeer" in ens.log(sid) for sid in ens.servers)


def _refused_by(ens, sid, intruder):
    log = ens.log(sid)
    return ("Refused the election connection of server %d" % intruder in log
            or "Exception while connecting, id: %d" % intruder in log)


def test_a_peer_with_a_wrong_password_is_refused_and_the_others_keep_quorum(make_ensemble, jaas, bad_jaas):
    """Member 3 (the highest sid, which would lead) has a wrong password in both sections: members 1 and 2
    refuse its connections and it refuses theirs, each with a log line naming who and why; 1 and 2 elect,
    replicate, and go on doing so while 3 keeps trying."""
    ens = sasl_ensemble(make_ensemble, jaas, member_flags={3: jaas_flags(bad_jaas)})
    # member_flags are added after the shared flags: the last -D wins, for ours and Java's
    ens.start()
    leader = ens.wait_for_quorum([1, 2], timeout=45)
    write_and_read_everywhere(ens, leader, "/without-3", b"ok", sids=[1, 2])
    for sid in (1, 2):
        wait_until(lambda: _refused_by(ens, sid, 3), timeout=30, message="member %d refusing member 3" % sid)
    log1 = ens.log(1) + ens.log(2)
    assert "Mismatched response" in log1 or "Authentication failed against server addr" in log1, log1[-3000:]
    assert "user: zkpeer" in log1 or "id: 3" in log1
    assert ens.is_running(3) and ens.mode(3) is None, "the intruder serves: %s" % ens.srvr(3)
    epoch = ens.zxid(leader) >> 32
    # 3 keeps knocking (it re-runs its election); 1 and 2 stay one quorum with one leader and epoch.
    deadline = time.time() + 5
    while time.time() < deadline:
        modes = ens.modes([1, 2])
        assert sorted(modes.values()) == ["follower", "leader"], (modes, ens.tails())
        assert ens.zxid(leader) >> 32 == epoch
        time.sleep(0.2)  # the sampling period, not a synchronisation
    write_and_read_everywhere(ens, 1, "/still-without-3", b"ok", sids=[1, 2])


def test_learner_without_sasl_is_refused_when_the_server_requires_it(make_ensemble, jaas):
    """serverRequireSasl=true on 1 and 2; member 3 has enableSasl=false (NullQuorumAuthLearner): 1 and 2 hang up
    on it (on their connection threads), keep their quorum, and 3 does not join."""
    ens = sasl_ensemble(make_ensemble, jaas)
    ens.servers[3].cfg = {k: v for k, v in ens.servers[3].cfg.items() if not k.startswith("quorum.auth.")}
    ens.servers[3].write_cfg()
    ens.start()
    leader = ens.wait_for_quorum([1, 2], timeout=45)
    wait_until(lambda: "Learner not trying to authenticate and authentication is required" in ens.log(1),
               timeout=30, message="member 1 refusing the unauthenticated member 3")
    write_and_read_everywhere(ens, leader, "/x", b"ok", sids=[1, 2])
    assert ens.mode(3) is None


def test_silent_and_garbage_peers_cost_only_their_connection(make_ensemble, jaas):
    """A connection that sends the initial message and then nothing, one that sends an auth packet with an absurd
    token length, and one that sends garbage: each is closed (within syncLimit ticks for the silent one), the
    listener takes new connections meanwhile, and the quorum goes on."""
    ens = sasl_ensemble(make_ensemble, jaas)
    ens.start()
    leader = ens.wait_for_quorum()
    port = ens.election_ports[1]
    addr = b"127.0.0.1:1"
    initial = struct.pack(">qqi", -65536, 7, len(addr)) + addr
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)
    silent.sendall(initial)
    huge = socket.create_connection(("127.0.0.1", port), timeout=10)
    huge.sendall(initial + struct.pack(">qii", QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER, 0, 0x7fffffff))
    garbage = socket.create_connection(("127.0.0.1", port), timeout=10)
    garbage.sendall(initial + b"\x00" * 64)
    started = time.time()
    try:
        for s in (huge, garbage, silent):
            closed_by_peer(s, 15)
        # tickTime 500 x syncLimit 5: the silent one is dropped after 2.5 s of silence
        assert time.time() - started < 10
    finally:
        for s in (silent, huge, garbage):
            s.close()
    write_and_read_everywhere(ens, leader, "/after-hostile", b"ok")
    log = ens.log(1)
    assert "Unreasonable length" in log and "server 7" in log, log[-3000:]


def test_silent_learner_on_the_quorum_port_costs_only_its_connection(make_ensemble, jaas):
    """Connections to the leader's quorum port that say nothing or send a bad auth packet hold only their own
    LearnerHandler: a follower restarted meanwhile authenticates and syncs, and the silent one is closed within
    initLimit ticks."""
    ens = sasl_ensemble(make_ensemble, jaas)
    ens.start()
    leader = ens.wait_for_quorum()
    port = ens.quorum_ports[leader]
    silent = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    bad = socket.create_connection(("127.0.0.1", port), timeout=10)
    bad.sendall(struct.pack(">qii", QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER, 0, 12) + b"not a digest")
    try:
        follower = min(sid for sid in ens.servers if sid != leader)
        ens.stop_member(follower)
        ens.start_member(follower)
        ens.wait_for_quorum(timeout=30)
        write_and_read_everywhere(ens, follower, "/past-silent-learners", b"ok")
        started = time.time()
        for s in silent + [bad]:
            closed_by_peer(s, 15)
        assert time.time() - started < 10  # initLimit 10 x tickTime 500
    finally:
        for s in silent + [bad]:
            s.close()
    assert "Server failed to authenticate quorum learner" in ens.log(leader)


def test_observer_authenticates_both_ports(make_ensemble, jaas):
    """An observer (sid 4) with SASL required everywhere: it authenticates to the voters on the election port
    and to the leader on the quorum port, syncs and forwards a write."""
    ens = sasl_ensemble(make_ensemble, jaas, kinds=("python",) * 4, observers=[4])
    ens.start()
    ens.wait_for_quorum()
    assert ens.mode(4) == "observer"
    write_and_read_everywhere(ens, 4, "/through-the-observer", b"ok")
    assert AUTHENTICATED in ens.log(4)


@RUNTIMES
def test_sasl_and_ssl_quorum_together(make_ensemble, jaas, tmp_path_factory, runtime):
    """enableSasl with sslQuorum: the QuorumAuthPackets go over the TLS connections."""
    tls = session_tls_material(tmp_path_factory)
    ens = on_runtime(sasl_ensemble(make_ensemble, jaas, cfg=dict(SASL_ON, **tls_cfg(tls, "pem"))), runtime)
    ens.start()
    leader = ens.wait_for_quorum()
    assert_tls_in_use(ens)
    assert_authenticated(ens)
    survive_leader_kill(ens, leader, "tls-and-sasl", via=[leader], rejoin=False)


def test_enable_sasl_alone_over_tls_reads_past_the_peeked_bytes(make_ensemble, jaas, tmp_path_factory):
    """enableSasl without learnerRequireSasl (the first rolling step) with sslQuorum: learners do not authenticate,
    so what nextPacketIsAuth read ahead on each TLS connection (the election message, FOLLOWERINFO) is read again by
    the RecvWorker and the LearnerHandler."""
    tls = session_tls_material(tmp_path_factory)
    ens = sasl_ensemble(make_ensemble, jaas, cfg=dict({"quorum.auth.enableSasl": "true"}, **tls_cfg(tls, "pem")))
    ens.start()
    leader = ens.wait_for_quorum()
    assert_tls_in_use(ens)
    write_and_read_everywhere(ens, leader, "/peeked", b"ok")
    assert "Skipping SASL authentication as quorum.auth.learnerRequireSasl=false" in ens.log(leader)


# -- the admin guide's rolling steps -------------------------------------------------------------------


def _rolling_sasl(ens):
    """enableSasl, then learnerRequireSasl, then serverRequireSasl: one member at a time, the leader last, under
    writes (every acknowledged one is on every member at the end)."""
    rolling_restarts(ens, [{"quorum.auth.enableSasl": "true"}, {"quorum.auth.learnerRequireSasl": "true"},
                           {"quorum.auth.serverRequireSasl": "true"}], min_writes=30)
    assert_authenticated(ens)


@pytest.mark.slow
def test_rolling_steps_to_required_quorum_sasl(make_ensemble, jaas):
    ens = sasl_ensemble(make_ensemble, jaas, cfg={})
    ens.start()
    ens.wait_for_quorum()
    _rolling_sasl(ens)


@pytest.mark.slow
def test_mixed_rolling_steps_to_required_quorum_sasl(make_ensemble, jaas):
    java_zk.require_java_zookeeper()
    ens = sasl_ensemble(make_ensemble, jaas, kinds=("java", "python", "java"), cfg={})
    ens.start_first([1, 2])
    ens.wait_for_quorum(timeout=60)
    _rolling_sasl(ens)


# -- Java 3.8 ---------------------------------------------------------------------------------------


@MIXED
def test_mixed_ensemble_requiring_quorum_sasl(make_ensemble, jaas, kinds):
    """Member 3 leads first, then (3 killed) member 2: a Java and a Python leader in turn, each with
    followers of the other kind, all connections authenticated both ways."""
    java_zk.require_java_zookeeper()
    ens = sasl_ensemble(make_ensemble, jaas, kinds=kinds)
    ens.start_first([3])
    assert ens.wait_for_quorum(timeout=60) == 3
    assert_authenticated(ens)
    assert survive_leader_kill(ens, 3, "mixed", via=[1, 2], timeout=60) == 2


@MIXED
def test_mixed_ensemble_refuses_a_wrong_password(make_ensemble, jaas, bad_jaas, kinds):
    """Member 3 (Java or ours) with the wrong password; the other two keep their quorum."""
    java_zk.require_java_zookeeper()
    ens = sasl_ensemble(make_ensemble, jaas, kinds=kinds, member_flags={3: jaas_flags(bad_jaas)})
    ens.start()
    leader = ens.wait_for_quorum([1, 2], timeout=60)
    write_and_read_everywhere(ens, leader, "/without-3", b"ok", sids=[1, 2])
    assert ens.is_running(3) and ens.mode(3) is None


# -- startup -------------------------------------------------------------------------------------------


def _startup_code(tmp_path, jaas_text, cfg):
    from tests.support.net import free_port

    cfg = dict(cfg, **{"server.1": "127.0.0.1:%d:%d" % (free_port(), free_port()),
                       "server.2": "127.0.0.1:%d:%d" % (free_port(), free_port())})
    flags = []
    if jaas_text is not None:
        flags = jaas_flags(write(tmp_path / "jaas.conf", jaas_text))
    server = PythonServer(str(tmp_path / "s"), extra_cfg=cfg, flags=flags, myid=1)
    return server.run_to_exit()


@pytest.mark.parametrize("jaas_text, expected", [
    (None, "java.security.auth.login.config is not set"),
    ("Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_a=\"b\"; };\n",
     "'QuorumServer' could not be found"),
    (JAAS.replace("QuorumLearner", "Other"), "'QuorumLearner' could not be found"),
    ("QuorumServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_a=\"b\"\n",
     "jaas.conf:3"),
], ids=["no-jaas", "no-QuorumServer", "no-QuorumLearner", "malformed"])
def test_bad_quorum_sasl_setup_stops_our_server(tmp_path, jaas_text, expected):
    """Exit 2 naming the file and why (a malformed file is found first by the client port's JAAS login)."""
    code, out = _startup_code(tmp_path, jaas_text, SASL_ON)
    assert code == 2, out
    assert expected in out, out
    if "malformed" not in expected and not expected.startswith("jaas"):
        assert "quorum.auth.enableSasl" in out and "zoo.cfg" in out, out


def test_kerberos_quorum_section_that_cannot_log_in_stops_our_server(tmp_path):
    """A Krb5LoginModule QuorumServer section whose keytab does not exist: exit 2 naming the section and file
    (without zookeeper_py.common.sasl_gssapi, any Krb5LoginModule quorum section is refused the same way)."""
    text = JAAS.replace("org.apache.zookeeper.server.auth.DigestLoginModule required\n    user_zkpeer=\"peersecret\"",
                        'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true '
                        'keyTab="/nonexistent/zkquorum.keytab" storeKey=true '
                        'principal="zkquorum/localhost@EXAMPLE.COM"', 1)
    assert "Krb5LoginModule" in text
    code, out = _startup_code(tmp_path, text, SASL_ON)
    assert code == 2, out
    assert "QuorumServer" in out and "jaas.conf" in out and "quorum.auth.enableSasl" in out, out


def test_require_keys_without_enable_sasl_stop_our_server(tmp_path):
    code, out = _startup_code(tmp_path, JAAS, {"quorum.auth.learnerRequireSasl": "true"})
    assert code == 2, out
    assert "quorum.auth.enableSasl is disabled" in out, out


# -- the exchange itself, over a socket pair -------------------------------------------------------------


@pytest.fixture
def in_process_jaas(tmp_path):
    def use(text):
        system_properties.set_property(JAAS_KEY, write(tmp_path / ("jaas%d.conf" % len(used)), text))
        used.append(1)

    used = []
    yield use
    system_properties.clear_property(JAAS_KEY)


def _exchange(server_jaas, learner_jaas, use, server_required=True, learner_required=True):
    """SaslQuorumAuthServer and SaslQuorumAuthLearner over a socketpair: (server error, learner error)."""
    from zookeeper_py.server.quorum.auth.sasl_quorum_auth_learner import SaslQuorumAuthLearner
    from zookeeper_py.server.quorum.auth.sasl_quorum_auth_server import SaslQuorumAuthServer

    use(server_jaas)
    server = SaslQuorumAuthServer(server_required, "QuorumServer", {"127.0.0.1"})
    use(learner_jaas)
    learner = SaslQuorumAuthLearner(learner_required, "zkquorum/localhost", "QuorumLearner")
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    errors = {}

    def run_server():
        try:
            server.authenticate(a, AuthInputStream(a))
        except Exception as e:
            errors["server"] = e
        finally:
            if "server" in errors:
                a.close()

    t = threading.Thread(target=run_server)
    t.start()
    try:
        learner.authenticate(b, "localhost")
    except Exception as e:
        errors["learner"] = e
    b.close()
    t.join(10)
    a.close()
    return errors.get("server"), errors.get("learner")


def test_exchange_succeeds_with_the_right_password(in_process_jaas):
    assert _exchange(JAAS, JAAS, in_process_jaas) == (None, None)


def test_exchange_fails_both_ways_with_a_wrong_password(in_process_jaas):
    server_error, learner_error = _exchange(JAAS, BAD_JAAS, in_process_jaas)
    assert isinstance(server_error, SaslException) and "Mismatched response" in str(server_error)
    assert isinstance(learner_error, SaslException) and "ERROR" in str(learner_error)


def test_server_not_requiring_sasl_keeps_a_failed_learner_but_the_learner_gives_up(in_process_jaas):
    server_error, learner_error = _exchange(JAAS, BAD_JAAS, in_process_jaas, server_required=False)
    assert server_error is None
    assert isinstance(learner_error, SaslException)


def test_next_packet_is_auth_leaves_the_bytes_for_the_next_reader():
    a, b = socket.socketpair()
    with a, b:
        b.sendall(struct.pack(">i", 4) + b"abcd")
        b.sendall(b"efgh")
        din = AuthInputStream(a)
        a.settimeout(5)
        assert not QuorumAuth.next_packet_is_auth(din)
        assert din.unread() == struct.pack(">i", 4) + b"abcd"
        b.sendall(QuorumAuth.create_packet(Status.SUCCESS, b"xy").to_bytes())
        assert a.recv(4) == b"efgh"
        assert QuorumAuth.next_packet_is_auth(din)
        packet = QuorumAuth.read_packet(din)
        assert (packet.status, packet.token) == (1, b"xy")


def test_magic_number_is_javas():
    # Java's -0xa0dbcafecafe1234L, as a long: what a Java learner sends first
    assert QuorumAuth.QUORUM_AUTH_MAGIC_NUMBER == 0x5f2435013501edcc
    assert QuorumAuth.create_packet(Status.IN_PROGRESS, None).to_bytes() == bytes.fromhex(
        "5f2435013501edcc" "00000000" "ffffffff")


# -- Kerberos (GSSAPI through zookeeper_py.common.sasl_gssapi) ---------------------------------------------

KRB5 = "com.sun.security.auth.module.Krb5LoginModule"


def _krb5_section(name, principal, keytab):
    return ('%s {\n    %s required\n    useKeyTab=true\n    keyTab="%s"\n    storeKey=true\n    useTicketCache=false\n'
            '    doNotPrompt=true\n    principal="%s";\n};\n' % (name, KRB5, keytab, principal))


@pytest.fixture
def krb5_quorum(tmp_path, tmp_path_factory):
    """(JAAS file, flags): QuorumServer as zkquorum/localhost (the default quorum.auth.kerberos.servicePrincipal),
    QuorumLearner as learner/127.0.0.1@REALM: a Kerberos learner's host must be one of the ensemble's (the hosts
    of the server.N lines, 127.0.0.1 here; 3.8.4, ZOOKEEPER-4753)."""
    from tests.support.kdc import gssapi_missing_reason, session_kdc

    reason = gssapi_missing_reason()
    if reason:
        pytest.skip(reason)
    kdc = session_kdc(tmp_path_factory)
    keytab = kdc.keytab("zkquorum/localhost", "learner/127.0.0.1", path=str(tmp_path / "quorum.keytab"))
    path = write(tmp_path / "krb5-jaas.conf",
                 _krb5_section("QuorumServer", kdc.principal("zkquorum/localhost"), keytab)
                 + _krb5_section("QuorumLearner", kdc.principal("learner/127.0.0.1"), keytab))
    return path, jaas_flags(path) + kdc.java_flags()


@pytest.mark.parametrize("kinds", [("python",) * 3, ("java", "python", "java"), ("python", "java", "python")],
                         ids=["3python", "2java-1python", "1java-2python"])
def test_kerberos_quorum_elects_replicates_and_survives_leader_kill(make_ensemble, krb5_quorum, kinds):
    if "java" in kinds:
        java_zk.require_java_zookeeper()
    _, flags = krb5_quorum
    ens = make_ensemble(kinds=list(kinds), extra_cfg=dict(SASL_ON), flags=flags)
    ens.start_first([3])
    assert ens.wait_for_quorum(timeout=60) == 3
    assert_authenticated(ens)
    assert any("authenticationID=learner/127.0.0.1@" in ens.log(sid) for sid in ens.servers)
    assert survive_leader_kill(ens, 3, "krb", via=[1], timeout=60, rejoin=False) == 2


def test_kerberos_learner_without_a_host_part_is_refused(make_ensemble, krb5_quorum, tmp_path, tmp_path_factory):
    """Member 3's QuorumLearner principal is intruder@REALM (a valid ticket, no host part): 1 and 2 refuse it
    (3.8.4's rule, CVE-2023-44981) naming the principal, and keep their quorum."""
    from tests.support.kdc import session_kdc

    kdc = session_kdc(tmp_path_factory)
    good_path, flags = krb5_quorum
    keytab = kdc.keytab("zkquorum/localhost", "intruder", path=str(tmp_path / "intruder.keytab"))
    bad = write(tmp_path / "intruder-jaas.conf",
                _krb5_section("QuorumServer", kdc.principal("zkquorum/localhost"), keytab)
                + _krb5_section("QuorumLearner", kdc.principal("intruder"), keytab))
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg=dict(SASL_ON), flags=flags, member_flags={3: jaas_flags(bad)})
    ens.start()
    leader = ens.wait_for_quorum([1, 2], timeout=45)
    wait_until(lambda: "intruder@%s is not authorized to connect" % kdc.realm in ens.log(1) + ens.log(2),
               timeout=30, message="1 or 2 refusing intruder@REALM")
    write_and_read_everywhere(ens, leader, "/no-intruder", b"ok", sids=[1, 2])
    assert ens.mode(3) is None


def test_server_principal_host_pattern():
    from zookeeper_py.util.security_utils import SecurityUtils

    assert SecurityUtils.get_server_principal("zkquorum/_HOST", "Node1.Example.COM") == "zkquorum/node1.example.com"
    assert SecurityUtils.get_server_principal("zkquorum/localhost", "node1") == "zkquorum/localhost"
    # Java splits on "/" only: a realm after _HOST keeps the pattern (3.5.7 and 3.8.4 alike)
    assert SecurityUtils.get_server_principal("zkquorum/_HOST@EXAMPLE.COM", "node1") == "zkquorum/_HOST@EXAMPLE.COM"
