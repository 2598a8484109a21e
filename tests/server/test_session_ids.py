"""Session ids and passwords are made exactly as Java makes them, so a session can move
between Java and Python servers of one ensemble."""

from kazoo.client import KazooClient

from zookeeper_py.server.session_tracker_impl import SessionTrackerImpl
from zookeeper_py.server.zoo_keeper_server import generate_passwd


def test_password_of_a_java_session_matches_ours(java_server):
    passwords = []
    for _ in range(3):
        zk = KazooClient(java_server.address)
        zk.start(timeout=15)
        passwords.append(zk.client_id)
        zk.stop()
        zk.close()
    for session_id, passwd in passwords:
        assert generate_passwd(session_id) == passwd


def test_python_session_ids_carry_the_server_id(py_server):
    zk = KazooClient(py_server.address)
    zk.start(timeout=15)
    try:
        session_id, passwd = zk.client_id
        # Standalone servers make ids with server id 1 in the top byte, as Java's do.
        assert session_id >> 56 == 1
        assert passwd == generate_passwd(session_id)
    finally:
        zk.stop()
        zk.close()
    first = SessionTrackerImpl.initialize_next_session(5)
    # ((now << 24) >>> 8): the millisecond clock sits above 16 zero bits, under the server id.
    assert (first >> 56) & 0xFF == 5 and first & 0xFFFF == 0
