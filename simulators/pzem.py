"""A PZEM-004T v3 energy meter behind a TCP gateway, on 127.0.0.1.

One small asyncio server, written on streams rather than on pymodbus's server so
that failures can be scripted byte by byte and ``stop()`` leaves nothing behind.
It speaks either framing a gateway offers:

* ``"tcp"``: Modbus TCP (MBAP header + PDU, no CRC), as converting gateways do;
* ``"rtu_over_tcp"``: the meter's own RTU frames (slave + PDU + CRC-16/Modbus)
  passed through a TCP socket, as transparent serial bridges do.

The meter answers function 0x04 (the ten input registers), 0x03 / 0x06 (holding
registers 0x0001, the power alarm threshold in W, and 0x0002, the slave address)
and 0x42 (reset energy, echoed). Others get exception 0x01. Requests addressed to
another slave than its own or 0xF8 (the general address), and RTU requests with a
bad CRC, get no answer at all, as on a real RS-485 bus.

The register map is rendered from plain attributes (``voltage``, ``current``,
``power``, ``energy_wh``, ``frequency``, ``power_factor``, ``alarm``) on every
read; ``advance(seconds)`` integrates ``power`` into ``energy_wh``; ``reboot()``
restores the register from the last save. Tests script failures through
``exception_code``, ``silent``, ``corrupt_crc`` and ``serve_energy_once()``.

    python -m simulators.pzem --framing tcp --port 8502 --tick 10   # for scripts/develop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import signal
from typing import Final

FRAMINGS: Final = ("tcp", "rtu_over_tcp")
GENERAL_ADDRESS: Final = 0xF8
INPUT_REGISTER_COUNT: Final = 10
READ_HOLDING, READ_INPUT, WRITE_SINGLE, RESET_ENERGY = 0x03, 0x04, 0x06, 0x42
ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE = 0x01, 0x02, 0x03
HOLDING_THRESHOLD, HOLDING_ADDRESS = 0x0001, 0x0002
# Whole RTU request sizes (slave + function + data + CRC) by function code.
RTU_REQUEST_SIZES: Final = {
    READ_HOLDING: 8,
    READ_INPUT: 8,
    WRITE_SINGLE: 8,
    RESET_ENERGY: 4,
}
MBAP_HEADER: Final = 7  # transaction, protocol, length (2 bytes each), unit
MAX_PDU: Final = 253


def crc16_modbus(data: bytes) -> int:
    """CRC-16/Modbus (reflected polynomial 0xA001, initial value 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu_frame(slave: int, pdu: bytes) -> bytes:
    """An RTU frame: slave, PDU and the CRC, low byte first."""
    body = bytes([slave]) + pdu
    return body + crc16_modbus(body).to_bytes(2, "little")


def _scaled(value: float, scale: int, maximum: int) -> int:
    """``value * scale``, rounded and clamped to ``0..maximum``."""
    if not math.isfinite(value):
        return 0
    return min(max(round(value * scale), 0), maximum)


def _split32(value: int) -> tuple[int, int]:
    """A 32-bit value as (low word, high word): the PZEM stores the low word first."""
    return value & 0xFFFF, (value >> 16) & 0xFFFF


class PzemSimulator:
    """One simulated meter and the server that exposes it."""

    def __init__(self, *, framing: str = "tcp", slave: int = 1) -> None:
        """A meter at ``slave`` (1..247) behind a ``"tcp"``/``"rtu_over_tcp"`` gateway."""
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}: {framing!r}")
        if not 1 <= slave <= 247:
            raise ValueError(f"slave must be 1..247: {slave}")
        self.framing = framing
        self.slave = slave
        # The meter's present values.
        self.voltage = 230.1
        self.current = 2.345
        self.power = 539.5
        self.energy_wh = 12345
        self.frequency = 50.0
        self.power_factor = 0.98
        self.alarm = False
        self.alarm_threshold = 23000  # holding register 0x0001, W
        # Counters.
        self.resets = 0  # 0x42 requests that reset the energy
        self.requests = 0  # requests answered (exception answers included)
        # Failure scripting.
        self.exception_code: int | None = None  # answer every request with it
        self.silent = False  # read requests but never answer
        self.corrupt_crc = False  # rtu_over_tcp: answer with a wrong CRC
        self._corrupt_energy: int | None = None  # served once instead of energy_wh
        self.host = ""  # set by start()
        self.port = 0
        self._energy_remainder = 0.0  # Wh below one, carried between advances
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # --- the meter -----------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Run the meter for ``seconds`` at the present ``power``."""
        if seconds < 0:
            raise ValueError(f"cannot go back in time: {seconds}")
        total = self._energy_remainder + max(self.power, 0.0) * seconds / 3600
        whole = math.floor(total)
        self.energy_wh += whole
        self._energy_remainder = total - whole

    def reset_energy(self) -> None:
        """What function 0x42 does: energy back to 0 Wh."""
        self.energy_wh = 0
        self._energy_remainder = 0.0
        self.resets += 1

    def reboot(self, loss_wh: float = 0.0) -> None:
        """A power cut: the register comes back from the meter's last save.

        The PZEM keeps its energy in EEPROM, saved now and then: it survives,
        ``loss_wh`` lower (what was counted since the last save).
        """
        exact = max(self.energy_wh + self._energy_remainder - max(loss_wh, 0.0), 0.0)
        self.energy_wh = math.floor(exact)
        self._energy_remainder = exact - self.energy_wh

    def serve_energy_once(self, wh: float) -> None:
        """The next input-register read shows ``wh`` as the energy (once).

        A corrupt reading on the wire: the meter's register goes on as it was.
        """
        self._corrupt_energy = min(max(round(wh), 0), 0xFFFFFFFF)

    def input_registers(self) -> list[int]:
        """The ten input registers from 0x0000, rendered from the present values."""
        current_low, current_high = _split32(_scaled(self.current, 1000, 0xFFFFFFFF))
        power_low, power_high = _split32(_scaled(self.power, 10, 0xFFFFFFFF))
        energy_low, energy_high = _split32(min(max(self.energy_wh, 0), 0xFFFFFFFF))
        return [
            _scaled(self.voltage, 10, 0xFFFF),
            current_low,
            current_high,
            power_low,
            power_high,
            energy_low,
            energy_high,
            _scaled(self.frequency, 10, 0xFFFF),
            _scaled(self.power_factor, 100, 0xFFFF),
            0xFFFF if self.alarm else 0x0000,
        ]

    def holding_registers(self) -> dict[int, int]:
        """Holding registers by address: alarm threshold (W) and slave address."""
        return {
            HOLDING_THRESHOLD: min(max(self.alarm_threshold, 0), 0xFFFF),
            HOLDING_ADDRESS: self.slave,
        }

    def answer(self, pdu: bytes) -> bytes:
        """The response PDU for a request PDU addressed to this meter."""
        function = pdu[0]
        if self.exception_code is not None:
            return bytes([function | 0x80, self.exception_code])
        if function in (READ_INPUT, READ_HOLDING):
            if len(pdu) != 5:
                return bytes([function | 0x80, ILLEGAL_VALUE])
            address = int.from_bytes(pdu[1:3], "big")
            count = int.from_bytes(pdu[3:5], "big")
            if not 1 <= count <= 125:
                return bytes([function | 0x80, ILLEGAL_VALUE])
            if function == READ_INPUT:
                table = dict(enumerate(self.input_registers()))
                if self._corrupt_energy is not None:
                    low, high = _split32(self._corrupt_energy)
                    table[5], table[6] = low, high
                    self._corrupt_energy = None
            else:
                table = self.holding_registers()
            wanted = range(address, address + count)
            if any(register not in table for register in wanted):
                return bytes([function | 0x80, ILLEGAL_ADDRESS])
            data = b"".join(table[register].to_bytes(2, "big") for register in wanted)
            return bytes([function, len(data)]) + data
        if function == WRITE_SINGLE:
            if len(pdu) != 5:
                return bytes([function | 0x80, ILLEGAL_VALUE])
            address = int.from_bytes(pdu[1:3], "big")
            value = int.from_bytes(pdu[3:5], "big")
            if address == HOLDING_THRESHOLD:
                self.alarm_threshold = value
            elif address == HOLDING_ADDRESS:
                if not 1 <= value <= 247:
                    return bytes([function | 0x80, ILLEGAL_VALUE])
                self.slave = value
            else:
                return bytes([function | 0x80, ILLEGAL_ADDRESS])
            return bytes(pdu)
        if function == RESET_ENERGY:
            self.reset_energy()
            return bytes([RESET_ENERGY])
        return bytes([function | 0x80, ILLEGAL_FUNCTION])

    # --- the server ----------------------------------------------------------
    def _for_me(self, unit: int) -> bool:
        return unit in (self.slave, GENERAL_ADDRESS)

    def _take_tcp(self, buffer: bytearray) -> bytes | None:
        """Consume one Modbus TCP request from ``buffer``; return the answer frame."""
        length = int.from_bytes(buffer[4:6], "big")
        if buffer[2:4] != b"\x00\x00" or not 2 <= length <= MAX_PDU + 1:
            buffer.clear()  # not Modbus TCP: resynchronise on the next segment
            return None
        end = 6 + length
        if len(buffer) < end:
            raise _NeedMoreError
        header, unit, pdu = bytes(buffer[:2]), buffer[6], bytes(buffer[7:end])
        del buffer[:end]
        if not self._for_me(unit) or self.silent:
            return None
        body = bytes([unit]) + self.answer(pdu)  # the length field counts the unit
        return header + b"\x00\x00" + len(body).to_bytes(2, "big") + body

    def _take_rtu(self, buffer: bytearray) -> bytes | None:
        """Consume one RTU request from ``buffer``; return the answer frame."""
        size = RTU_REQUEST_SIZES.get(buffer[1])
        if size is None:
            buffer.clear()  # unknown function: cannot frame it, drop the line noise
            return None
        if len(buffer) < size:
            raise _NeedMoreError
        frame = bytes(buffer[:size])
        del buffer[:size]
        if crc16_modbus(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            buffer.clear()
            return None
        unit, pdu = frame[0], frame[1:-2]
        if not self._for_me(unit) or self.silent:
            return None
        response = rtu_frame(unit, self.answer(pdu))
        if self.corrupt_crc:
            response = response[:-2] + bytes(b ^ 0xFF for b in response[-2:])
        return response

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer one gateway connection until it closes."""
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        tcp = self.framing == "tcp"
        buffer = bytearray()
        try:
            while chunk := await reader.read(1024):
                buffer += chunk
                while len(buffer) >= (MBAP_HEADER if tcp else 2):
                    try:
                        response = (
                            self._take_tcp(buffer) if tcp else self._take_rtu(buffer)
                        )
                    except _NeedMoreError:
                        break
                    if response is not None:
                        self.requests += 1
                        writer.write(response)
                        await writer.drain()
        except ConnectionError:
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0: a free port); sets ``host`` and ``port``."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._server = await asyncio.start_server(self._serve, host, port)
        self.host = host
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and drop every connection; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        server.close_clients()
        await server.wait_closed()


class _NeedMoreError(Exception):
    """The buffer holds only part of a request."""


async def _run(args: argparse.Namespace) -> None:
    sim = PzemSimulator(framing=args.framing, slave=args.slave)
    await sim.start(args.host, args.port)
    print(
        f"PZEM-004T simulator ({args.framing}, slave {args.slave}) on"
        f" {sim.host}:{sim.port}",
        flush=True,
    )
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stopping.set)
    last = loop.time()
    try:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), args.tick)
            now = loop.time()
            sim.advance(now - last)
            last = now
    finally:
        await sim.stop()


def main() -> None:
    """Run a live simulator until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framing", choices=FRAMINGS, default="tcp")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8502)
    parser.add_argument("--slave", type=int, default=1)
    parser.add_argument("--tick", type=float, default=10.0, help="seconds per update")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
