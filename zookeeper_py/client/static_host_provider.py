"""Mirror of org.apache.zookeeper.client.StaticHostProvider."""

import logging
import random
import socket
import threading
import time

from zookeeper_py.client.host_provider import HostProvider
from zookeeper_py.client.inet_socket_address import InetSocketAddress

LOG = logging.getLogger("StaticHostProvider")


def _default_resolver(host):
    """InetAddress.getAllByName: every address of host (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
    seen = []
    for info in infos:
        ip = info[4][0]
        if ip not in seen:
            seen.append(ip)
    return seen


class StaticHostProvider(HostProvider):
    """Mirror of org.apache.zookeeper.client.StaticHostProvider.

    Round-robin over the shuffled server list; each next() resolves the host again (so a
    DNS change is picked up) and picks one of its addresses at random.
    """

    def __init__(self, server_addresses, randomness_seed=None, resolver=None):
        server_addresses = list(server_addresses)
        if not server_addresses:
            raise ValueError("A HostProvider may not be empty!")
        self._lock = threading.RLock()
        self.source_of_randomness = random.Random(
            randomness_seed if randomness_seed is not None else (time.time_ns() ^ id(self)))
        self.resolver = resolver or _default_resolver
        self.server_addresses = self._shuffle(server_addresses)
        self.current_index = -1
        self.last_index = -1
        self.reconfig_mode = False
        self.old_servers = []
        self.new_servers = []
        self.current_index_old = -1
        self.current_index_new = -1
        self.p_old = 0.0
        self.p_new = 0.0

    def _resolve(self, address):
        try:
            resolved = list(self.resolver(address.get_host_string()))
            if not resolved:
                return address
            random.shuffle(resolved)
            return InetSocketAddress(address.get_host_string(), address.get_port(), resolved[0])
        except OSError as e:
            LOG.error("Unable to resolve address: %s", address, exc_info=e)
            return address

    def _shuffle(self, addresses):
        tmp = list(addresses)
        self.source_of_randomness.shuffle(tmp)
        return tmp

    def update_server_list(self, server_addresses, current_host):
        """Probabilistic rebalancing after a config change (ZOOKEEPER-1355); True if the
        client should move to another server."""
        with self._lock:
            shuffled = self._shuffle(server_addresses)
            if not shuffled:
                raise ValueError("A HostProvider may not be empty!")
            my_server = current_host
            if self.reconfig_mode:
                my_server = self.next(0)
            if my_server is None:
                my_server = self.server_addresses[self.last_index if self.last_index >= 0 else 0]
            my_server_in_new_config = any(
                a.get_port() == my_server.get_port()
                and ((a.get_address() is not None and a.get_address() == my_server.get_address())
                     or a.get_host_string() == my_server.get_host_string())
                for a in shuffled)
            self.reconfig_mode = True
            self.new_servers = []
            self.old_servers = []
            for a in shuffled:
                (self.old_servers if a in self.server_addresses else self.new_servers).append(a)
            num_old = len(self.old_servers)
            num_new = len(self.new_servers)
            size = len(self.server_addresses)
            if num_old + num_new > size:
                if my_server_in_new_config:
                    if self.source_of_randomness.random() <= (1 - float(size) / (num_old + num_new)):
                        self.p_new, self.p_old = 1.0, 0.0
                    else:
                        self.reconfig_mode = False
                else:
                    self.p_new, self.p_old = 1.0, 0.0
            else:
                if my_server_in_new_config:
                    self.reconfig_mode = False
                else:
                    self.p_old = (float(num_old * (size - (num_old + num_new)))
                                  / ((num_old + num_new) * (size - num_old)))
                    self.p_new = 1 - self.p_old
            if not self.reconfig_mode:
                cur = self.get_server_at_current_index()
                self.current_index = shuffled.index(cur) if cur in shuffled else -1
            else:
                self.current_index = -1
            self.server_addresses = shuffled
            self.current_index_old = -1
            self.current_index_new = -1
            self.last_index = self.current_index
            return self.reconfig_mode

    def get_server_at_index(self, i):
        with self._lock:
            if i < 0 or i >= len(self.server_addresses):
                return None
            return self.server_addresses[i]

    def get_server_at_current_index(self):
        return self.get_server_at_index(self.current_index)

    def size(self):
        with self._lock:
            return len(self.server_addresses)

    def _next_host_in_reconfig_mode(self):
        take_new = self.source_of_randomness.random() <= self.p_new
        if self.current_index_new + 1 < len(self.new_servers) and (
                take_new or self.current_index_old + 1 >= len(self.old_servers)):
            self.current_index_new += 1
            return self.new_servers[self.current_index_new]
        if self.current_index_old + 1 < len(self.old_servers):
            self.current_index_old += 1
            return self.old_servers[self.current_index_old]
        return None

    def next(self, spin_delay):
        need_to_sleep = False
        with self._lock:
            if self.reconfig_mode:
                addr = self._next_host_in_reconfig_mode()
                if addr is not None:
                    self.current_index = self.server_addresses.index(addr)
                    return self._resolve(addr)
                self.reconfig_mode = False
                need_to_sleep = spin_delay > 0
            self.current_index += 1
            if self.current_index == len(self.server_addresses):
                self.current_index = 0
            addr = self.server_addresses[self.current_index]
            need_to_sleep = need_to_sleep or (self.current_index == self.last_index and spin_delay > 0)
            if self.last_index == -1:
                # First connect: start counting the cycle from here.
                self.last_index = 0
        if need_to_sleep:
            time.sleep(spin_delay / 1000.0)
        return self._resolve(addr)

    def on_connected(self):
        with self._lock:
            self.last_index = self.current_index
            self.reconfig_mode = False
