"""Mirror of org.apache.zookeeper.cli.CreateCommand."""

from zookeeper_py.cli.acl_parser import AclParser
from zookeeper_py.cli.cli_command import CliCommand
from zookeeper_py.cli.cli_wrapper_exception import CliWrapperException
from zookeeper_py.cli.commons_cli import Options
from zookeeper_py.cli.malformed_command_exception import MalformedCommandException
from zookeeper_py.cli.malformed_path_exception import MalformedPathException
from zookeeper_py.create_mode import CreateMode
from zookeeper_py.data import Stat
from zookeeper_py.keeper_exception import EphemeralOnLocalSessionException, InvalidACLException, KeeperException
from zookeeper_py.zoo_defs import Ids

_MAX_TTL = 0xFFFFFFFFFF  # EphemeralType.TTL.maxValue()


class CreateCommand(CliCommand):
    """Mirror of org.apache.zookeeper.cli.CreateCommand:
    `create [-s] [-e] [-c] [-t ttl] path [data] [acl]`; says `Created <path>` on stderr."""

    options = (Options().add_option("e", False, "ephemeral").add_option("s", False, "sequential")
               .add_option("c", False, "container").add_option("t", True, "ttl"))
    min_args = 2

    def __init__(self):
        super().__init__("create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]")

    def exec(self):
        cl = self.cl
        has_e, has_s, has_c, has_t = (cl.has_option(o) for o in "esct")
        if has_c and (has_e or has_s):
            raise MalformedCommandException(
                "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.")
        ttl = 0
        if has_t:
            try:
                ttl = int(cl.get_option_value("t"))
                if not -(1 << 63) <= ttl < (1 << 63):
                    raise ValueError
            except (TypeError, ValueError):
                raise MalformedCommandException("-t argument must be a long value") from None
        if has_t and has_e:
            raise MalformedCommandException("TTLs cannot be used with Ephemeral znodes")
        if has_t and has_c:
            raise MalformedCommandException("TTLs cannot be used with Container znodes")
        if has_e and has_s:
            flags = CreateMode.EPHEMERAL_SEQUENTIAL
        elif has_e:
            flags = CreateMode.EPHEMERAL
        elif has_s:
            flags = CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL if has_t else CreateMode.PERSISTENT_SEQUENTIAL
        elif has_c:
            flags = CreateMode.CONTAINER
        else:
            flags = CreateMode.PERSISTENT_WITH_TTL if has_t else CreateMode.PERSISTENT
        if has_t and (ttl > _MAX_TTL or ttl <= 0):
            raise MalformedCommandException("ttl must be positive and cannot be larger than: %d" % _MAX_TTL)
        path = self.args[1]
        data = self.args[2].encode("utf-8") if len(self.args) > 2 else None
        acl = Ids.OPEN_ACL_UNSAFE
        if len(self.args) > 3:
            acl = AclParser.parse(self.args[3], self.err)
        try:
            if has_t:
                new_path = self.zk.create(path, data, acl, flags, Stat(), ttl)
            else:
                new_path = self.zk.create(path, data, acl, flags)
            self.eprintln("Created " + new_path)
        except ValueError as ex:
            raise MalformedPathException(str(ex)) from None
        except EphemeralOnLocalSessionException as e:
            self.eprintln("Unable to create ephemeral node on a local session")
            raise CliWrapperException(e) from None
        except InvalidACLException as ex:
            self.eprintln(str(ex))
            raise CliWrapperException(ex) from None
        except KeeperException as ex:
            raise CliWrapperException(ex) from None
        return True
