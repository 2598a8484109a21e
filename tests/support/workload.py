"""A small fixed workload that leaves nodes, ephemerals and watches on a server, for tests
that compare what our server and Java's report about them (four-letter words, AdminServer)."""

from kazoo.client import KazooClient


class Workload:
    """Two kazoo clients, A and B, that made nodes and watches and stay connected."""

    def __init__(self, server):
        self.server = server
        self.a = KazooClient(hosts=server.address)
        self.a.start(timeout=15)
        self.b = KazooClient(hosts=server.address)
        self.b.start(timeout=15)
        a, b = self.a, self.b
        a.create("/a", b"x")
        a.create("/a/b", b"yy")
        a.create("/e", b"", ephemeral=True)
        for i in range(12):
            a.create("/n%d" % i, b"v", ephemeral=(i % 3 == 0))
            a.get("/n%d" % i, watch=lambda e: None)
        a.get("/a", watch=lambda e: None)
        a.exists("/nope", watch=lambda e: None)
        a.get_children("/a", watch=lambda e: None)
        b.get("/a", watch=lambda e: None)
        b.get("/n3", watch=lambda e: None)
        # Session ids differ from run to run and server to server: compare by label.
        self.sessions = {a.client_id[0]: "<A>", b.client_id[0]: "<B>"}

    def close(self):
        for c in (self.a, self.b):
            try:
                c.stop()
                c.close()
            except Exception:
                pass
