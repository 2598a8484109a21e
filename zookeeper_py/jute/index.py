"""Mirror of org.apache.jute.Index."""


class Index:
    """Mirror of org.apache.jute.Index: iterates the elements of a vector being read."""

    __slots__ = ("nelems",)

    def __init__(self, nelems):
        self.nelems = nelems

    def done(self):
        return self.nelems <= 0

    def incr(self):
        self.nelems -= 1
