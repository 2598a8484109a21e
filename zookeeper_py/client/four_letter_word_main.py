"""Mirror of org.apache.zookeeper.client.FourLetterWordMain: `python -m ... host port cmd`."""

import logging
import socket
import sys

LOG = logging.getLogger("FourLetterWordMain")

DEFAULT_SOCKET_TIMEOUT = 5000


class FourLetterWordMain:
    """Mirror of org.apache.zookeeper.client.FourLetterWordMain."""

    @staticmethod
    def send4_letter_word(host, port, cmd, secure=False, timeout=DEFAULT_SOCKET_TIMEOUT):
        """Send `cmd`, half-close, and return every line of the answer, each ending in "\\n"."""
        if secure:
            raise OSError("secure four letter words are not supported by zookeeper_py")
        LOG.info("connecting to %s %s", host, port)
        with socket.create_connection((host or "localhost", port), timeout=timeout / 1000.0) as sock:
            sock.settimeout(timeout / 1000.0)
            try:
                sock.sendall(cmd.encode("utf-8"))
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                chunks = []
                while True:
                    b = sock.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
            except socket.timeout as e:
                raise OSError("Exception while executing four letter word: " + cmd) from e
        text = b"".join(chunks).decode("utf-8", "replace")
        # BufferedReader.readLine per line, each appended with "\n".
        return "".join(line + "\n" for line in text.splitlines())


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) in (3, 4):
        secure = len(args) == 4 and args[3].lower() == "true"
        print(FourLetterWordMain.send4_letter_word(args[0], int(args[1]), args[2], secure))
    else:
        print("Usage: FourLetterWordMain <host> <port> <cmd> <secure(optional)>")


if __name__ == "__main__":
    main()
