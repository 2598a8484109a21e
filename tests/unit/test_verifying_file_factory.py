"""VerifyingFileFactory: Java's warning for relative paths and failure for missing ones."""

import logging

import pytest

from zookeeper_py.server.util.verifying_file_factory import VerifyingFileFactory

LOG = logging.getLogger("QuorumPeerConfig")


@pytest.mark.parametrize("path, warned", [("data", True), ("conf/zoo.cfg", True), ("./data", False), ("/var", False)])
def test_relative_paths_are_warned_unless_they_start_with_dot_slash(caplog, path, warned):
    with caplog.at_level(logging.WARNING, logger="QuorumPeerConfig"):
        assert VerifyingFileFactory(LOG, warn_for_relative_path=True).create(path) == path
    assert any("%s is relative. Prepend ./ to indicate that you're sure!" % path in r.getMessage()
               for r in caplog.records) is warned


def test_a_missing_path_fails_only_when_asked(tmp_path):
    missing = str(tmp_path / "nope")
    assert VerifyingFileFactory(LOG).create(missing) == missing
    with pytest.raises(ValueError, match="nope file is missing"):
        VerifyingFileFactory(LOG, fail_for_non_existing_path=True).create(missing)
    assert VerifyingFileFactory(LOG, fail_for_non_existing_path=True).create(str(tmp_path)) == str(tmp_path)
