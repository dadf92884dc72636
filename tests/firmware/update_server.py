"""An HTTPS update server on 127.0.0.1 for the signed-OTA tests.

Python's ``http.server`` in a thread behind ``ssl`` with a certificate of the
test's own CA. Every GET takes the next ``Answer`` of a queue (404 once it is
empty: nothing offered) and records the request's headers. An answer can lie
about its length or stop half-way, as a broken or hostile server would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import ssl
import threading
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One response of the server.

    ``status`` and ``body``; ``length`` the Content-Length sent (None: the body's
    own; -1: none, the body ends with the connection); ``cut`` the bytes actually
    sent before the connection closes (None: all).
    """

    status: int = 200
    body: bytes = b""
    length: int | None = None
    cut: int | None = None


class UpdateServer:
    """HTTPS on 127.0.0.1, answers from ``answers`` in order."""

    def __init__(self, certfile: Path, keyfile: Path) -> None:
        """Serve with this certificate and key (PEM) once started."""
        self.answers: deque[Answer] = deque()
        self.requests: list[dict[str, str]] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(certfile, keyfile)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        port: int = self._server.server_address[1]
        return port

    def url(self, path: str = "/intelergy-meter.bin") -> str:
        """The https:// URL of ``path``."""
        return f"https://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        """Listen on a free port and serve in a thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers.items()))
                answer = server.answers.popleft() if server.answers else Answer(404)
                self.send_response(answer.status)
                length = len(answer.body) if answer.length is None else answer.length
                if length >= 0:
                    self.send_header("Content-Length", str(length))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                body = answer.body if answer.cut is None else answer.body[: answer.cut]
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that refused the certificate is no test failure."""

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.socket = self._context.wrap_socket(
            self._server.socket, server_side=True
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


@contextlib.contextmanager
def serving(certfile: Path, keyfile: Path) -> Iterator[UpdateServer]:
    """An ``UpdateServer``, stopped however the test ends."""
    server = UpdateServer(certfile, keyfile)
    server.start()
    try:
        yield server
    finally:
        server.stop()
