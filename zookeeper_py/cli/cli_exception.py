"""Mirror of org.apache.zookeeper.cli.CliException."""


class CliException(Exception):
    """Mirror of org.apache.zookeeper.cli.CliException: a message for stderr and an exit code.

    Built from a message, or from a cause (Java's CliException(Throwable)), whose
    toString() becomes the message.
    """

    DEFAULT_EXCEPTION_EXIT_CODE = 1

    def __init__(self, message_or_cause, exit_code=DEFAULT_EXCEPTION_EXIT_CODE):
        if isinstance(message_or_cause, BaseException):
            self.cause = message_or_cause
            message = str(message_or_cause)
        else:
            self.cause = None
            message = message_or_cause
        super().__init__(message)
        self.exit_code = exit_code

    def get_message(self):
        return self.args[0]

    def get_exit_code(self):
        return self.exit_code

    def __str__(self):
        return "" if self.args[0] is None else str(self.args[0])
