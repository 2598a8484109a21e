"""The ZooKeeper C client (cli_mt from the Debian package zookeeper-bin) works against our server.

cli_mt is interactive and asynchronous: it prints every completion and watch event on
stderr. The test types one command at a time and waits for the lines it expects. The same
steps run against Java ZooKeeper 3.8, which shows the expectations are the real ones.
"""

import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from tests.support.net import wait_until

CLI_MT = os.environ.get("ZK_CLI_MT", "/usr/lib/zookeeper/bin/cli_mt")

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not os.access(CLI_MT, os.X_OK) and not shutil.which("cli_mt"),
                       reason="C client cli_mt not installed (apt-get install zookeeper-bin)"),
]


class CliMt:
    """A running cli_mt with its stderr collected by a reader thread."""

    def __init__(self, address):
        exe = CLI_MT if os.access(CLI_MT, os.X_OK) else shutil.which("cli_mt")
        self.proc = subprocess.Popen([exe, address], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.text = ""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.text += line

    def output(self):
        with self.lock:
            return self.text

    def expect(self, pattern, start=0, timeout=10):
        """Wait until `pattern` (a regex) appears in the output after offset `start`; return the match."""
        regex = re.compile(pattern, re.M)
        try:
            return wait_until(lambda: regex.search(self.output(), start), timeout=timeout,
                              message="cli_mt output %r" % pattern)
        except TimeoutError:
            raise AssertionError("cli_mt never printed %r; output after the command:\n%s"
                                 % (pattern, self.output()[start:])) from None

    def run(self, command, *patterns, timeout=10):
        """Type a command, wait for every pattern; return the output since the command."""
        start = len(self.output())
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        for p in patterns:
            self.expect(p, start, timeout)
        return self.output()[start:]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(5)


@pytest.fixture
def cli(zk_server):
    c = CliMt(zk_server.address)
    try:
        c.expect(r"^Got a new session id: 0x[0-9a-f]+$")
        yield c
    finally:
        c.close()


def test_c_client_crud_and_watches(cli, zk_server):
    # create (cli_mt always stores the data "new"), then the errors a create can get
    cli.run("create /c", r"^\[/c\]: rc = 0\n\tname = /c$")
    cli.run("create /c", r"^\[/c\]: rc = -110$")  # ZNODEEXISTS
    cli.run("create +s /c/s-", r"^\[/c/s-\]: rc = 0\n\tname = /c/s-0000000000$")
    cli.run("create +e /c/e", r"^\[/c/e\]: rc = 0\n\tname = /c/e$")
    cli.run("create /no/parent", r"^\[/no/parent\]: rc = -101$")  # ZNONODE
    cli.run("create +e /c/e/kid", r"^\[/c/e/kid\]: rc = -108$")  # ZNOCHILDRENFOREPHEMERALS

    # get sets a data watch; the stat shows version 0 and no owner
    out = cli.run("get /c", r"^/c: rc = 0\n value_len = 3\nnew\nStat:\n", r"^\tversion=0\taversion=0$")
    assert "\tephemeralOwner = 0\n" in out, out
    cli.run("get /nope", r"^/nope: rc = -101$")

    # ls lists the children (and sets a child watch)
    out = cli.run("ls /c", r"^/c: rc = 0$", r"^time = \d+ msec\n(?!\t)")
    assert sorted(re.findall(r"^\t(\S+)$", out, re.M)) == ["e", "s-0000000000"], out

    # set fires the data watch from get, and returns the new stat
    out = cli.run("set /c hello", r"^Watcher CHANGED_EVENT state = CONNECTED_STATE for path /c$",
                  r"^/c: rc = 0 Stat:\n", r"^\tversion=1\taversion=0$")
    # a new child fires the child watch from ls
    cli.run("create /c/new", r"^Watcher CHILD_EVENT state = CONNECTED_STATE for path /c$")

    # exists-watch on a missing node fires on create
    cli.run("wexists /gone", r"^Error -101 for /gone$")  # synchronous in cli_mt: only errors print
    cli.run("create /gone", r"^Watcher CREATED_EVENT state = CONNECTED_STATE for path /gone$")
    cli.run("get /gone", r"^/gone: rc = 0\n value_len = 3\nnew\n")
    cli.run("delete /gone", r"^Watcher DELETED_EVENT state = CONNECTED_STATE for path /gone$",
            r"^/gone: rc = 0$")

    # data round trip and deletes
    cli.run("get /c", r"^/c: rc = 0\n value_len = 5\nhello\nStat:\n")
    cli.run("delete /c", r"^/c: rc = -111$")  # ZNOTEMPTY
    cli.run("delete /nope", r"^/nope: rc = -101$")
    cli.run("delete /c/s-0000000000", r"^/c/s-0000000000: rc = 0$")
    cli.run("ls2 /c", r"^/c: rc = 0$", r"^\tversion=1\taversion=0$")
    cli.run("sync /c", r"^\[/c\]: rc = 0\n\tname = /c$")
    cli.run("exists /c/missing", r"^Error -101 for /c/missing$")

    # the session is still good: nothing made the client reconnect or expire
    out = cli.output()
    assert "EXPIRED" not in out and "Shutting down" not in out, out
    assert out.count("Got a new session id") == 1, out


def test_c_client_ephemeral_goes_with_session(zk_server):
    """An ephemeral made by cli_mt disappears when cli_mt quits (its session closes)."""
    first = CliMt(zk_server.address)
    try:
        first.expect(r"^Got a new session id: 0x[0-9a-f]+$")
        first.run("create +e /eph", r"^\[/eph\]: rc = 0\n\tname = /eph$")
    finally:
        first.close()
    assert first.proc.returncode == 0, first.output()
    second = CliMt(zk_server.address)
    try:
        second.expect(r"^Got a new session id: 0x[0-9a-f]+$")
        deadline = time.time() + 10
        while True:
            out = second.run("get /eph", r"^/eph: rc = -?\d+$")
            if re.search(r"^/eph: rc = -101$", out, re.M):
                break
            assert time.time() < deadline, "ephemeral /eph outlived its session:\n" + out
            time.sleep(0.1)
    finally:
        second.close()
