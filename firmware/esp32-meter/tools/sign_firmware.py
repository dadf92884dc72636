#!/usr/bin/env python3
r"""Signed firmware images for the Intelergy meter's OTA (ECDSA P-256, SHA-256).

The meter installs an update only if its 256-byte header (format in
``lib/meter_core/include/meter/ota.h``) carries a valid signature, by the key whose
public half was compiled into it, over the header's version and size and the
whole image. Standard library plus the ``openssl`` command line, so it runs in
PlatformIO's Python as well as anywhere else.

    sign_firmware.py keygen DIR          # DIR/ota-private.pem (0600, keep it secret),
                                         # DIR/ota-public.der, DIR/ota-public.pem
    sign_firmware.py header --public-key DIR/ota-public.der --out include/ota_public_key.h
    sign_firmware.py sign --key DIR/ota-private.pem --version 0.2.0 \\
        --in .pio/build/esp32dev-secure/firmware.bin --out firmware.signed.bin
    sign_firmware.py info firmware.signed.bin

The private key never belongs in the repository: ``keygen`` refuses a directory
inside the work tree unless git ignores it.
"""

# ruff: noqa: T201, S603

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
import re
import shutil
import struct
import subprocess
import sys
import tempfile

MAGIC = b"INTLGOTA"
FORMAT = 1
HEADER_SIZE = 256
SIGNED_SIZE = 64
VERSION_SIZE = 32
MAX_SIGNATURE = 72
# DER SubjectPublicKeyInfo of a P-256 key up to the 64 bytes of its point.
P256_PREFIX = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200"
) + bytes([4])
VERSION = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,3}")
ESP32_IMAGE_MAGIC = 0xE9


class SigningError(Exception):
    """A step that cannot be done; the message says why."""


def openssl(*args: str, data: bytes | None = None) -> bytes:
    """Run ``openssl`` with ``args``; its stdout."""
    binary = shutil.which("openssl")
    if binary is None:
        raise SigningError("openssl is not installed (apt install openssl)")
    result = subprocess.run(
        [binary, *args], input=data, capture_output=True, check=False
    )
    if result.returncode != 0:
        raise SigningError(
            f"openssl {args[0]} failed: {result.stderr.decode(errors='replace').strip()}"
        )
    return result.stdout


def key_id(public_der: bytes) -> bytes:
    """The key id in the header: the first 8 bytes of SHA-256 of the public key."""
    return hashlib.sha256(public_der).digest()[:8]


def check_public_der(public_der: bytes) -> None:
    """Refuse anything but a P-256 public key as the meter reads it."""
    if len(public_der) != len(P256_PREFIX) + 64 or not public_der.startswith(
        P256_PREFIX
    ):
        raise SigningError("not an ECDSA P-256 public key (DER SubjectPublicKeyInfo)")


def public_der_of(private_key: Path) -> bytes:
    """The DER public key of a private key file."""
    der = openssl("pkey", "-in", str(private_key), "-pubout", "-outform", "DER")
    check_public_der(der)
    return der


def check_version(version: str) -> bytes:
    """The version as the header's NUL-padded field."""
    if not VERSION.fullmatch(version):
        raise SigningError(
            f"version {version!r}: 1-4 numbers separated by dots, e.g. 0.2.0"
        )
    return version.encode().ljust(VERSION_SIZE, b"\0")


def signed_part(version: str, image_size: int, public_der: bytes) -> bytes:
    """Header bytes 0..63: what the signature covers, with the image."""
    if not 0 < image_size < 2**32:
        raise SigningError(f"image of {image_size} bytes")
    return (
        MAGIC
        + bytes([FORMAT, 0, 0, 0])
        + struct.pack("<I", image_size)
        + key_id(public_der)
        + check_version(version)
        + bytes(8)
    )


def inside_repository_unignored(path: Path) -> bool:
    """Whether ``path`` is in a git work tree and not ignored by it."""
    git = shutil.which("git")
    if git is None:
        return False
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    top = subprocess.run(
        [git, "-C", str(existing), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    if top.returncode != 0:
        return False
    ignored = subprocess.run(
        [git, "-C", top.stdout.strip(), "check-ignore", "-q", str(path)],
        capture_output=True,
        check=False,
    )
    return ignored.returncode != 0


def keygen(directory: Path) -> None:
    """A new key pair in ``directory`` (refuses to overwrite one)."""
    private = directory / "ota-private.pem"
    if private.exists():
        raise SigningError(f"{private} exists: a new key would orphan every meter")
    if inside_repository_unignored(private.absolute()):
        raise SigningError(
            f"{private} would be inside the repository and not git-ignored: keep "
            "the private key outside it (e.g. ~/.config/intelergy/ota)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        openssl(
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-pkeyopt",
            "ec_param_enc:named_curve",
            "-out",
            str(private),
        )
    finally:
        os.umask(old_umask)
    private.chmod(0o600)
    der = public_der_of(private)
    (directory / "ota-public.der").write_bytes(der)
    (directory / "ota-public.pem").write_bytes(
        openssl("pkey", "-in", str(private), "-pubout")
    )
    print(
        f"key {key_id(der).hex()}: {private} (secret), {directory / 'ota-public.der'}"
    )


def header(public_key: Path, out: Path) -> None:
    """The C header the firmware is built with: the public key and its id."""
    der = public_key.read_bytes()
    check_public_der(der)
    rows = [
        ", ".join(f"0x{byte:02x}" for byte in der[start : start + 12])
        for start in range(0, len(der), 12)
    ]
    body = ",\n    ".join(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "// Generated by tools/sign_firmware.py header: the public key every OTA image\n"
        "// must be signed with (ECDSA P-256, DER SubjectPublicKeyInfo). Not secret, but\n"
        "// this build's own: git-ignored, made again from the key directory by pio run.\n"
        "#pragma once\n\n"
        "#include <stdint.h>\n\n"
        f'#define OTA_PUBLIC_KEY_ID "{key_id(der).hex()}"\n\n'
        f"static const uint8_t OTA_PUBLIC_KEY_DER[{len(der)}] = {{\n    {body}}};\n"
    )
    print(f"key {key_id(der).hex()}: {out}")


def sign(key: Path, version: str, source: Path, out: Path, *, raw: bool) -> None:
    """Write ``out``: the signed header, then ``source`` unchanged."""
    image = source.read_bytes()
    if not raw and (not image or image[0] != ESP32_IMAGE_MAGIC):
        raise SigningError(
            f"{source} is no ESP32 application image (first byte 0xE9): firmware.bin, "
            "not firmware.elf? (--raw signs any file)"
        )
    der = public_der_of(key)
    part = signed_part(version, len(image), der)
    signature = openssl("dgst", "-sha256", "-sign", str(key), data=part + image)
    if not 8 <= len(signature) <= MAX_SIGNATURE:
        raise SigningError(f"unexpected signature of {len(signature)} bytes")
    # Check it the way the meter will, before anyone ships it.
    with tempfile.TemporaryDirectory() as scratch:
        public = Path(scratch) / "public.der"
        public.write_bytes(der)
        signature_file = Path(scratch) / "signature"
        signature_file.write_bytes(signature)
        openssl(
            "dgst",
            "-sha256",
            "-verify",
            str(public),
            "-keyform",
            "DER",
            "-signature",
            str(signature_file),
            data=part + image,
        )
    head = part + bytes([len(signature)]) + signature
    out.write_bytes(head.ljust(HEADER_SIZE, b"\0") + image)
    print(f"{out}: version {version}, {len(image)} bytes, key {key_id(der).hex()}")


def info(path: Path) -> None:
    """What a signed image's header says."""
    data = path.read_bytes()
    if len(data) < HEADER_SIZE or not data.startswith(MAGIC):
        raise SigningError(f"{path} is no signed image")
    size = struct.unpack_from("<I", data, 12)[0]
    version = data[24 : 24 + VERSION_SIZE].rstrip(b"\0").decode(errors="replace")
    print(
        f"{path}: format {data[8]}, version {version}, image {size} bytes "
        f"({len(data) - HEADER_SIZE} present), key {data[16:24].hex()}, "
        f"signature {data[64]} bytes"
    )


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("keygen", help="a new key pair")
    p.add_argument("directory", type=Path)
    p = commands.add_parser("header", help="the C header with the public key")
    p.add_argument("--public-key", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = commands.add_parser("sign", help="sign firmware.bin")
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--in", dest="source", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--raw", action="store_true", help="any file, not only ESP32 images")
    p = commands.add_parser("info", help="show a signed image's header")
    p.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            keygen(args.directory)
        elif args.command == "header":
            header(args.public_key, args.out)
        elif args.command == "sign":
            sign(args.key, args.version, args.source, args.out, raw=args.raw)
        else:
            info(args.path)
    except (SigningError, OSError) as err:
        print(f"sign_firmware.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
