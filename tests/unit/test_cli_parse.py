"""zkCli's argument parsing (CliCommand.parse and each command's table), without a server: usage
errors, commons-cli errors and the deprecated 3.4-style forms, with Java's texts."""

import io

import pytest

from zookeeper_py.cli.cli_parse_exception import CliParseException
from zookeeper_py.cli.command_factory import CommandFactory


def command(name):
    by_name = {CommandFactory.get_instance(c).get_cmd_str(): c for c in CommandFactory.Command}
    cmd = CommandFactory.get_instance(by_name[name])
    cmd.set_out(io.StringIO())
    cmd.set_err(io.StringIO())
    return cmd


# Java's parse() refuses these with the usage when only the command name is given.
NEEDS_ARGS = ["create", "delete", "deleteall", "rmr", "set", "get", "getAcl", "setAcl", "stat", "sync",
              "setquota", "listquota", "delquota", "addauth", "removewatches", "addWatch", "ls2", "reconfig"]
# These parse without arguments (ls and getAllChildrenNumber complain in exec, as Java's).
NO_ARGS = ["ls", "config", "getEphemerals", "getAllChildrenNumber", "version", "whoami", "close"]


@pytest.mark.parametrize("name", NEEDS_ARGS)
def test_usage_error_without_arguments(name):
    cmd = command(name)
    with pytest.raises(CliParseException) as e:
        cmd.parse([name])
    if name == "setquota":  # its option group is required: commons-cli complains first
        assert str(e.value).startswith("org.apache.commons.cli.MissingOptionException: Missing required option: ")
    elif name != "reconfig":
        assert str(e.value) == cmd.get_usage_str()


@pytest.mark.parametrize("name", NO_ARGS)
def test_no_arguments_needed(name):
    cmd = command(name)
    assert cmd.parse([name]) is cmd


@pytest.mark.parametrize("name", ["set", "setAcl"])
def test_two_arguments_needed(name):
    with pytest.raises(CliParseException):
        command(name).parse([name, "/a"])
    assert command(name).parse([name, "/a", "x"]).args == [name, "/a", "x"]


def test_options_and_arguments():
    cmd = command("create").parse(["create", "-s", "-e", "/a", "data", "-t", "100"])
    assert cmd.args == ["create", "/a", "data"]
    assert cmd.cl.has_option("s") and cmd.cl.has_option("e") and cmd.cl.get_option_value("t") == "100"
    with pytest.raises(CliParseException, match="^org.apache.commons.cli.UnrecognizedOptionException: "
                                                "Unrecognized option: -x$"):
        command("get").parse(["get", "-x", "/a"])
    with pytest.raises(CliParseException, match="^org.apache.commons.cli.MissingArgumentException: "
                                                "Missing argument for option: v$"):
        command("delete").parse(["delete", "/a", "-v"])


@pytest.mark.parametrize("name, old, new", [
    ("get", "get path [watch]", "get [-s] [-w] path"),
    ("stat", "stat path [watch]", "stat [-w] path"),
    ("ls", "ls path [watch]", "ls [-w] path"),
])
def test_deprecated_watch_argument(name, old, new):
    cmd = command(name).parse([name, "/a", "1"])
    assert cmd.cl.has_option("w") and cmd.args == [name, "/a"]
    assert cmd.err.getvalue() == "'%s' has been deprecated. Please use '%s' instead.\n" % (old, new)
    quiet = command(name).parse([name, "-w", "/a"])
    assert quiet.cl.has_option("w") and quiet.err.getvalue() == ""


def test_deprecated_delete_version_is_ignored():
    cmd = command("delete").parse(["delete", "/a", "3"])
    assert not cmd.cl.has_option("v") and cmd.args == ["delete", "/a", "3"]
    assert cmd.err.getvalue() == ("'delete path [version]' has been deprecated. "
                                  "Please use 'delete [-v version] path' instead.\n")


def test_add_watch_needs_exactly_a_path_and_a_known_mode():
    for args in (["addWatch", "/a", "/b"], ["addWatch", "-m", "bogus", "/a"]):
        with pytest.raises(CliParseException):
            command("addWatch").parse(args)
    assert command("addWatch").parse(["addWatch", "-m", "persistent", "/a"]).mode.name == "PERSISTENT"


def test_version_takes_no_argument():
    with pytest.raises(CliParseException, match="^version $"):
        command("version").parse(["version", "x"])
