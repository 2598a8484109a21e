"""The terminal side of zkCli: JLine's ConsoleReader, as a prompt_toolkit PromptSession.

What it adds to a plain PromptSession, each where a user would otherwise lose work:
- A paste of several lines runs them as several commands, one after the other, as JLine
  does. prompt_toolkit turns on the terminal's bracketed paste and would take the whole
  paste as one command ("create /a" and "create /b" pasted: `create /a create /b`).
  Each line is shown after its own prompt and kept in history on its own; a last line
  with no newline is left on the prompt to be finished.
- The history file is readable by its owner only, and never holds an `addauth` line
  (whose argument is a password); within the run, Up still recalls it.
"""

import os

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.patch_stdout import patch_stdout

# Commands whose arguments are secrets: kept in the run's history, never written to the file.
SECRET_COMMANDS = ("addauth",)


class PrivateFileHistory(FileHistory):
    """FileHistory in a file only its owner can read, without the lines that hold secrets."""

    def store_string(self, string):
        words = string.split()
        if words and words[0] in SECRET_COMMANDS:
            return
        fd = os.open(self.filename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a file an older version made readable by all
        finally:
            os.close(fd)
        super().store_string(string)


class ConsoleReader:
    """read_line() -> the next command typed or pasted; EOFError at Ctrl-D on an empty line,
    KeyboardInterrupt at Ctrl-C."""

    def __init__(self, history_path, completer, prompt):
        self.prompt = prompt  # a callable: the prompt's text now
        self.pasted = []  # lines of a paste not yet run
        self.unfinished = ""  # the last line of a paste, with no newline after it
        self.session = PromptSession(history=PrivateFileHistory(history_path), completer=completer,
                                     complete_while_typing=False, key_bindings=self._paste_bindings())

    def _paste_bindings(self):
        bindings = KeyBindings()

        @bindings.add(Keys.BracketedPaste)
        def paste(event):
            data = event.data.replace("\r\n", "\n").replace("\r", "\n")
            buffer = event.current_buffer
            if "\n" not in data:
                buffer.insert_text(data)
                return
            before, after = buffer.document.text_before_cursor, buffer.document.text_after_cursor
            lines = (before + data).split("\n")
            self.pasted = lines[1:-1]
            self.unfinished = lines[-1] + after
            buffer.text = lines[0]
            self.session.history.append_string(lines[0])
            event.app.exit(result=lines[0])

        return bindings

    def read_line(self):
        if self.pasted:
            line = self.pasted.pop(0)
            print(self.prompt() + line, flush=True)  # as if typed: the prompt, then the command
            self.session.history.append_string(line)
            return line
        default, self.unfinished = self.unfinished, ""
        # While the prompt is up, watcher output from the EventThread is printed above it, which
        # is then drawn again. A command's own output goes straight to the terminal, outside the
        # proxy: through it, it could land after the next prompt.
        with patch_stdout(raw=True):
            return self.session.prompt(self.prompt, default=default)
