"""PlatformIO extra script of the signed-OTA environments (``-DMETER_OTA``).

Before the build: ``include/ota_public_key.h`` (git-ignored) from the public key in
the key directory, so the firmware trusts that key and no other. After the build:
``.pio/build/<env>/firmware.signed.bin``, the image signed with the private key and
``FIRMWARE_VERSION`` from ``include/config.h``: what the update server serves.

The key directory is ``$INTELERGY_OTA_KEYS`` (default ``~/.config/intelergy/ota``),
outside the repository; ``python tools/sign_firmware.py keygen DIR`` makes the pair
once. Without the private key there (it may live on another machine) the build
only says so, and the image is signed there with ``sign_firmware.py sign``.
"""

# ruff: noqa: F821, INP001

from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import sys
from typing import Any

Import("env")

PROJECT = Path(env.subst("$PROJECT_DIR"))
TOOL = PROJECT / "tools" / "sign_firmware.py"
KEYS = Path(
    os.environ.get("INTELERGY_OTA_KEYS", Path.home() / ".config" / "intelergy" / "ota")
).expanduser()
HEADER = PROJECT / "include" / "ota_public_key.h"


def tool(*args: object) -> None:
    """Run tools/sign_firmware.py with PlatformIO's Python."""
    subprocess.run(  # noqa: S603 - the project's own tool
        [env.subst("$PYTHONEXE"), str(TOOL), *map(str, args)], check=True
    )


def firmware_version() -> str:
    """FIRMWARE_VERSION of include/config.h."""
    text = (PROJECT / "include" / "config.h").read_text()
    match = re.search(r'#define\s+FIRMWARE_VERSION\s+"([^"]+)"', text)
    if match is None:
        sys.exit("pio_ota.py: no FIRMWARE_VERSION in include/config.h")
    return match.group(1)


def sign(target: list[Any], source: list[Any], env: Any) -> None:
    """After the build: firmware.signed.bin beside firmware.bin."""
    firmware = Path(str(target[0]))
    private = KEYS / "ota-private.pem"
    if not private.is_file():
        print(  # noqa: T201
            f"pio_ota.py: {private} not here: sign {firmware} where the key is "
            "(tools/sign_firmware.py sign)"
        )
        return
    tool(
        "sign",
        "--key",
        private,
        "--version",
        firmware_version(),
        "--in",
        firmware,
        "--out",
        firmware.with_name("firmware.signed.bin"),
    )


public_key = KEYS / "ota-public.der"
if not public_key.is_file():
    sys.exit(
        f"pio_ota.py: no OTA signing key in {KEYS}: run once "
        f"`python tools/sign_firmware.py keygen {KEYS}` (then back the directory up: "
        "a meter only takes updates signed with its key), or set INTELERGY_OTA_KEYS"
    )
tool("header", "--public-key", public_key, "--out", HEADER)
env.AddPostAction("$BUILD_DIR/${PROGNAME}.bin", sign)
