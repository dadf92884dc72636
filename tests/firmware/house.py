"""A broker as a house should run it: TLS, a password per client, the shipped ACL.

The CA and the broker's certificate are made in the test's temporary directory
(``pki.py``); the ACL is ``firmware/esp32-meter/mosquitto/acl`` as shipped, with
``use_username_as_clientid`` as in ``mosquitto.conf.example``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.mosquitto import BrokerTls, Mosquitto

from .conftest import SOURCE
from .meter import Login, broker_running
from .pki import CertificateAuthority

ACL = SOURCE / "mosquitto" / "acl"
METERS = ("meter-a", "meter-b")
THIEF = "meter-c"  # a meter whose credentials were stolen
HOME_ASSISTANT = "homeassistant"


@dataclass(frozen=True)
class House:
    """The broker's CA, another CA nobody trusts, and every client's login."""

    authority: CertificateAuthority
    stranger: CertificateAuthority
    passwords: dict[str, str]

    def login(self, user: str) -> Login:
        """``user``'s credentials, over TLS."""
        return Login(user, self.passwords[user], self.authority.cafile)


def make_house(directory: Path) -> tuple[House, dict[str, Any]]:
    """A PKI and the passwords; the broker's options (``Mosquitto``'s)."""
    authority = CertificateAuthority.create(directory, "house")
    stranger = CertificateAuthority.create(directory, "stranger")
    certfile, keyfile = authority.issue_server("broker")
    passwords = {user: f"{user}-secret" for user in (*METERS, THIEF, HOME_ASSISTANT)}
    house = House(authority, stranger, passwords)
    options: dict[str, Any] = {
        "tls": BrokerTls(authority.cafile, certfile, keyfile),
        "users": passwords,
        "acl": ACL.read_text(),
        # As mosquitto.conf.example: one session per credential.
        "settings": ["use_username_as_clientid true"],
    }
    return house, options


@contextlib.asynccontextmanager
async def secure_broker(directory: Path) -> AsyncIterator[tuple[House, Mosquitto]]:
    """The house's broker (TLS, passwords, the shipped ACL), running."""
    house, options = make_house(directory)
    async with broker_running(**options) as broker:
        yield house, broker
