"""Signed OTA end to end: the host meter against a local HTTPS update server.

The keys and images are made here, in a temporary directory, by the firmware's own
tool (``tools/sign_firmware.py``: openssl, ECDSA P-256); the server is Python's
``http.server`` behind TLS with a certificate of a test CA that the meter pins
(``--ota-cafile``). One meter running 0.1.0 checks every 0.3 s and is offered, in
turn: nothing, a plain unsigned image, an image signed with another key, one with
a flipped byte, a forgery naming the trusted key, a download cut half-way, a body
longer than signed, an older signed image, and at last the genuine 0.2.0. Each
outcome is reported retained on ``…/ota`` (read with the integration's parser);
only the genuine image reaches the "partition" (``<state-dir>/ota-slot.bin``), and
only then does the meter restart (exit 3). Started again as 0.2.0 it reports the
update; started as 0.1.0 after it, a roll-back. A second meter that pins another
CA refuses the server (its log says why).
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
import shutil
import sys
from types import ModuleType

import pytest

from custom_components.intelergy.core.esp32.ota import OtaReport, parse_ota
from tests.mosquitto import mosquitto_binary

from .conftest import BUILD, SOURCE
from .meter import (
    TIMEOUT,
    Subscriber,
    broker_running,
    meter_process,
    start_meter,
    stderr_until,
    subscribed,
)
from .pki import CertificateAuthority
from .update_server import Answer, serving

pytestmark = [
    pytest.mark.skipif(
        mosquitto_binary() is None,
        reason="mosquitto is not installed (scripts/setup installs it)",
    ),
    pytest.mark.skipif(
        shutil.which("openssl") is None,
        reason="openssl is not installed (scripts/setup installs it)",
    ),
    pytest.mark.timeout(300),  # the first test may build the firmware
]

TOOL = SOURCE / "tools" / "sign_firmware.py"
DEVICE = "ota-meter"
IMAGE_BYTES = 300_000


def load_tool() -> ModuleType:
    """``tools/sign_firmware.py`` as a module (to build the forgery with it)."""
    spec = importlib.util.spec_from_file_location("sign_firmware", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def tool(*args: str | Path) -> str:
    """Run the signing tool; its stdout (fails the test on an error)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(TOOL),
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def next_report(sub: Subscriber, after: int) -> tuple[int, OtaReport]:
    """The next ``…/ota`` report from index ``after``, parsed."""
    index, message = await sub.wait_for("ota", after=after)
    assert message.topic == f"intelergy/{DEVICE}/ota"
    return index, parse_ota(message.payload)


async def test_only_a_genuine_newer_image_is_installed(
    socket_enabled: None, host_meter_binary: Path, tmp_path: Path
) -> None:
    keys, attacker = tmp_path / "keys", tmp_path / "attacker"
    await tool("keygen", keys)
    await tool("keygen", attacker)
    images = tmp_path / "images"
    images.mkdir()
    firmware = bytes([0xE9]) + bytes(range(256)) * (IMAGE_BYTES // 256)
    (images / "firmware.bin").write_bytes(firmware)

    async def signed(name: str, version: str, key: Path = keys) -> bytes:
        out = images / name
        await tool(
            "sign",
            "--key",
            key / "ota-private.pem",
            "--version",
            version,
            "--in",
            images / "firmware.bin",
            "--out",
            out,
        )
        return out.read_bytes()

    genuine = await signed("genuine.bin", "0.2.0")
    older = await signed("older.bin", "0.0.9")
    other_key = await signed("other-key.bin", "0.2.0", attacker)
    flipped = bytearray(genuine)
    flipped[256 + IMAGE_BYTES // 2] ^= 0x01
    # A forgery: the attacker signs a header naming the trusted key.
    sign_tool = load_tool()
    trusted_der = (keys / "ota-public.der").read_bytes()
    part = sign_tool.signed_part("0.3.0", len(firmware), trusted_der)
    signature = await asyncio.to_thread(
        sign_tool.openssl,
        "dgst",
        "-sha256",
        "-sign",
        str(attacker / "ota-private.pem"),
        data=part + firmware,
    )
    forged = (part + bytes([len(signature)]) + signature).ljust(256, b"\0") + firmware
    assert sign_tool.key_id(trusted_der).hex() in await tool(
        "info", images / "genuine.bin"
    )

    authority = CertificateAuthority.create(tmp_path / "pki", "updates")
    stranger = CertificateAuthority.create(tmp_path / "pki", "stranger")
    certfile, keyfile = authority.issue_server("update-server")
    state = tmp_path / "state"
    state.mkdir()
    slot = state / "ota-slot.bin"
    ota_args = ["--state-dir", str(state), "--ota-key", str(keys / "ota-public.der")]

    with serving(certfile, keyfile) as server:
        server.answers.extend(
            [
                Answer(304),  # nothing new: not reported
                Answer(200, firmware),  # unsigned
                Answer(200, other_key),  # signed, but not by the meter's key
                Answer(200, bytes(flipped)),  # one bit changed
                Answer(200, forged),  # the trusted key's id, another key's signature
                Answer(200, genuine, cut=len(genuine) // 2),  # the connection drops
                Answer(200, genuine + b"\0" * 7),  # longer than signed
                Answer(200, older),  # a genuine but older image
                Answer(200, genuine),
            ]
        )
        meter_args = [
            *ota_args,
            "--ota-url",
            server.url(),
            "--ota-cafile",
            str(authority.cafile),
            "--ota-interval",
            "0.3",
        ]
        async with (
            broker_running() as broker,
            subscribed(broker, f"intelergy/{DEVICE}/ota") as sub,
        ):
            # A meter that pins another CA: the TLS handshake fails, it says so.
            stray = await start_meter(
                host_meter_binary,
                broker,
                "stray-meter",
                "--state-dir",
                str(tmp_path),
                "--ota-key",
                str(keys / "ota-public.der"),
                "--ota-url",
                server.url("/stray.bin"),
                "--ota-cafile",
                str(stranger.cafile),
            )
            try:
                log = await stderr_until(stray, "OTA: download_failed")
            finally:
                stray.kill()
                await stray.communicate()
            assert "TLS: SSL certificate problem" in log, log
            assert not (tmp_path / "ota-slot.bin").exists()
            assert server.requests == []  # the request never left the meter

            async with meter_process(
                host_meter_binary, broker, DEVICE, *meter_args
            ) as meter:
                index, report = await next_report(sub, 0)  # at connect
                assert (report.version, report.result) == ("0.1.0", "none")
                outcomes: list[OtaReport] = []
                while len(outcomes) < 8:
                    index, report = await next_report(sub, index)
                    outcomes.append(report)
                    if report.result != "ok":
                        assert not slot.exists(), report
                assert meter.stdout is not None
                line = await asyncio.wait_for(meter.stdout.readline(), TIMEOUT)
                _, stderr = await asyncio.wait_for(meter.communicate(), TIMEOUT)
                assert meter.returncode == 3, stderr.decode()  # restart into 0.2.0
        results = [(r.result, r.target) for r in outcomes]
        assert results == [
            ("not_signed", None),
            ("wrong_key", "0.2.0"),
            ("bad_signature", "0.2.0"),
            ("bad_signature", "0.3.0"),
            ("truncated", "0.2.0"),
            ("wrong_size", "0.2.0"),
            ("downgrade", "0.0.9"),
            ("ok", "0.2.0"),
        ], outcomes
        assert all(r.version == "0.1.0" and r.at is not None for r in outcomes)
        assert all(r.detail for r in outcomes)
        assert outcomes[0].detail is not None
        assert "e900010203040506" in outcomes[0].detail  # how the body started
        assert outcomes[4].detail is not None
        assert "image bytes arrived" in outcomes[4].detail
        # Every request said which firmware asked (a server may answer 304).
        assert len(server.requests) == 9
        assert {r["x-ESP32-version"] for r in server.requests} == {"0.1.0"}
        assert {r["X-Intelergy-Device"] for r in server.requests} == {DEVICE}

    log = stderr.decode()
    assert b"OTA: firmware 0.2.0 verified and marked bootable" in line, line
    assert "OTA: bad_signature 0.2.0: the signature does not match the image" in log
    assert "OTA: wrong_key 0.2.0: signed with key" in log
    # Only the verified image reached the partition, exactly; no partial file left.
    assert slot.read_bytes() == firmware
    assert sorted(p.name for p in state.iterdir() if p.name.startswith("ota-slot")) == [
        "ota-slot.bin"
    ]

    # The new firmware starts: it reports the update it came from (stored before
    # the restart). Started as the old one after it: a roll-back.
    async with broker_running() as broker:
        for version, expected in (("0.2.0", "ok"), ("0.1.0", "rolled_back")):
            async with (
                subscribed(broker, f"intelergy/{DEVICE}/ota") as sub,
                meter_process(
                    host_meter_binary,
                    broker,
                    DEVICE,
                    "--state-dir",
                    str(state),
                    "--firmware-version",
                    version,
                ) as meter,
            ):
                # The broker still holds the previous run's report: this run's.
                _, message = await sub.wait_for(
                    "ota", lambda m, v=version: parse_ota(m.payload).version == v
                )
                report = parse_ota(message.payload)
                assert (report.version, report.result, report.target) == (
                    version,
                    expected,
                    "0.2.0",
                )
                meter.terminate()
    assert report.detail == "0.2.0 was installed, but 0.1.0 started"


async def test_the_update_url_must_be_https(
    host_meter_binary: Path, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        str(host_meter_binary),
        "--state-dir",
        str(tmp_path),
        "--ota-key",
        "/dev/null",
        "--ota-cafile",
        "/dev/null",
        "--ota-url",
        "http://127.0.0.1:1/firmware.bin",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 2
    assert b"--ota-url: https:// only" in stderr


async def test_the_generated_header_compiles_in_the_key_that_verifies(
    host_meter_binary: Path, tmp_path: Path
) -> None:
    # As the ESP32 build does: tools/sign_firmware.py writes the header with the
    # public key, the firmware is compiled with it; here a small program around
    # the core (ota_key_check.cpp) built against the host build's core library.
    compiler = shutil.which("c++")
    assert compiler is not None  # host_meter_binary skips without one
    # The core without sanitizers (built for the host meter), or the sanitized one.
    library = BUILD / "libmeter_core_plain.a"
    flags: list[str] = []
    if not library.is_file():
        library = BUILD / "libmeter_core.a"
        if "METER_SANITIZE:BOOL=ON" in (BUILD / "CMakeCache.txt").read_text():
            flags = ["-fsanitize=address,undefined"]
    keys, other = tmp_path / "keys", tmp_path / "other"
    await tool("keygen", keys)
    await tool("keygen", other)
    include = tmp_path / "include"
    await tool(
        "header",
        "--public-key",
        keys / "ota-public.der",
        "--out",
        include / "ota_public_key.h",
    )
    firmware = tmp_path / "firmware.bin"
    firmware.write_bytes(bytes([0xE9]) + bytes(5000))
    images = {}
    for name, key in (("genuine", keys), ("other", other)):
        images[name] = tmp_path / f"{name}.bin"
        await tool(
            "sign",
            "--key",
            key / "ota-private.pem",
            "--version",
            "0.2.0",
            "--in",
            firmware,
            "--out",
            images[name],
        )
    flipped = bytearray(images["genuine"].read_bytes())
    flipped[-1] ^= 0x01
    images["flipped"] = tmp_path / "flipped.bin"
    images["flipped"].write_bytes(bytes(flipped))
    program = tmp_path / "ota_key_check"
    build = await asyncio.create_subprocess_exec(
        compiler,
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-I",
        str(SOURCE / "lib" / "meter_core" / "include"),
        "-I",
        str(include),
        str(Path(__file__).with_name("ota_key_check.cpp")),
        str(library),
        "-lmbedcrypto",
        *flags,
        "-o",
        str(program),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await build.communicate()
    assert build.returncode == 0, output.decode()
    run = await asyncio.create_subprocess_exec(
        str(program),
        *(str(path) for path in images.values()),
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await run.communicate()
    assert run.returncode == 0, stdout.decode()
    results = dict(line.split(" ") for line in stdout.decode().splitlines())
    assert {name: results[str(path)] for name, path in images.items()} == {
        "genuine": "ok",
        "other": "wrong_key",
        "flipped": "bad_signature",
    }
