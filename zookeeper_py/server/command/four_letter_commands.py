"""Mirror of org.apache.zookeeper.server.command.FourLetterCommands."""

import logging
import struct
import threading

from zookeeper_py.common import system_properties

LOG = logging.getLogger("FourLetterCommands")

ZOOKEEPER_4LW_COMMANDS_WHITELIST = "zookeeper.4lw.commands.whitelist"


def _code(word):
    return struct.unpack(">i", word.encode("ascii"))[0]


class FourLetterCommands:
    """Mirror of org.apache.zookeeper.server.command.FourLetterCommands: codes, names, the whitelist."""

    confCmd = _code("conf")
    consCmd = _code("cons")
    crstCmd = _code("crst")
    dirsCmd = _code("dirs")
    dumpCmd = _code("dump")
    enviCmd = _code("envi")
    getTraceMaskCmd = _code("gtmk")
    ruokCmd = _code("ruok")
    setTraceMaskCmd = _code("stmk")
    srvrCmd = _code("srvr")
    srstCmd = _code("srst")
    statCmd = _code("stat")
    wchcCmd = _code("wchc")
    wchpCmd = _code("wchp")
    wchsCmd = _code("wchs")
    mntrCmd = _code("mntr")
    isroCmd = _code("isro")
    telnetCloseCmd = struct.unpack(">i", bytes.fromhex("fff4fffd"))[0]

    cmd2String = {}
    _lock = threading.Lock()
    _whitelist = None

    @classmethod
    def reset_white_list(cls):
        with cls._lock:
            cls._whitelist = None

    @classmethod
    def get_command_string(cls, command):
        return cls.cmd2String.get(command)

    @classmethod
    def is_known(cls, command):
        return command in cls.cmd2String

    @classmethod
    def is_enabled(cls, command):
        with cls._lock:
            if cls._whitelist is None:
                enabled = set()
                commands = system_properties.get_property(ZOOKEEPER_4LW_COMMANDS_WHITELIST)
                if commands is not None:
                    for cmd in commands.split(","):
                        cmd = cmd.strip()
                        if cmd == "*":
                            enabled.update(cls.cmd2String.values())
                            break
                        if cmd:
                            enabled.add(cmd)
                if system_properties.get_property("readonlymode.enabled", "false") == "true":
                    enabled.add("isro")
                enabled.add("srvr")
                cls._whitelist = enabled
                LOG.info("The list of known four letter word commands is : %s", sorted(cls.cmd2String.values()))
                LOG.info("The list of enabled four letter word commands is : %s", sorted(enabled))
            return command in cls._whitelist


for _word in ("conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
              "wchc", "wchp", "wchs", "mntr", "isro"):
    FourLetterCommands.cmd2String[_code(_word)] = _word
FourLetterCommands.cmd2String[FourLetterCommands.telnetCloseCmd] = "telnet close"
