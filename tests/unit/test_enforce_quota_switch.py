"""zookeeper.enforceQuota is read as Java's Boolean.getBoolean reads it (only "true" turns it on),
and a value that is neither true nor false is logged: quotas would go unenforced, unsaid."""

import logging

import pytest

from zookeeper_py.common import system_properties
from zookeeper_py.server.zoo_keeper_server import ENFORCE_QUOTA, ZooKeeperServer


@pytest.mark.parametrize("value, enforced, warned", [
    ("true", True, False), ("TRUE", True, False), ("false", False, False), (None, False, False),
    ("yes", False, True), ("1", False, True),
])
def test_enforce_quota_switch(caplog, value, enforced, warned):
    if value is not None:
        system_properties.set_property(ENFORCE_QUOTA, value)
    try:
        with caplog.at_level(logging.WARNING, logger="ZooKeeperServer"):
            zks = ZooKeeperServer()
    finally:
        system_properties.clear_property(ENFORCE_QUOTA)
    assert zks.enforce_quota is enforced
    said = any("zookeeper.enforceQuota=%s is neither true nor false" % value in r.getMessage()
               for r in caplog.records)
    assert said is warned
