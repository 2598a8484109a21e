"""Quorum TLS: sslQuorum=true, the ssl.quorum.* keys, portUnification and sslQuorumReloadCertFiles.

Election connections (QuorumCnxManager) and Zab connections (LearnerCnxAcceptor /
LearnerHandler, Learner.connectToLeader) of real server processes: ours, Java 3.8's, and
mixed ensembles. A TLS peer port detects TLS on the connection's own thread
(UnifiedServerSocket), so what a plaintext, silent or half-TLS peer does costs only its
own connection.
"""

import os
import shutil
import socket
import ssl

import pytest

from tests.quorum.scenarios import (
    RUNTIMES,
    on_runtime,
    rolling_restarts,
    survive_leader_kill,
    write_and_read_everywhere,
)
from tests.support import java_zk
from tests.support.ensemble import Ensemble
from tests.support.net import closed_by_peer, wait_for_port, wait_until
from tests.support.tls import session_tls_material
from zookeeper_py.common.quorum_x509_util import QuorumX509Util

PREFIX = "ssl.quorum."
ELECTION_HEADER = b"\xff\xff\xff\xff\xff\xff\x00\x00"  # protocol version -65536, as a 3.5+ peer starts


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return session_tls_material(tmp_path_factory)


def tls_cfg(tls, kind="pem", ssl_quorum=True, port_unification=None, name="server", ca="main", **extra):
    """zoo.cfg keys of a TLS member: sslQuorum, portUnification and the ssl.quorum.* stores."""
    cfg = {"sslQuorum": "true" if ssl_quorum else "false"}
    if port_unification is not None:
        cfg["portUnification"] = "true" if port_unification else "false"
    cfg.update(tls.zoo_cfg_keys(kind, prefix=PREFIX, name=name, ca=ca))
    cfg.update(extra)
    return cfg


class _Props:
    """A ZKConfig-like view of zoo.cfg ssl.quorum.* keys, as the system properties they become."""

    def __init__(self, cfg):
        self.props = {"zookeeper." + k: v for k, v in cfg.items() if k.startswith(PREFIX)}

    def get_property(self, key, default=None):
        return self.props.get(key, default)


def client_context(tls, kind="pem", name="server", ca="main"):
    """The quorum client context a member builds (QuorumX509Util), from the same stores."""
    return QuorumX509Util(_Props(tls_cfg(tls, kind, name=name, ca=ca))).create_ssl_context(server_side=False)


def tls_handshake(port, context, timeout=10):
    """Complete a TLS handshake with 127.0.0.1:port (the server checked against 127.0.0.1); its cert (DER)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


def peer_ports(ens, leader):
    """Every TLS peer port: each member's election port and the leader's quorum port."""
    ports = [("election port of %d" % sid, ens.election_ports[sid]) for sid in ens.servers if ens.is_running(sid)]
    ports.append(("quorum port of leader %d" % leader, ens.quorum_ports[leader]))
    return ports


def assert_tls_in_use(ens, sids=None):
    for sid in sids or ens.running():
        log = ens.log(sid)
        assert "Accepted TLS connection from" in log or "SSL handshake complete with" in log, \
            "member %d logged no TLS connection:\n%s" % (sid, ens.servers[sid].output_tail())


def _java_tls_missing_reason():
    reason = getattr(java_zk, "tls_missing_reason", java_zk.missing_reason)()
    if reason is None and shutil.which("keytool") is None and not os.environ.get("JAVA_HOME"):
        reason = "keytool (JDK) is not installed: cannot make JKS stores"
    return reason


def require_java_tls():
    reason = _java_tls_missing_reason()
    if reason:
        pytest.skip(reason)


# -- Python members ------------------------------------------------------------------------------


@RUNTIMES
def test_three_members_with_ssl_quorum_elect_replicate_and_survive_leader_kill(make_ensemble, tls, runtime):
    ens = on_runtime(make_ensemble(kinds=["python"] * 3, extra_cfg=tls_cfg(tls, "pem")), runtime)
    ens.start()
    leader = ens.wait_for_quorum()
    assert_tls_in_use(ens)
    survive_leader_kill(ens, leader, "tls")


def test_observer_syncs_and_forwards_over_tls(make_ensemble, tls):
    """An observer (Learner.connectToLeader with OBSERVERINFO) over TLS: it syncs, forwards a write, sees it."""
    ens = make_ensemble(kinds=["python"] * 4, observers=[4], extra_cfg=tls_cfg(tls, "pem"))
    ens.start()
    ens.wait_for_quorum()
    assert ens.mode(4) == "observer"
    write_and_read_everywhere(ens, 4, "/through-the-observer", b"ok")
    assert "SSL handshake complete with" in ens.log(4)


def refuses(port, context, what):
    """The member at port refuses this TLS client: in the handshake (Java's ZKTrustManager) or by hanging up
    right after it (ours checks the client's certificate once the handshake is done)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(ELECTION_HEADER)
                assert closed_by_peer(s, 10) < 10, what
    except (ssl.SSLError, ConnectionError):
        pass


@pytest.mark.parametrize("runtime", ["python", "pypy", "java"])
def test_every_peer_port_completes_a_handshake_and_drops_plaintext(make_ensemble, tls, runtime):
    """A TLS handshake with the quorum client context on each election port and the leader's quorum port
    (each server's certificate checked against 127.0.0.1); a plaintext connection, a client without a
    certificate and one whose certificate does not name its address are dropped, and the member keeps
    its quorum. The threads that refused connections then carry the re-election after a leader kill.
    Java 3.8 alone ("java") answers the same probes the same way."""
    if runtime == "java":
        require_java_tls()
    kind = "jks" if runtime == "java" else "pem"
    ens = make_ensemble(kinds=["java" if runtime == "java" else "python"] * 3, extra_cfg=tls_cfg(tls, kind))
    on_runtime(ens, runtime)
    ens.start()
    leader = ens.wait_for_quorum(timeout=60)
    epoch = ens.zxid(leader) >> 32
    context = client_context(tls, kind)
    server_der = tls.cert_der("server")
    for what, port in peer_ports(ens, leader):
        assert tls_handshake(port, context) == server_der, what
    for what, port in peer_ports(ens, leader):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(ELECTION_HEADER)
            assert closed_by_peer(s, 10) < 10, what
    no_cert = ssl.create_default_context(cafile=tls.pem_files("server")[2])  # trusts the CA, offers no cert
    wrong_name = client_context(tls, kind, name="client")  # the right CA, no SAN, CN=client
    for what, port in peer_ports(ens, leader):
        refuses(port, no_cert, what + " (no certificate)")
        refuses(port, wrong_name, what + " (certificate not naming 127.0.0.1)")
    ens.assert_same_leader_for(leader, epoch, 2)
    if runtime != "java":
        for sid in ens.servers:
            log = ens.log(sid)
            assert "Blocked insecure connection attempt" in log, ens.servers[sid].output_tail()
            assert "client certificate refused" in log, ens.servers[sid].output_tail()
    survive_leader_kill(ens, leader, "probed", via=[leader], timeout=60, rejoin=False)


def test_client_auth_none_takes_peers_without_certificates(make_ensemble, tls):
    """ssl.quorum.clientAuth=none: the members ask no certificate of the peers that call them (and so check
    none against its address); a TLS client without one completes its handshake on every peer port."""
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg=tls_cfg(tls, "pem", **{PREFIX + "clientAuth": "none"}))
    ens.start()
    leader = ens.wait_for_quorum()
    write_and_read_everywhere(ens, leader, "/client-auth-none", b"ok")
    no_cert = ssl.create_default_context(cafile=tls.pem_files("server")[2])
    for what, port in peer_ports(ens, leader):
        assert tls_handshake(port, no_cert) == tls.cert_der("server"), what


@pytest.mark.parametrize("cert,runtime", [("other-ca", "python"), ("wrong-host", "python"), ("other-ca", "pypy")])
def test_member_with_a_cert_the_others_refuse_is_kept_out(make_ensemble, tls, cert, runtime):
    """Member 3's certificate comes from an unrelated CA (and it trusts only that CA), or from the right CA
    for another host name: members 1 and 2 refuse it and keep their quorum; member 3 runs on, serving no
    one."""
    if cert == "other-ca":
        tls.add_server("server-other", ca="other")
        member3 = tls_cfg(tls, "pem", name="server-other", ca="other")
        expected = ("unknown ca", "certificate verify failed")
    else:
        tls.add_server("server-elsewhere", hosts=("elsewhere.example",))
        member3 = tls_cfg(tls, "pem", name="server-elsewhere")
        expected = ("client certificate refused", "address mismatch")
    ens = on_runtime(make_ensemble(kinds=["python"] * 3, extra_cfg=tls_cfg(tls, "pem")), runtime)
    ens.servers[3].cfg.update(member3)
    ens.servers[3].write_cfg()
    # 3 listens before 1 and 2 look for a leader, so that they call it (and refuse its certificate) too.
    ens.start([3])
    wait_for_port("127.0.0.1", ens.election_ports[3])
    ens.start([1, 2])
    assert ens.wait_for_quorum([1, 2]) == 2
    write_and_read_everywhere(ens, 1, "/without-3", b"ok", sids=[1, 2])

    def refusals():
        text = ens.log(1) + ens.log(2)
        return all(word in text for word in expected) and "Cannot open channel to 3" in text
    wait_until(refusals, timeout=20, message="members 1 and 2 refuse member 3 both ways (%s)" % (expected,))
    assert ens.is_running(3)
    assert ens.mode(3) is None
    assert ens.modes([1, 2]) == {1: "follower", 2: "leader"}


def test_plaintext_silent_and_half_tls_connections_cost_only_themselves(make_ensemble, tls):
    """On each TLS peer port: two plaintext connections, two silent ones and one that sends a TLS record
    header and stops. Each is closed within the detection timeout (1 s here) and some slack; the leader
    and its epoch stay; writes go on."""
    cfg = tls_cfg(tls, "pem", **{PREFIX + "handshakeDetectionTimeoutMillis": "1000"})
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg=cfg)
    ens.start()
    leader = ens.wait_for_quorum()
    epoch = ens.zxid(leader) >> 32
    opened = []
    try:
        for what, port in peer_ports(ens, leader):
            for payload in (ELECTION_HEADER, b"\x00\x00\x00\x0b" + b"\x00" * 16, b"", b"", b"\x16\x03\x01\x02\x00"):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                if payload:
                    s.sendall(payload)
                opened.append((what, payload, s))
        # While they are open: the ensemble writes and keeps its leader.
        write_and_read_everywhere(ens, leader, "/while-probed", b"ok")
        for what, payload, s in opened:
            assert closed_by_peer(s, 15) < 15, (what, payload)
        ens.assert_same_leader_for(leader, epoch, 2)
    finally:
        for _, _, s in opened:
            s.close()
    logs = "".join(ens.log(sid) for sid in ens.servers)
    assert "Socket mode detection timed out after 1000 ms" in logs
    assert "Blocked insecure connection attempt" in logs
    assert "TLS handshake not complete after 1000 ms" in logs
    write_and_read_everywhere(ens, leader, "/after-probes", b"ok")


def test_missing_key_store_or_wrong_password_stops_the_server_with_exit_code_2(make_ensemble, tls):
    cfg = tls_cfg(tls, "pkcs12")
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg=cfg)
    missing = os.path.join(ens.base_dir, "no-such-keystore.p12")
    ens.servers[1].cfg[PREFIX + "keyStore.location"] = missing
    ens.servers[1].write_cfg()
    ens.servers[2].cfg[PREFIX + "keyStore.password"] = "wrong"
    ens.servers[2].write_cfg()
    # portUnification alone (the first step of the rolling upgrade) needs the key store as well.
    ens.servers[3].cfg.update({"sslQuorum": "false", "portUnification": "true",
                               PREFIX + "keyStore.location": missing})
    ens.servers[3].write_cfg()
    ens.start()
    for sid in ens.servers:
        code = ens.servers[sid].proc.wait(30)
        out = ens.servers[sid].all_output()
        assert code == 2, out
        assert "zookeeper.ssl.quorum.keyStore.location" in out, out
        assert ens.servers[sid].cfg_path in out, out
    assert missing in ens.servers[1].all_output()
    assert cfg[PREFIX + "keyStore.location"] in ens.servers[2].all_output()


def test_ssl_quorum_reload_cert_files_serves_the_new_certificate(make_ensemble, tls):
    """sslQuorumReloadCertFiles=true: a key store replaced on disk is what the next handshake presents,
    without a restart."""
    tls.add_server("server-renewed")
    ens = make_ensemble(kinds=["python"] * 3, extra_cfg=tls_cfg(tls, "pem", sslQuorumReloadCertFiles="true"))
    own_store = os.path.join(ens.servers[1].base_dir, "quorum-keystore.pem")
    shutil.copyfile(tls.key_store("server", "pem")[0], own_store)
    ens.servers[1].cfg[PREFIX + "keyStore.location"] = own_store
    ens.servers[1].write_cfg()
    ens.start()
    leader = ens.wait_for_quorum()
    context = client_context(tls, "pem")
    port = ens.election_ports[1]
    assert tls_handshake(port, context) == tls.cert_der("server")
    renewed = tls.key_store("server-renewed", "pem")[0]
    tmp = own_store + ".new"
    shutil.copyfile(renewed, tmp)
    os.replace(tmp, own_store)
    wait_until(lambda: tls_handshake(port, context) == tls.cert_der("server-renewed"), timeout=20,
               message="member 1 presents the renewed certificate")
    # The renewed certificate is from the same CA: the ensemble goes on, and re-elects with it.
    survive_leader_kill(ens, leader, "reload", via=[], rejoin=False)


# -- the rolling upgrade, plain -> TLS -------------------------------------------------------------


def _rolling_upgrade(ens, tls, kind):
    """The admin guide's three steps, one member at a time, followers first, the leader last, under writes
    (every acknowledged one is on every member at the end)."""
    keys = tls_cfg(tls, kind)
    del keys["sslQuorum"]
    steps = [
        dict(keys, sslQuorum="false", portUnification="true"),
        {"sslQuorum": "true"},
        {"portUnification": "false"},
    ]
    leader = rolling_restarts(ens, steps, min_writes=50)
    # Now TLS only: plaintext is dropped on every peer port, the quorum client context is served.
    context = client_context(tls, kind)
    for what, port in peer_ports(ens, leader):
        tls_handshake(port, context)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(ELECTION_HEADER)
            assert closed_by_peer(s, 10) < 10, what


@pytest.mark.slow
def test_rolling_upgrade_plain_to_tls_member_by_member(make_ensemble, tls):
    ens = make_ensemble(kinds=["python"] * 3)
    ens.start()
    ens.wait_for_quorum()
    _rolling_upgrade(ens, tls, "pem")
    for sid in ens.servers:
        log = ens.log(sid)
        assert "Accepted plaintext connection from" in log or "Accepted TLS connection from" in log
    assert_tls_in_use(ens)


# -- Java 3.8 --------------------------------------------------------------------------------------

_JAVA_ALONE = {}


@pytest.fixture(scope="module")
def java_alone(tmp_path_factory, tls):
    """Can three Java 3.8 members with sslQuorum=true elect, replicate and survive a leader kill on their
    own? ("ok", detail), ("skip", reason) or ("fail", what happened); run once per module."""
    if "result" not in _JAVA_ALONE:
        reason = _java_tls_missing_reason()
        if reason:
            _JAVA_ALONE["result"] = ("skip", reason)
        else:
            ens = Ensemble(str(tmp_path_factory.mktemp("java-alone-tls")), kinds=("java",) * 3,
                           extra_cfg=tls_cfg(tls, "jks"))
            try:
                ens.start()
                leader = ens.wait_for_quorum(timeout=60)
                new_leader = survive_leader_kill(ens, leader, "java-alone", via=[leader], timeout=60, rejoin=False)
                tls_lines = sum(ens.log(sid).count("Accepted TLS connection from") for sid in ens.servers)
                _JAVA_ALONE["result"] = ("ok", "leader %d, then %d; %d TLS connections accepted"
                                         % (leader, new_leader, tls_lines))
            except Exception as e:  # what Java did is the result
                _JAVA_ALONE["result"] = ("fail", "%s: %s" % (type(e).__name__, str(e)[-3000:]))
            finally:
                ens.stop()
    return _JAVA_ALONE["result"]


def require_java_tls_quorum(java_alone):
    status, detail = java_alone
    if status == "skip":
        pytest.skip(detail)
    if status == "fail":
        pytest.skip("Java 3.8 cannot form a TLS quorum with itself here (test_java_alone_forms_a_tls_quorum): "
                    + detail[:500])


def test_java_alone_forms_a_tls_quorum(java_alone):
    """The control: three Java 3.8 members with sslQuorum=true, on their own. (On Debian 12 + JDK 17,
    Java 3.8.0's election listener was once seen to stop after its first TLS connection; where that
    happens this xfails with what Java did, and the mixed tests skip.)"""
    status, detail = java_alone
    if status == "skip":
        pytest.skip(detail)
    if status == "fail":
        pytest.xfail("Java 3.8 alone does not form a TLS quorum here: " + detail)
    assert "TLS connections accepted" in detail


@pytest.mark.parametrize("kinds", [("java", "python", "java"), ("python", "java", "python")],
                         ids=["2java-1python", "1java-2python"])
def test_mixed_tls_quorum_elects_replicates_both_ways_and_survives_leader_kill(make_ensemble, tls, java_alone,
                                                                               kinds):
    """Member 3 leads first, then (3 killed) member 2: a Java and a Python leader in turn, each with
    followers of the other kind; writes go through members of both kinds."""
    require_java_tls_quorum(java_alone)
    ens = make_ensemble(kinds=list(kinds), extra_cfg=tls_cfg(tls, "jks"))
    ens.start_first([3])  # up before the others, so the election (highest sid), not the JVM start, decides
    assert ens.wait_for_quorum(timeout=60) == 3
    assert_tls_in_use(ens)
    context = client_context(tls, "jks")
    for what, port in peer_ports(ens, 3):
        assert tls_handshake(port, context) == tls.cert_der("server"), what
    assert survive_leader_kill(ens, 3, "mixed", via=[1, 2], timeout=60) == 2


@pytest.mark.slow
def test_mixed_rolling_upgrade_plain_to_tls(make_ensemble, tls, java_alone):
    require_java_tls_quorum(java_alone)
    ens = make_ensemble(kinds=["java", "python", "java"])
    ens.start_first([1, 2])
    ens.wait_for_quorum(timeout=60)
    _rolling_upgrade(ens, tls, "jks")
    assert_tls_in_use(ens)
