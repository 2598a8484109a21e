"""Mirror of org.apache.zookeeper.JLineZNodeCompleter, as a prompt_toolkit Completer.

Like Java's: a token starting with "/" completes to the children of its parent znode,
read from the server; the first word completes to command names. Beyond Java: a token
starting with "-" after a command completes to that command's options. As JLine does, the
only command or option that matches is completed with a space after it, ready for the next
argument. A znode path is completed without one (JLine adds it), so that typing "/" goes on
to its children.
"""

from prompt_toolkit.completion import Completer, Completion


class JLineZNodeCompleter(Completer):
    """Mirror of org.apache.zookeeper.JLineZNodeCompleter."""

    def __init__(self, main):
        self.main = main  # the ZooKeeperMain: its zk changes on `connect`

    def get_completions(self, document, complete_event):
        buffer = document.text_before_cursor
        token = ""
        if not buffer.endswith(" "):
            tokens = buffer.split(" ")
            if tokens:
                token = tokens[-1]
        if token.startswith("/"):
            yield from self.complete_znode(buffer, token)
        elif token.startswith("-") and buffer.split():
            yield from self.complete_option(buffer.split()[0], token)
        elif not buffer.strip() or (len(buffer.split()) == 1 and not buffer.endswith(" ")):
            yield from self.complete_command(buffer, token)

    def complete_command(self, buffer, token):
        return _candidates(self.main.get_commands(), token, " ")

    def complete_option(self, cmd, token):
        return _candidates(self.main.get_command_options(cmd), token, " ")

    def complete_znode(self, buffer, token):
        zk = self.main.zk
        if zk is None or not zk.get_state().is_connected():
            return  # asking a server we do not have would hang the prompt
        idx = token.rfind("/") + 1
        prefix = token[idx:]
        directory = "/" if idx == 1 else token[:idx - 1]
        try:
            children = zk.get_children(directory, False)
        except Exception:
            return  # NoNode, connection loss, a bad path: no candidates, as Java
        yield from _candidates(sorted(children), prefix)


def _candidates(words, prefix, after_the_only_one=""):
    """Completions of prefix among words; the only one is followed by after_the_only_one."""
    matches = [w for w in words if w.startswith(prefix)]
    if len(matches) == 1:
        return [Completion(matches[0] + after_the_only_one, start_position=-len(prefix), display=matches[0])]
    return [Completion(w, start_position=-len(prefix)) for w in matches]
