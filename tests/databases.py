"""Private PostgreSQL and MariaDB servers for recorder-backed tests (and benchmarks).

A test module opts in with ``pytestmark = pytest.mark.databases``: its tests that
use the recorder then run once per back-end (``db``: sqlite, postgresql, mariadb).
Each server is started once per session, on first use, on 127.0.0.1 at a free
port with its socket and data in a temporary folder (no system service, no
password: trust / skip-grant-tables), and removed at the end. Each test gets a
fresh database, created and dropped as pytest-homeassistant-custom-component's
``recorder_db_url`` does it for ``--dburl``; the recorder makes its schema.
scripts/setup installs the servers (Debian's postgresql and mariadb-server) and
the drivers HA's recorder uses (psycopg2, mysqlclient). A back-end whose server
binary is missing is skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
import os
from pathlib import Path
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any
import uuid

BACKENDS = ("sqlite", "postgresql", "mariadb")


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(
        f"the server did not listen on {port}: {log.read_text()[-2000:]}"
    )


class Server:
    """A private database server; ``url(name)`` for a database on it."""

    scheme = ""

    def __init__(self) -> None:
        """A free port and a temporary folder; subclasses start the server."""
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix=f"intelergy-{self.scheme}-"))
        self.process: subprocess.Popen[bytes] | None = None
        try:
            self.start()
        except BaseException:
            self.stop()  # no server, no folder left behind
            raise

    def start(self) -> None:
        """Start the server in ``folder`` on ``port``."""
        raise NotImplementedError

    def url(self, database: str) -> str:
        """The recorder's URL of ``database`` on this server."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's initdb and postgres (Debian's, else PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name),
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("postgres") else None


class Postgres(Server):
    """initdb + postgres, trust authentication; as ``postgres`` when run as root."""

    scheme = "postgresql"

    def __init__(self, bin_dir: Path) -> None:
        """PostgreSQL of ``bin_dir``, started."""
        self.bin_dir = bin_dir
        super().__init__()

    def start(self) -> None:
        """Make a cluster with initdb in the folder and start it (fsync off: test data)."""
        bin_dir = self.bin_dir
        user: dict[str, Any] = {}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            entry = pwd.getpwnam("postgres")
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            user = {"user": entry.pw_uid, "group": entry.pw_gid}
        data, log = self.folder / "data", self.folder / "server.log"
        initdb = [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust"]
        subprocess.run(  # noqa: S603
            [*initdb, "-E", "UTF8", "--no-sync", "--locale=C"],
            check=True,
            capture_output=True,
            **user,
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    *(bin_dir / "postgres", "-D", data, "-p", str(self.port)),
                    *("-k", str(self.folder), "-c", "listen_addresses=127.0.0.1"),
                    *("-c", "fsync=off", "-c", "synchronous_commit=off"),
                    *("-c", "full_page_writes=off"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                **user,
            )
        _wait_for_port(self.port, self.process, log)

    def url(self, database: str) -> str:
        """postgresql://, as HA's recorder documents it (psycopg2)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def mariadb_bin() -> tuple[Path, Path] | None:
    """MariaDB's server and mariadb-install-db, if installed."""
    server = shutil.which("mariadbd") or (
        "/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None
    )
    install = shutil.which("mariadb-install-db")
    return (Path(server), Path(install)) if server and install else None


class MariaDB(Server):
    """mariadb-install-db + mariadbd with --skip-grant-tables (any user, no password)."""

    scheme = "mariadb"

    def __init__(self, server: Path, install: Path) -> None:
        """MariaDB's ``server``, its data made by ``install``, started."""
        self.binaries = (server, install)
        super().__init__()

    def start(self) -> None:
        """mariadb-install-db in the folder and start the server on it."""
        server, install = self.binaries
        data, log = self.folder / "data", self.folder / "server.log"
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(  # noqa: S603
            [
                *(install, "--no-defaults", f"--datadir={data}", "--skip-test-db"),
                *("--auth-root-authentication-method=normal", *user),
            ],
            check=True,
            capture_output=True,
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    *(server, "--no-defaults", f"--datadir={data}", *user),
                    f"--port={self.port}",
                    f"--socket={self.folder / 'mysqld.sock'}",
                    f"--pid-file={self.folder / 'mysqld.pid'}",
                    *("--bind-address=127.0.0.1", "--skip-grant-tables"),
                    *("--skip-name-resolve", "--skip-log-bin"),
                    *("--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.process, log)

    def url(self, database: str) -> str:
        """mysql://…?charset=utf8mb4, as HA's recorder documents it (mysqlclient)."""
        return f"mysql://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"


class Servers:
    """The session's servers, each started on first use; why a back-end is missing."""

    def __init__(self) -> None:
        """None started yet."""
        self.running: dict[str, Server] = {}
        self.missing: dict[str, str] = {}

    def get(self, backend: str) -> Server | str:
        """The running server of ``backend``, or why there is none."""
        if backend in self.running:
            return self.running[backend]
        if backend in self.missing:
            return self.missing[backend]
        server: Server
        if backend == "postgresql":
            if (bin_dir := postgres_bin()) is None:
                self.missing[backend] = "PostgreSQL is not installed (scripts/setup)"
                return self.missing[backend]
            server = Postgres(bin_dir)
        else:
            if (binaries := mariadb_bin()) is None:
                self.missing[backend] = "MariaDB is not installed (scripts/setup)"
                return self.missing[backend]
            server = MariaDB(*binaries)
        self.running[backend] = server
        return server

    def stop(self) -> None:
        """Stop every server started."""
        for server in self.running.values():
            server.stop()
        self.running.clear()


def create_database(url: str) -> None:
    """A fresh database at ``url`` (as the plugin's ``recorder_db_url`` makes one)."""
    import sqlalchemy_utils  # noqa: PLC0415

    sqlalchemy_utils.create_database(
        url,
        encoding="utf8mb4' COLLATE = 'utf8mb4_unicode_ci"
        if url.startswith("mysql://")
        else "utf8",
    )


def drop_database(url: str) -> None:
    """Drop the database at ``url`` (MariaDB: none of its connections left open)."""
    import sqlalchemy as sa  # noqa: PLC0415
    import sqlalchemy_utils  # noqa: PLC0415

    if url.startswith("mysql://"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            rows = connection.execute(
                sa.text(
                    "select id FROM information_schema.processlist"
                    " WHERE db=:db and id != CONNECTION_ID()"
                ),
                parameters={"db": sa.make_url(url).database},
            ).fetchall()
        engine.dispose()
        if rows:
            raise RuntimeError(f"database {url} is still in use by {rows}")
    sqlalchemy_utils.drop_database(url)


def fresh_database(server: Server) -> Iterator[str]:
    """A new database on ``server`` for one test (or benchmark), dropped after."""
    url = server.url(f"intelergy_{uuid.uuid4().hex[:12]}")
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)
