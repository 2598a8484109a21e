"""Mirror of org.apache.zookeeper.client.FourLetterWordMain: `python -m ... [-Dk=v ...] host port cmd [secure]`."""

import logging
import socket
import sys

from zookeeper_py.common import system_properties
from zookeeper_py.common.client_x509_util import ClientX509Util

LOG = logging.getLogger("FourLetterWordMain")

DEFAULT_SOCKET_TIMEOUT = 5000


class FourLetterWordMain:
    """Mirror of org.apache.zookeeper.client.FourLetterWordMain."""

    @staticmethod
    def send4_letter_word(host, port, cmd, secure=False, timeout=DEFAULT_SOCKET_TIMEOUT):
        """Send `cmd`, half-close, and return every line of the answer, each ending in "\\n".

        secure: over TLS with the client context of the zookeeper.ssl.* system properties."""
        LOG.info("connecting to %s %s", host, port)
        host = host or "localhost"
        context = ClientX509Util().create_ssl_context(server_side=False) if secure else None
        with socket.create_connection((host, port), timeout=timeout / 1000.0) as plain:
            sock = context.wrap_socket(plain, server_hostname=host) if secure else plain
            sock.settimeout(timeout / 1000.0)
            try:
                sock.sendall(cmd.encode("utf-8"))
                if not secure:  # a TLS socket cannot half-close (Java skips shutdownOutput too)
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
            finally:
                sock.close()
        text = b"".join(chunks).decode("utf-8", "replace")
        # BufferedReader.readLine per line, each appended with "\n".
        return "".join(line + "\n" for line in text.splitlines())


def main(argv=None):
    args = system_properties.split_args(sys.argv[1:] if argv is None else argv, ("CLIENT_JVMFLAGS", "JVMFLAGS"))
    if len(args) in (3, 4):
        secure = len(args) == 4 and args[3].lower() == "true"
        print(FourLetterWordMain.send4_letter_word(args[0], int(args[1]), args[2], secure))
    else:
        print("Usage: FourLetterWordMain <host> <port> <cmd> <secure(optional)>")


if __name__ == "__main__":
    main()
