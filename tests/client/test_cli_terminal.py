"""zkCli at a terminal: Tab completion from the server, history across runs, redo, and a
server lost while typing.

Two ways in: prompt_toolkit's pipe input with a VT100 output into memory (in process),
and a real terminal in tmux running bin/zkCli.sh (skipped where tmux is missing).
"""

import io
import os
import shutil
import subprocess
import sys
import threading
import uuid

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from tests.client.conftest import make_server
from tests.support.net import wait_until
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.zoo_defs import Ids
from zookeeper_py.zookeeper_main import HISTORY_ENV, ZooKeeperMain

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UP = "\x1b[A"


class Shell:
    """A ZooKeeperMain reading keys from a pipe, drawing into memory, in a thread."""

    def __init__(self, address):
        self.screen = io.StringIO()
        self.output = Vt100_Output(self.screen, lambda: Size(rows=40, columns=200), term="xterm")
        self._pipe_cm = create_pipe_input()
        self.input = self._pipe_cm.__enter__()
        self.main = ZooKeeperMain(["-server", address])
        self.result = None
        self.thread = threading.Thread(target=self._run, name="shell", daemon=True)
        self.thread.start()
        wait_until(lambda: "[zk: " in self.screen.getvalue(), 10, message="prompt")

    def _run(self):
        self.result = self.main.run(input=self.input, output=self.output)

    def send(self, keys):
        self.input.send_text(keys)

    def text(self):
        """What is typed on the prompt line now."""
        session = self.main.session
        return session.default_buffer.text if session is not None else None

    def line(self, text):
        """Type a line, press Enter, wait until the shell counted it."""
        n = self.main.command_count
        self.send(text + "\r")
        wait_until(lambda: self.main.command_count > n, 10, message="line %r run" % text)

    def close(self):
        self.main.print_watches = False  # the Closed event would print after pytest's capture
        self.send("\x04")  # Ctrl-D on an empty line: EOF
        self.thread.join(10)
        self._pipe_cm.__exit__(None, None, None)
        if self.main.zk is not None:
            self.main.zk.close()


@pytest.fixture
def history_file(tmp_path, monkeypatch):
    path = tmp_path / "history"
    monkeypatch.setenv(HISTORY_ENV, str(path))
    return path


def test_tab_completes_znode_paths_from_the_server(server, zk, history_file):
    name = "tc_" + uuid.uuid4().hex[:8]
    zk.create("/" + name, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
    zk.create("/%s/child_one" % name, b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
    shell = Shell(server.address)
    try:
        # A unique prefix completes to the only matching child of "/".
        shell.send("ls /" + name[:7] + "\t")
        wait_until(lambda: shell.text() == "ls /" + name, 10, message="path completed")
        shell.send("/chi\t")
        wait_until(lambda: shell.text() == "ls /%s/child_one" % name, 10, message="child completed")
        shell.line("")
        assert shell.main.history[0] == "ls /%s/child_one" % name
        # Command names and options complete too.
        # The only command that matches is followed by a space, ready for its argument.
        shell.send("getAllCh\t")
        wait_until(lambda: shell.text() == "getAllChildrenNumber ", 10, message="command completed")
        shell.send("/" + name + "\r")
        wait_until(lambda: shell.main.command_count == 2, 10)
        assert shell.main.history[1] == "getAllChildrenNumber /" + name
        shell.send("ls -")
        shell.send("\t")
        # Several candidates: a menu, and the first Tab picks the first of them.
        wait_until(lambda: shell.main.session.default_buffer.complete_state is not None, 10, message="menu")
        state = shell.main.session.default_buffer.complete_state
        assert [c.text for c in state.completions] == ["-?", "-R", "-s", "-w"]
    finally:
        shell.close()


PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # a terminal's bracketed paste


def test_a_paste_of_several_lines_runs_each_as_a_command(server, zk, history_file, capsys):
    """Lines pasted at once run one by one, as typed, each after its own prompt and in history
    on its own; a last line with no newline waits on the prompt to be finished."""
    name = "/paste_" + uuid.uuid4().hex[:8]
    shell = Shell(server.address)
    try:
        shell.send("crea")  # typed before the paste: the paste goes on from it
        shell.send(PASTE_START + "te %s\r\ncreate %s/a x\rget %s/a\nls %s" % (name, name, name, name) + PASTE_END)
        wait_until(lambda: shell.main.command_count == 3, 10, message="three pasted lines run")
        wait_until(lambda: shell.text() == "ls " + name, 10, message="the unfinished line on the prompt")
        assert zk.get_data(name + "/a", False) == b"x"
        assert shell.main.history == {0: "create " + name, 1: "create %s/a x" % name, 2: "get %s/a" % name}
        shell.send(" -R\r")
        wait_until(lambda: shell.main.command_count == 4, 10)
        assert shell.main.history[3] == "ls %s -R" % name
        # A one-line paste ending in a newline runs at once.
        shell.send(PASTE_START + "stat %s\n" % name + PASTE_END)
        wait_until(lambda: shell.main.command_count == 5, 10, message="the pasted line run")
        assert shell.main.history[4] == "stat " + name
    finally:
        shell.close()
    printed = capsys.readouterr()
    # Each pasted line after the first is shown after its prompt, as if typed.
    assert "1] create %s/a x\n" % name in printed.out and "2] get %s/a\n" % name in printed.out
    assert printed.err.count("Created ") == 2
    stored = [line[1:] for line in history_file.read_text().splitlines() if line.startswith("+")]
    assert stored == ["create " + name, "create %s/a x" % name, "get %s/a" % name, "ls %s -R" % name,
                      "stat " + name]


def test_the_history_file_is_private_and_keeps_no_password(server, zk, history_file):
    history_file.write_text("")
    os.chmod(history_file, 0o644)  # as an older version left it
    shell = Shell(server.address)
    try:
        shell.line("addauth digest alice:secret-password")
        shell.line("ls /")
        # Within the run, Up recalls it all the same.
        shell.send(UP + UP)
        wait_until(lambda: shell.text() == "addauth digest alice:secret-password", 10, message="recalled")
        shell.send("\x03")  # Ctrl-C: drop it
    finally:
        shell.close()
    assert os.stat(history_file).st_mode & 0o777 == 0o600
    text = history_file.read_text()
    assert "+ls /" in text and "secret-password" not in text


def test_history_survives_restart_and_redo(server, zk, history_file):
    name = "/hist_" + uuid.uuid4().hex[:8]
    shell = Shell(server.address)
    try:
        shell.line("create %s first" % name)
        shell.line("delete %s" % name)
        shell.line("redo 0")  # runs `create ... first` again
        assert zk.get_data(name, False) == b"first"
        shell.line("history")
        assert shell.main.history == {0: "create %s first" % name, 1: "delete %s" % name,
                                      2: "create %s first" % name, 3: "history"}
        shell.line("redo 3x")
        shell.line("redo 5")
        assert shell.main.exit_code == 1
    finally:
        shell.close()
    assert "create %s first" % name in history_file.read_text()

    zk.delete(name, -1)
    # A new shell: Up recalls the last lines of the previous run.
    shell = Shell(server.address)
    try:
        shell.send(UP + UP + UP)  # redo 5, redo 3x, history ...
        shell.send(UP + UP)  # ... redo 0, delete
        shell.send(UP)  # the first create
        shell.line("")
        assert shell.main.history[0] == "create %s first" % name
        assert zk.get_data(name, False) == b"first"
    finally:
        shell.close()
        zk.delete(name, -1)


# -- a real terminal --

def tmux_missing():
    return None if shutil.which("tmux") else "tmux is not installed (apt-get install tmux)"


class Tmux:
    def __init__(self, command, env):
        self.name = "zkcli-" + uuid.uuid4().hex[:8]
        args = ["tmux", "new-session", "-d", "-s", self.name, "-x", "200", "-y", "60"]
        for k, v in env.items():
            args += ["-e", "%s=%s" % (k, v)]
        subprocess.run(args + [command], check=True)

    def capture(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", self.name],
                              capture_output=True, text=True).stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.name] + list(keys), check=True)

    def wait_for(self, text, timeout=15):
        try:
            return wait_until(lambda: text in self.capture(), timeout, message="%r on the terminal" % text)
        except TimeoutError as e:
            raise TimeoutError("%s; the screen:\n%s" % (e, self.capture())) from None

    def kill(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def lone_server(request, tmp_path_factory):
    """A server of the module's kind that this test may stop."""
    srv = make_server(request.node.callspec.params["server"], tmp_path_factory)
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("server", ["python", "java"], indirect=True)
def test_real_terminal_completion_lost_server_and_usage(server, lone_server, tmp_path):
    reason = tmux_missing()
    if reason:
        pytest.skip(reason)
    env = {"PYTHON": sys.executable, HISTORY_ENV: str(tmp_path / "hist"), "TERM": "xterm"}
    from zookeeper_py.zookeeper import States, ZooKeeper

    zk = ZooKeeper(lone_server.address, 10000)
    wait_until(lambda: zk.get_state() is States.CONNECTED, 10)
    zk.create("/tmux_target_node", b"", Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
    zk.close()
    term = Tmux("%s -server %s" % (os.path.join(REPO, "bin", "zkCli.sh"), lone_server.address), env)
    try:
        term.wait_for("(CONNECTED) 0]")
        term.keys("get -s /tmux_t", "Tab")
        term.wait_for("get -s /tmux_target_node")
        term.keys("Enter")
        term.wait_for("numChildren = 0")
        term.wait_for("(CONNECTED) 1]")
        term.keys("ls /zoo")  # typing, not yet Enter, when the server goes away
        lone_server.stop()
        term.wait_for("WatchedEvent state:Disconnected type:None path:null")
        # The prompt is drawn again under the event, the typed text kept.
        term.wait_for("] ls /zoo")
        term.keys("Enter")
        term.wait_for("KeeperErrorCode = ConnectionLoss for /zoo", timeout=30)
        term.keys("bogus", "Enter")
        term.wait_for("Command not found: Command not found bogus")
        screen = term.capture()
        assert "ZooKeeper -server host:port -client-configuration properties-file cmd args" in screen
        assert "\tls [-s] [-w] [-R] path" in screen or "ls [-s] [-w] [-R] path" in screen
        assert "Traceback" not in screen
        term.keys("C-d")
        wait_until(lambda: subprocess.run(["tmux", "has-session", "-t", term.name],
                                          capture_output=True).returncode != 0, 15, message="shell exited")
    finally:
        term.kill()
