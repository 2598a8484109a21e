"""The build steps setup.cfg cannot declare: the packaged defaults and the build date.

Everything else (name, dependencies, console scripts) is in setup.cfg.
"""

import os
import shutil
import subprocess
import time

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
# conf/ stays the operator's copy; the package carries these two as its defaults, for
# console scripts run where no conf/ is around.
PACKAGED_CONF = ("logging.yaml", "zoo.cfg")


def build_timestamp():
    """SOURCE_DATE_EPOCH (reproducible builds), else the date of the commit built, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return int(epoch)
    try:
        out = subprocess.run(["git", "-C", HERE, "log", "-1", "--format=%ct"], capture_output=True, text=True,
                             timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    return int(time.time())


class BuildPy(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout: its conf/ and version.py's mtime
        package_dir = os.path.join(self.build_lib, "zookeeper_py")
        conf_dir = os.path.join(package_dir, "conf")
        os.makedirs(conf_dir, exist_ok=True)
        for name in PACKAGED_CONF:
            shutil.copyfile(os.path.join(HERE, "conf", name), os.path.join(conf_dir, name))
        date = time.strftime("%m/%d/%Y %H:%M GMT", time.gmtime(build_timestamp()))
        with open(os.path.join(package_dir, "_build_info.py"), "w") as f:
            f.write('"""Written by setup.py when the package was built."""\n\nBUILD_DATE = "%s"\n' % date)


setup(cmdclass={"build_py": BuildPy})
