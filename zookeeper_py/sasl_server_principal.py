"""Mirror of org.apache.zookeeper.SaslServerPrincipal."""

import ipaddress
import logging
import socket

from zookeeper_py.client.zk_client_config import ZKClientConfig

LOG = logging.getLogger("SaslServerPrincipal")


def _is_ip_literal(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _reverse_lookup(ip):
    """InetAddress.getHostName/getCanonicalHostName of an IP: its name, or the IP text itself."""
    try:
        return socket.gethostbyaddr(ip)[0]
    except OSError:
        return ip


class SaslServerPrincipal:
    """Mirror of org.apache.zookeeper.SaslServerPrincipal: the server principal a SASL client asks for (3.8).

    zookeeper.server.principal if set, else <zookeeper.sasl.client.username>/<host>. The host
    is InetSocketAddress.getHostName(): the host as given, or for an IP literal its reverse
    lookup; with zookeeper.sasl.client.canonicalize.hostname (default true) it becomes the
    canonical name of the address unless that is only the IP text again. Only Kerberos uses
    it; DIGEST-MD5 always names the server "zk-sasl-md5"."""

    @staticmethod
    def get_server_principal(addr, client_config):
        configured = client_config.get_property(ZKClientConfig.ZOOKEEPER_SERVER_PRINCIPAL)
        if configured is not None:
            return configured
        user = client_config.get_property(ZKClientConfig.ZK_SASL_CLIENT_USERNAME,
                                          ZKClientConfig.ZK_SASL_CLIENT_USERNAME_DEFAULT)
        host = addr.get_host_string()
        ip = addr.get_address() if hasattr(addr, "get_address") else None
        if _is_ip_literal(host):
            ip = ip or host.strip("[]")
            host = _reverse_lookup(ip)
        canonicalize_text = client_config.get_property(ZKClientConfig.ZK_SASL_CLIENT_CANONICALIZE_HOSTNAME, "true")
        # Boolean.parseBoolean: "true" in any case is true, anything else false.
        if str(canonicalize_text).strip().lower() == "true":
            if ip is None:
                try:
                    ip = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
                except OSError:
                    raise ValueError("Unable to canonicalize address %s because it's not resolvable" % addr) from None
            canonical = _reverse_lookup(ip)
            # Avoid the literal IP address when the reverse lookup fails.
            if canonical != ip:
                host = canonical
            LOG.debug("Canonicalized address to %s", host)
        return user + "/" + host
