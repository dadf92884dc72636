"""The PZEM client: register decoding, and real Modbus against the simulator.

The simulator listens on 127.0.0.1 in both framings a gateway offers (Modbus TCP
and RTU over TCP); failures are scripted on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import time
from typing import Any

import pytest

from custom_components.intelergy.core.pzem.client import (
    PzemClient,
    PzemConnectionError,
    PzemError,
    PzemProtocolError,
    PzemReading,
    Transport,
    decode_registers,
)
from simulators.pzem import FRAMINGS, PzemSimulator, crc16_modbus, rtu_frame

TIMEOUT = 0.2
# The defaults of the simulator, as the meter encodes them.
DEFAULT_REGISTERS = [2301, 2345, 0, 5395, 0, 12345, 0, 500, 98, 0x0000]
DEFAULT_READING = PzemReading(
    voltage=230.1,
    current=2.345,
    power=539.5,
    energy_wh=12345,
    frequency=50.0,
    power_factor=0.98,
    alarm=False,
)


@pytest.fixture(params=FRAMINGS)
async def sim(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncGenerator[PzemSimulator]:
    """A simulated meter on 127.0.0.1, in each framing."""
    simulator = PzemSimulator(framing=request.param)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


def client_for(sim: PzemSimulator, **kwargs: Any) -> PzemClient:
    """A client for ``sim`` with a short timeout and no retries."""
    options: dict[str, Any] = {"timeout": TIMEOUT, "retries": 0, **kwargs}
    return PzemClient(Transport(sim.framing), host=sim.host, port=sim.port, **options)


@pytest.fixture
async def client(sim: PzemSimulator) -> AsyncGenerator[PzemClient]:
    """A client for ``sim``, closed after the test."""
    pzem = client_for(sim)
    try:
        yield pzem
    finally:
        await pzem.close()


# --- decoding (no sockets) ---------------------------------------------------
def test_decode_known_registers() -> None:
    assert decode_registers(DEFAULT_REGISTERS) == DEFAULT_READING


def test_decode_32_bit_values_low_word_first() -> None:
    registers = [
        2204,  # 220.4 V
        0x86A0,  # current 100000 mA: low word ...
        0x0001,  # ... then high word
        0x8270,  # power 230000 (0.1 W): low word ...
        0x0003,  # ... then high word
        0x967F,  # energy 9999999 Wh: low word ...
        0x0098,  # ... then high word
        599,  # 59.9 Hz
        100,  # power factor 1.00
        0xFFFF,  # alarm
    ]
    assert decode_registers(registers) == PzemReading(
        voltage=220.4,
        current=100.0,
        power=23000.0,
        energy_wh=9_999_999,
        frequency=59.9,
        power_factor=1.0,
        alarm=True,
    )


@pytest.mark.parametrize(
    "registers",
    [
        [],
        DEFAULT_REGISTERS[:9],
        [*DEFAULT_REGISTERS, 0],
        [-1, *DEFAULT_REGISTERS[1:]],
        [0x10000, *DEFAULT_REGISTERS[1:]],
        [2301.0, *DEFAULT_REGISTERS[1:]],
        [True, *DEFAULT_REGISTERS[1:]],
        [*DEFAULT_REGISTERS[:9], 0x0001],  # alarm is 0xFFFF or 0x0000
    ],
)
def test_decode_rejects_bad_registers(registers: list[Any]) -> None:
    with pytest.raises(PzemProtocolError) as err:
        decode_registers(registers)
    assert err.value.exception_code is None


@pytest.mark.parametrize("registers", [None, 2301, iter(DEFAULT_REGISTERS)])
def test_decode_rejects_what_is_no_register_list(registers: Any) -> None:
    # Was TypeError (no len()).
    with pytest.raises(PzemProtocolError, match="not a list of registers"):
        decode_registers(registers)


def test_simulator_encodes_as_the_meter_does() -> None:
    sim = PzemSimulator()
    assert sim.input_registers() == DEFAULT_REGISTERS
    sim.current, sim.power, sim.energy_wh, sim.alarm = 100.0, 23000.0, 9_999_999, True
    reading = decode_registers(sim.input_registers())
    assert (reading.current, reading.power, reading.energy_wh, reading.alarm) == (
        100.0,
        23000.0,
        9_999_999,
        True,
    )


def test_simulator_advance_keeps_the_fraction() -> None:
    sim = PzemSimulator()
    sim.power = 1000.0
    sim.advance(1.8)  # 0.5 Wh
    assert sim.energy_wh == 12345
    sim.advance(1.8)  # another 0.5 Wh
    assert sim.energy_wh == 12346
    sim.advance(3600)
    assert sim.energy_wh == 13346


def test_crc16_modbus() -> None:
    # A request the PZEM-004T documentation spells out: read 10 input registers.
    assert rtu_frame(1, bytes.fromhex("04 0000 000a")) == (
        bytes.fromhex("01040000000a700d")
    )
    assert crc16_modbus(b"\x01\x42") == 0x1180  # reset energy: 01 42 80 11


@pytest.mark.parametrize("slave", [0, 248, 255, -1, True])  # 248: 0xF8, general
def test_invalid_slave(slave: int) -> None:
    with pytest.raises(ValueError, match="slave"):
        PzemClient(Transport.TCP, host="127.0.0.1", slave=slave)


@pytest.mark.parametrize(
    ("transport", "kwargs"),
    [
        (Transport.TCP, {}),
        (Transport.RTU_OVER_TCP, {"host": ""}),
        (Transport.SERIAL, {"host": "127.0.0.1"}),
        (Transport.TCP, {"host": "127.0.0.1", "port": 0}),
        (Transport.TCP, {"host": "127.0.0.1", "timeout": 0}),
        (Transport.TCP, {"host": "127.0.0.1", "retries": -1}),
    ],
)
def test_invalid_settings(transport: Transport, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        PzemClient(transport, **kwargs)


async def test_missing_serial_port_is_a_connection_error() -> None:
    pzem = PzemClient(Transport.SERIAL, serial_port="/nonexistent/ttyPZEM", timeout=0.2)
    with pytest.raises(PzemConnectionError):
        await pzem.connect()
    assert not pzem.connected
    await pzem.close()


# --- against the simulator ----------------------------------------------------
async def test_read(sim: PzemSimulator, client: PzemClient) -> None:
    connected_before = client.connected  # read() connects by itself
    assert await client.read() == DEFAULT_READING
    assert (connected_before, client.connected) == (False, True)
    sim.voltage, sim.current, sim.energy_wh, sim.alarm = 241.7, 98.765, 70000, True
    reading = await client.read()
    assert (reading.voltage, reading.current, reading.energy_wh, reading.alarm) == (
        241.7,
        98.765,
        70000,
        True,
    )
    assert sim.requests == 2


async def test_read_alarm_threshold(sim: PzemSimulator, client: PzemClient) -> None:
    sim.alarm_threshold = 2300
    assert await client.read_alarm_threshold() == 2300


async def test_reset_energy(sim: PzemSimulator, client: PzemClient) -> None:
    await client.connect()
    await client.connect()  # no-op when connected
    await client.reset_energy()
    assert sim.energy_wh == 0
    assert sim.resets == 1
    assert (await client.read()).energy_wh == 0


async def test_exception_response(sim: PzemSimulator, client: PzemClient) -> None:
    sim.exception_code = 0x04
    with pytest.raises(PzemProtocolError, match="0x04") as err:
        await client.read()
    assert err.value.exception_code == 0x04
    with pytest.raises(PzemProtocolError) as err:
        await client.reset_energy()
    assert err.value.exception_code == 0x04
    assert sim.resets == 0
    assert client.connected  # a valid answer: the connection stays up
    sim.exception_code = None
    assert await client.read() == DEFAULT_READING


async def test_silent_meter_times_out(sim: PzemSimulator, client: PzemClient) -> None:
    await client.connect()
    sim.silent = True
    started = time.monotonic()
    with pytest.raises(PzemConnectionError, match="no answer"):
        await client.read()
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert not client.connected
    sim.silent = False
    assert await client.read() == DEFAULT_READING


async def test_connection_lost_during_a_request_fails_fast(
    sim: PzemSimulator,
) -> None:
    pzem = client_for(sim, timeout=5.0)
    try:
        await pzem.connect()
        sim.silent = True
        pending = asyncio.create_task(pzem.read())
        await asyncio.sleep(0.05)  # the request is out, the meter says nothing
        started = time.monotonic()
        await sim.stop()
        with pytest.raises(PzemConnectionError, match="closed the connection"):
            await pending
        assert time.monotonic() - started < 1.0
        assert not pzem.connected
    finally:
        await pzem.close()


async def test_cancelling_a_request_is_not_swallowed(
    sim: PzemSimulator, client: PzemClient
) -> None:
    await client.connect()
    sim.silent = True
    pending = asyncio.create_task(client.read())
    await asyncio.sleep(0.05)
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    sim.silent = False
    assert await client.read() == DEFAULT_READING


async def test_wrong_slave_gets_no_answer(sim: PzemSimulator) -> None:
    pzem = client_for(sim, slave=2)
    try:
        with pytest.raises(PzemConnectionError):
            await pzem.read()
    finally:
        await pzem.close()
    assert sim.requests == 0


@pytest.mark.parametrize("sim", ["rtu_over_tcp"], indirect=True)
async def test_corrupt_crc(sim: PzemSimulator, client: PzemClient) -> None:
    sim.corrupt_crc = True
    with pytest.raises(PzemProtocolError, match="CRC"):
        await client.read()
    sim.corrupt_crc = False
    assert await client.read() == DEFAULT_READING


async def test_connection_refused(sim: PzemSimulator, client: PzemClient) -> None:
    await sim.stop()
    with pytest.raises(PzemConnectionError, match="cannot connect"):
        await client.connect()
    with pytest.raises(PzemConnectionError):
        await client.read()
    assert not client.connected


async def test_reconnects_when_the_meter_comes_back(
    sim: PzemSimulator, client: PzemClient
) -> None:
    assert await client.read() == DEFAULT_READING
    await sim.stop()
    await sim.stop()  # idempotent
    with pytest.raises(PzemConnectionError):
        await client.read()
    assert not client.connected
    await sim.start(port=sim.port)
    assert await client.read() == DEFAULT_READING
    assert client.connected


async def test_concurrent_calls_are_serialised(
    sim: PzemSimulator, client: PzemClient
) -> None:
    results = await asyncio.gather(
        client.read(), client.read_alarm_threshold(), client.reset_energy()
    )
    assert results[0] == DEFAULT_READING
    assert sim.requests == 3
    assert sim.resets == 1


async def test_context_manager(sim: PzemSimulator) -> None:
    async with client_for(sim) as pzem:
        assert pzem.connected
        assert await pzem.read() == DEFAULT_READING
    assert not pzem.connected


async def test_close_is_idempotent(client: PzemClient) -> None:
    await client.close()
    await client.read()
    await client.close()
    await client.close()
    assert not client.connected


def test_errors_share_a_base() -> None:
    assert issubclass(PzemConnectionError, PzemError)
    assert issubclass(PzemProtocolError, PzemError)
