"""net_utils: names resolved and listen addresses bound as Java resolves and binds them."""

import socket

import pytest

from tests.support.net import ipv6_loopback_missing
from zookeeper_py.common import net_utils
from zookeeper_py.common.net_utils import NetUtils, inet_socket_address_str, resolve, server_socket


def _answers(monkeypatch, *ips):
    """The system resolver gives ips for every name, in this order (as /etc/hosts can)."""
    def getaddrinfo(host, port, family=0, type=0, *args):
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, 0, 0, 0) if ":" in ip else (ip, 0)) for ip in ips]
    monkeypatch.setattr(net_utils.socket, "getaddrinfo", getaddrinfo)


def test_a_name_with_ipv6_and_ipv4_addresses_is_its_ipv4_one_everywhere(monkeypatch):
    """Java's InetAddress.getByName puts IPv4 first (java.net.preferIPv6Addresses=false). Ours took
    the resolver's first: a member of a name on ::1 and 127.0.0.1 bound 127.0.0.1 and advertised
    [::1], so the members it asked to connect back were refused, and it stayed out of the quorum."""
    _answers(monkeypatch, "::1", "127.0.0.1")
    assert resolve("both") == "127.0.0.1"
    assert NetUtils.format_inet_addr(("both", 3888)) == "127.0.0.1:3888"
    assert inet_socket_address_str(("both", 3888)) == "both/127.0.0.1:3888"
    ss, host = server_socket("both")
    ss.close()
    assert (ss.family, host) == (socket.AF_INET, "127.0.0.1")
    _answers(monkeypatch, "::1")
    ss, host = server_socket("v6-only")
    ss.close()
    assert (ss.family, host) == (socket.AF_INET6, "::1")
    assert NetUtils.format_inet_addr(("v6-only", 3888)) == "[0:0:0:0:0:0:0:1]:3888"
    assert inet_socket_address_str(("v6-only", 3888)) == "v6-only/[0:0:0:0:0:0:0:1]:3888"


def test_addresses_print_as_javas_inet_socket_address():
    assert inet_socket_address_str(("::1", 2181)) == "/[0:0:0:0:0:0:0:1]:2181"
    assert inet_socket_address_str(("127.0.0.1", 2181)) == "/127.0.0.1:2181"
    assert inet_socket_address_str(("no-such-host.invalid", 2181)) == "no-such-host.invalid/<unresolved>:2181"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::", ""])
def test_the_wildcard_takes_ipv6_and_ipv4_peers(wildcard):
    reason = ipv6_loopback_missing()
    if reason:
        pytest.skip(reason)
    ss, host = server_socket(wildcard)
    try:
        ss.bind((host, 0))
        ss.listen(4)
        port = ss.getsockname()[1]
        for peer in ("127.0.0.1", "::1"):
            with socket.create_connection((peer, port), timeout=5):
                accepted, addr = ss.accept()
                accepted.close()
                assert net_utils.unmapped(addr[0]) == peer
    finally:
        ss.close()
