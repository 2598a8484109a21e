"""Shared fixtures: our server and Java ZooKeeper as real processes on free ports."""

import pytest

from tests.support.servers import JavaServer, PythonServer

SERVER_KINDS = {"python": PythonServer, "java": JavaServer}


def start_server(kind, tmp_path_factory, **kwargs):
    base = tmp_path_factory.mktemp(kind + "-server")
    server = SERVER_KINDS[kind](str(base), **kwargs)
    server.start()
    return server


@pytest.fixture
def py_server(tmp_path_factory):
    """A fresh standalone zookeeper_py server for one test."""
    server = start_server("python", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def java_server(tmp_path_factory):
    """A fresh standalone Java ZooKeeper 3.8 server for one test (skipped where not installed)."""
    server = start_server("java", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(params=["python", "java"])
def zk_server(request, tmp_path_factory):
    """The same test once against our server and once against Java ZooKeeper 3.8."""
    server = start_server(request.param, tmp_path_factory)
    yield server
    server.stop()
