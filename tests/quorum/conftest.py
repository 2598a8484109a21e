"""Fixtures for replicated-ensemble tests: ensembles of real server processes, always torn down."""

import contextlib
import os

import pytest
from kazoo.client import KazooClient

from tests.support.ensemble import Ensemble


@pytest.fixture
def make_ensemble(tmp_path):
    """make_ensemble(kinds=..., observers=..., ...) -> a started-later Ensemble; all are killed at teardown."""
    made = []

    def make(**kwargs):
        ens = Ensemble(str(tmp_path / ("ensemble%d" % len(made))), **kwargs)
        made.append(ens)
        return ens

    yield make
    for ens in made:
        ens.stop()


@contextlib.contextmanager
def kazoo(hosts, timeout=15, **kwargs):
    """A started KazooClient, stopped and closed on exit."""
    client = KazooClient(hosts=hosts, timeout=timeout, **kwargs)
    client.start(timeout=timeout)
    try:
        yield client
    finally:
        try:
            client.stop()
            client.close()
        except Exception:
            pass


def log_offset(ens, sid):
    return len(ens.log(sid))


def log_since(ens, sid, offset):
    return ens.log(sid)[offset:]


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def learner_snapshot_line(log):
    """The log line of the snapshot a learner took after its SNAP (not the empty one of its start)."""
    after = log[log.index("Getting a snapshot from leader"):]
    return next(l for l in after.splitlines() if "Snapshotting: 0x" in l)
