"""A private Mosquitto MQTT broker for tests, on 127.0.0.1 and a free port.

The broker runs as a child process (``asyncio.create_subprocess_exec``: no
threads) with its own config and log in a temporary directory. Tests can cut it
(``stop()``) and bring it back on the same port (``restart()``). ``scripts/setup``
installs the ``mosquitto`` binary; tests skip when ``mosquitto_binary()`` is None.

    broker = Mosquitto()
    await broker.start()  # broker.host, broker.port
    ...
    await broker.stop()

Optionally as a house would run it: TLS (``tls=BrokerTls(cafile, certfile,
keyfile)``), password authentication (``users={"name": "password"}``: nobody
anonymous), an ACL (``acl="..."``, Mosquitto's ``acl_file`` syntax) and any other
setting (``settings=["use_username_as_clientid true"]``).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import secrets
import shutil
import socket
import tempfile
from typing import IO

# Debian installs the broker in /usr/sbin, which is not on every user's PATH.
FALLBACK_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
START_TIMEOUT = 5.0  # seconds for the port to accept connections
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL
POLL_INTERVAL = 0.05
LOG_TAIL_LINES = 20


def mosquitto_binary() -> str | None:
    """The ``mosquitto`` broker binary, or None when it is not installed."""
    found = shutil.which("mosquitto")
    if found is not None:
        return found
    for path in FALLBACK_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# Mosquitto 2's password hash ($7$: PBKDF2-SHA512, as mosquitto_passwd writes it).
PASSWORD_ITERATIONS = 101


class MosquittoError(RuntimeError):
    """The broker did not start; the message ends with its log's tail."""


@dataclass(frozen=True)
class BrokerTls:
    """The broker's TLS files: the CA clients trust, its certificate and key (PEM)."""

    cafile: Path
    certfile: Path
    keyfile: Path


def password_line(user: str, password: str) -> str:
    """One line of a Mosquitto 2 password file (what ``mosquitto_passwd`` writes)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PASSWORD_ITERATIONS)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{user}:$7${PASSWORD_ITERATIONS}${encoded[0]}${encoded[1]}"


class Mosquitto:
    """A private mosquitto on 127.0.0.1 with a free port, config in a temp dir.

    Config: ``listener <port> 127.0.0.1``, ``allow_anonymous true``,
    ``persistence false``, log to ``mosquitto.log`` in the directory. The port is
    chosen on the first ``start()`` and kept by ``restart()``. With ``tls`` the
    listener speaks TLS only; with ``users`` every client must log in as one of
    them; with ``acl`` that ACL applies.
    """

    host: str = "127.0.0.1"

    def __init__(
        self,
        port: int | None = None,
        directory: Path | None = None,
        *,
        tls: BrokerTls | None = None,
        users: Mapping[str, str] | None = None,
        acl: str | None = None,
        settings: Sequence[str] = (),
    ) -> None:
        """``port``: a fixed port (default: a free one); ``directory``: for config and log.

        Without ``directory`` a temporary one is made on ``start()`` and removed
        on ``stop()``. ``tls``, ``users`` and ``acl``: see the class; ``settings``:
        more lines of ``mosquitto.conf`` (``use_username_as_clientid true``).
        """
        self.port = port or 0
        self._fixed_port = port is not None
        self._directory = directory
        self.tls = tls
        self.users = dict(users) if users is not None else None
        self.acl = acl
        self.settings = tuple(settings)
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.returncode is None

    @property
    def directory(self) -> Path:
        """Where the config and log live (only meaningful once started)."""
        if self._directory is not None:
            return self._directory
        if self._temporary is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="intelergy-mosquitto-")
        return Path(self._temporary.name)

    @property
    def log_path(self) -> Path:
        """The broker's log file."""
        return self.directory / "mosquitto.log"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the broker's log and stderr."""
        text = []
        for path in (self.log_path, self.directory / "stderr.log"):
            with contextlib.suppress(OSError):
                text.extend(path.read_text(errors="replace").splitlines())
        return "\n".join(text[-lines:])

    def _write_config(self) -> Path:
        """Write ``mosquitto.conf`` for the present port; return its path."""
        config = self.directory / "mosquitto.conf"
        lines = [
            f"listener {self.port} {self.host}",
            f"allow_anonymous {'false' if self.users is not None else 'true'}",
            "persistence false",
            f"log_dest file {self.log_path}",
            "log_type all",
            "connection_messages true",
        ]
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.cafile}",
                f"certfile {self.tls.certfile}",
                f"keyfile {self.tls.keyfile}",
                "tls_version tlsv1.2",
            ]
        if self.users is not None:
            passwords = self.directory / "passwords"
            passwords.write_text(
                "".join(f"{password_line(u, p)}\n" for u, p in self.users.items())
            )
            passwords.chmod(0o600)
            lines.append(f"password_file {passwords}")
        if self.acl is not None:
            acl = self.directory / "acl"
            acl.write_text(self.acl)
            lines.append(f"acl_file {acl}")
        lines.extend(self.settings)
        if os.geteuid() == 0:
            # As root, mosquitto 2 drops to user "mosquitto", who could not write
            # the log in a root-owned temporary directory.
            lines.append("user root")
        config.write_text("\n".join(lines) + "\n")
        return config

    def _open_stderr(self) -> IO[bytes]:
        """The file the broker's stderr goes to (errors before the log is open)."""
        return (self.directory / "stderr.log").open("wb")

    async def start(self) -> None:
        """Start the broker; return when its port accepts TCP connections.

        Raises ``MosquittoError`` (with the log's tail) when the binary is
        missing, the broker exits, or the port does not open within ~5 s.
        """
        if self.running:
            return
        binary = mosquitto_binary()
        if binary is None:
            raise MosquittoError("mosquitto is not installed (run scripts/setup)")
        attempts = 1 if self._fixed_port or self.port else 3
        for attempt in range(attempts):
            if not self.port:
                self.port = free_port(self.host)
            try:
                await self._spawn(binary)
            except MosquittoError as err:
                # Someone took the free port between choosing and binding it.
                if attempt + 1 < attempts and "in use" in str(err):
                    self.port = 0
                    continue
                raise
            return

    async def _spawn(self, binary: str) -> None:
        """Run the broker once on ``self.port`` and wait for the port to open."""
        config = self._write_config()
        self.log_path.unlink(missing_ok=True)
        stderr = self._open_stderr()
        try:
            self._process = await asyncio.create_subprocess_exec(
                binary,
                "-c",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        finally:
            stderr.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while True:
            if self._process.returncode is not None:
                code = self._process.returncode
                self._process = None
                raise MosquittoError(
                    f"mosquitto exited with {code} on port {self.port}:\n"
                    f"{self.log_tail()}"
                )
            if await self._accepts():
                return
            if loop.time() > deadline:
                tail = self.log_tail()
                await self.stop()
                raise MosquittoError(
                    f"mosquitto did not open port {self.port} in {START_TIMEOUT:g} s:\n"
                    f"{tail}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def _accepts(self) -> bool:
        """Whether the port accepts a TCP connection now."""
        try:
            _, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def stop(self) -> None:
        """Terminate the broker and wait for it (SIGKILL after ~5 s); idempotent."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    async def restart(self) -> None:
        """Start again on the same port (after ``stop()``, or stop first)."""
        await self.stop()
        await self.start()
