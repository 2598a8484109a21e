"""What a server without TLS, SASL or digest auth never imports: ssl (and PyPy's OpenSSL binding
behind hashlib and hmac) cost PyPy 60 ms of its start; platform, subprocess and tempfile cost its
first four-letter word 50 ms. Checked inside a real server process after real clients used it."""

import json
import os
import subprocess
import sys

import pytest
from kazoo.client import KazooClient

from tests.support.net import four_letter_word, free_port, wait_for_port
from tests.support.servers import REPO, pypy_python
from zookeeper_py.common.lazy_module import LazyModule

OPTIONAL = ["ssl", "_ssl", "hashlib", "hmac", "platform", "subprocess", "shutil", "tempfile"]

# The server's main() on a thread; the modules loaded are printed once the test writes a line.
SERVER = """
import json, os, sys, threading
from zookeeper_py.server.quorum import quorum_peer_main
threading.Thread(target=quorum_peer_main.main, args=([sys.argv[1]],), daemon=True).start()
sys.stdin.readline()
sys.stdout.write("MODULES " + json.dumps([m for m in json.loads(sys.argv[2]) if m in sys.modules]) + "\\n")
sys.stdout.flush()
os._exit(0)
"""


def runtimes():
    yield pytest.param(sys.executable, id="cpython")
    yield pytest.param("pypy", id="pypy")


@pytest.mark.parametrize("python", runtimes())
def test_a_plaintext_server_serving_clients_never_imports_tls_or_platform(tmp_path, python):
    if python == "pypy":
        python = pypy_python()
        if python is None:
            pytest.skip("pypy3 is not installed")
    port = free_port()
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text("tickTime=2000\ndataDir=%s\nclientPort=%d\n4lw.commands.whitelist=*\nadmin.enableServer=false\n"
                   % (tmp_path / "data", port))
    proc = subprocess.Popen([python, "-c", SERVER, str(cfg), json.dumps(OPTIONAL)], cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=REPO), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port("127.0.0.1", port)
        for word in ("ruok", "srvr", "stat", "conf", "mntr", "cons", "wchs"):
            assert four_letter_word("127.0.0.1", port, word)
        zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=10)
        zk.start(timeout=15)
        try:
            zk.create("/lazy", b"x", ephemeral=True)
            zk.set("/lazy", b"y")
            assert zk.get("/lazy", watch=lambda event: None)[0] == b"y"
            assert sorted(zk.get_children("/")) == ["lazy", "zookeeper"]
        finally:
            zk.stop()
            zk.close()
        out, _ = proc.communicate("report\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    loaded = [json.loads(line[len("MODULES "):]) for line in out.splitlines() if line.startswith("MODULES ")]
    assert loaded == [[]], out[-3000:]


def test_a_lazy_module_is_imported_at_its_first_attribute_read():
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "from zookeeper_py.common.lazy_module import LazyModule\n"
         "colorsys = LazyModule('colorsys')\n"
         "before = 'colorsys' in sys.modules\n"
         "value = colorsys.rgb_to_hsv(1.0, 0.0, 0.0)\n"
         "print(before, 'colorsys' in sys.modules, value, colorsys.rgb_to_hsv is sys.modules['colorsys'].rgb_to_hsv)"],
        cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO), capture_output=True, text=True, timeout=60)
    assert probe.stdout.split() == ["False", "True", "(0.0,", "1.0,", "1.0)", "True"], probe.stderr


def test_a_missing_attribute_of_a_lazy_module_raises_attribute_error():
    with pytest.raises(AttributeError):
        assert LazyModule("colorsys").no_such_function is None
