"""The firmware's host build (build/firmware), made once per session.

``scripts/test`` builds it before pytest runs, so the fixture's ``cmake --build``
is a no-op there; run alone, pytest configures and builds it (about 30 s cold).
Tests skip only when no C++ compiler or cmake is available.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "firmware" / "esp32-meter"
BUILD = Path(os.environ.get("INTELERGY_FIRMWARE_BUILD", ROOT / "build" / "firmware"))
BUILD_TIMEOUT = 600.0  # seconds: a cold build with sanitizers on two cores


def _build(cmake: str, *targets: str) -> None:
    """Configure ``BUILD`` if needed and bring ``targets`` up to date."""
    if not (BUILD / "CMakeCache.txt").is_file():
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(  # noqa: S603 - a fixed command on the repo's own paths
            [cmake, "-S", str(SOURCE), "-B", str(BUILD), *generator],
            check=True,
            capture_output=True,
            timeout=BUILD_TIMEOUT,
        )
    result = subprocess.run(  # noqa: S603 - a fixed command on the repo's own paths
        [cmake, "--build", str(BUILD), "-j2", "--target", *targets],
        check=False,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    if result.returncode != 0:
        pytest.fail(
            f"firmware build failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )


def firmware_binary(name: str) -> Path:
    """``build/firmware/<name>``, built if needed; skips without a toolchain."""
    cmake = shutil.which("cmake")
    if cmake is None or shutil.which("c++") is None:
        pytest.skip(
            "no cmake or C++ compiler: scripts/setup installs them (g++, cmake)"
        )
    try:
        _build(cmake, name)
    except subprocess.CalledProcessError as err:
        output = (err.stdout or b"").decode(errors="replace")[-4000:]
        pytest.skip(
            f"cannot configure the firmware build (scripts/setup installs "
            f"GoogleTest, nlohmann-json, libmosquitto, mbedTLS, libcurl):\n{output}"
        )
    binary = BUILD / name
    if not binary.is_file():
        pytest.skip(
            f"{name} was not built (libmosquitto missing? see {BUILD}/CMakeCache.txt)"
        )
    return binary


@pytest.fixture(scope="session")
def meter_tests_binary() -> Path:
    """The GoogleTest binary (``--payloads`` prints the serializer's payloads)."""
    return firmware_binary("meter_tests")


@pytest.fixture(scope="session")
def host_meter_binary() -> Path:
    """The firmware's host build: a simulated meter on a real broker."""
    return firmware_binary("intelergy-meter")
