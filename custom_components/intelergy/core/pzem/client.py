"""Typed async client for PZEM-004T v3 energy meters (no Home Assistant imports).

The meter speaks Modbus RTU at 9600 8N1. It is reached either on a serial port
(an RS-485 or TTL adapter) or through a TCP gateway, which either passes the RTU
frames through unchanged ("RTU over TCP", CRC included: what cheap Ethernet and
Wi-Fi bridges do) or converts them to plain Modbus TCP (MBAP header, no CRC).

Register map (input registers, function 0x04, ten registers from 0x0000):

====== ============================== ==========
0x0000 voltage                        0.1 V
0x0001 current, low 16 bits           0.001 A
0x0002 current, high 16 bits
0x0003 active power, low 16 bits      0.1 W
0x0004 active power, high 16 bits
0x0005 active energy, low 16 bits     1 Wh
0x0006 active energy, high 16 bits
0x0007 frequency                      0.1 Hz
0x0008 power factor                   0.01
0x0009 alarm: 0xFFFF on, 0x0000 off
====== ============================== ==========

Holding register 0x0001 is the power alarm threshold (1 W per unit) and 0x0002
the slave address. Function 0x42 (no data) resets the energy counter; the meter
echoes the request on success and answers 0xC2 plus an abort code on failure.

How failures surface:

* :class:`PzemConnectionError`: the connection cannot be opened, is not open or
  is lost, or no answer arrives in time (``timeout`` seconds per attempt,
  ``retries`` more attempts). pymodbus reports all of these as "no response".
* :class:`PzemProtocolError`: the meter answered, but with a Modbus exception
  (``exception_code`` is set), with bytes that never formed a valid frame (a CRC
  error or a malformed frame: pymodbus drops such frames silently, so this client
  watches the raw bytes to tell them from silence), or with a well-formed frame
  that is not the answer asked for. Register values that make no sense for a
  PZEM are reported by :func:`decode_registers` the same way.

After any failure except an exception response the connection is dropped, so no
late or half-read answer can be taken for the answer to the next request; the
next call reconnects by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Final, Self, cast

from pymodbus import FramerType
from pymodbus.client import (
    AsyncModbusSerialClient,
    AsyncModbusTcpClient,
    ModbusBaseClient,
)
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

INPUT_REGISTER_COUNT: Final = 10
ALARM_ON: Final = 0xFFFF
ALARM_OFF: Final = 0x0000
HOLDING_ALARM_THRESHOLD: Final = 0x0001
FUNCTION_READ_INPUT: Final = 0x04
FUNCTION_READ_HOLDING: Final = 0x03
FUNCTION_RESET_ENERGY: Final = 0x42
MIN_SLAVE: Final = 1
MAX_SLAVE: Final = 247
DEFAULT_TCP_PORT: Final = 502
DEFAULT_BAUDRATE: Final = 9600
DEFAULT_TIMEOUT: Final = 3.0
# Slack on top of pymodbus's own timeouts before the safety net cuts a call short.
_GRACE: Final = 0.5
_MAX_REGISTER: Final = 0xFFFF
_EXCEPTION_NAMES: Final = {
    0x01: "illegal function",
    0x02: "illegal data address",
    0x03: "illegal data value",
    0x04: "slave device failure",
    0x05: "acknowledge",
    0x06: "slave device busy",
    0x08: "memory parity error",
    0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}


class PzemError(Exception):
    """Base class for every error raised by this client."""


class PzemConnectionError(PzemError):
    """No connection, connection lost, or no answer within the timeout."""


class PzemProtocolError(PzemError):
    """The meter answered, but not with a valid answer to the request.

    ``exception_code`` is the Modbus exception (abort) code when the meter answered
    with an exception response, else ``None``.
    """

    def __init__(self, message: str, *, exception_code: int | None = None) -> None:
        """Describe the failure; keep the Modbus exception code, if any."""
        super().__init__(message)
        self.exception_code = exception_code


class Transport(StrEnum):
    """How the meter is reached."""

    TCP = "tcp"  # a gateway speaking Modbus TCP (MBAP header, no CRC)
    RTU_OVER_TCP = "rtu_over_tcp"  # raw RTU frames (with CRC) over a TCP socket
    SERIAL = "serial"  # RTU on a local serial port, 9600 8N1


@dataclass(frozen=True, slots=True)
class PzemReading:
    """One read of the ten input registers, in SI-ish units."""

    voltage: float  # V
    current: float  # A
    power: float  # W
    energy_wh: int  # Wh, since the last reset
    frequency: float  # Hz
    power_factor: float  # 0.00 .. 1.00
    alarm: bool  # power is above the alarm threshold


def _u32(low: int, high: int) -> int:
    """A 32-bit value stored low word first."""
    return (high << 16) | low


def decode_registers(registers: Sequence[int]) -> PzemReading:
    """Decode the ten input registers from 0x0000; raise ``PzemProtocolError``.

    Anything that is not ten 16-bit integers (not a sequence at all, another
    length, a bool, a float, a value outside 0..0xFFFF) and an alarm register
    that is neither 0x0000 nor 0xFFFF raise it; nothing else is raised. Every
    field of a decoded reading is then a finite, non-negative number.
    """
    if not isinstance(registers, Sequence):  # None, a number, an iterator ...
        raise PzemProtocolError(f"not a list of registers: {type(registers).__name__}")
    if len(registers) != INPUT_REGISTER_COUNT:
        raise PzemProtocolError(
            f"expected {INPUT_REGISTER_COUNT} input registers, got {len(registers)}"
        )
    for index, value in enumerate(registers):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= _MAX_REGISTER
        ):
            raise PzemProtocolError(
                f"input register 0x{index:04X} is not a 16-bit value: {value!r}"
            )
    alarm = registers[9]
    if alarm not in (ALARM_ON, ALARM_OFF):
        raise PzemProtocolError(
            f"alarm register is 0x{alarm:04X}, not 0xFFFF or 0x0000: not a PZEM-004T?"
        )
    return PzemReading(
        voltage=registers[0] / 10,
        current=_u32(registers[1], registers[2]) / 1000,
        power=_u32(registers[3], registers[4]) / 10,
        energy_wh=_u32(registers[5], registers[6]),
        frequency=registers[7] / 10,
        power_factor=registers[8] / 100,
        alarm=alarm == ALARM_ON,
    )


class ResetEnergyPdu(ModbusPDU):
    """The PZEM's custom function 0x42 (reset energy): no data either way.

    One class serves as request and response, as the meter echoes the request.
    """

    function_code = FUNCTION_RESET_ENERGY
    rtu_frame_size = 4  # slave, function, CRC (2 bytes)

    def encode(self) -> bytes:
        """No data follows the function code."""
        return b""

    def decode(self, data: bytes) -> None:
        """Nothing to decode (trailing bytes, if any, are ignored)."""


def _exception_message(what: str, slave: int, code: int) -> str:
    name = _EXCEPTION_NAMES.get(code, "unknown exception")
    return f"{what}: slave {slave} answered Modbus exception 0x{code:02X} ({name})"


class PzemClient:
    """Talks to one PZEM-004T v3 over Modbus TCP, RTU over TCP or a serial port.

    Calls are serialised; ``read`` and ``reset_energy`` connect first when not
    connected. Every call is bounded: a connect by ``timeout`` and a request by
    ``timeout * (retries + 1)``, each plus a fraction of a second.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        host: str | None = None,
        port: int = DEFAULT_TCP_PORT,
        serial_port: str | None = None,
        baudrate: int = DEFAULT_BAUDRATE,
        slave: int = 1,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 1,
    ) -> None:
        """Check the settings; nothing is opened until ``connect`` or a request.

        Raises ``ValueError`` for a slave outside 1..247 (0xF8, the PZEM's general
        address, is deliberately refused), a missing host (TCP transports) or
        serial port (serial), a port outside 1..65535, a timeout that is not
        positive or negative retries.
        """
        self.transport = Transport(transport)
        if isinstance(slave, bool) or not MIN_SLAVE <= slave <= MAX_SLAVE:
            raise ValueError(f"slave address must be {MIN_SLAVE}..{MAX_SLAVE}: {slave}")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive: {timeout}")
        if retries < 0:
            raise ValueError(f"retries must not be negative: {retries}")
        if self.transport is Transport.SERIAL:
            if not serial_port:
                raise ValueError("the serial transport needs serial_port")
            if baudrate <= 0:
                raise ValueError(f"baudrate must be positive: {baudrate}")
            self.target = f"serial port {serial_port}"
        else:
            if not host:
                raise ValueError(f"the {self.transport} transport needs host")
            if not 1 <= port <= 65535:
                raise ValueError(f"port must be 1..65535: {port}")
            self.target = f"{host}:{port} ({self.transport})"
        self.host = host
        self.port = port
        self.serial_port = serial_port
        self.baudrate = baudrate
        self.slave = slave
        self.timeout = float(timeout)
        self.retries = retries
        self._client: ModbusBaseClient | None = None
        self._lock = asyncio.Lock()
        self._received = b""  # raw bytes seen since the present request went out
        self._pending: asyncio.Future[ModbusPDU] | None = None  # the request running
        self._lost = False  # the peer closed the connection during that request

    @property
    def connected(self) -> bool:
        """Whether the connection (socket or serial port) is open."""
        return self._client is not None and self._client.connected

    async def __aenter__(self) -> Self:
        """Connect."""
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close."""
        await self.close()

    async def connect(self) -> None:
        """Open the connection (a no-op when open); raise ``PzemConnectionError``."""
        async with self._lock:
            await self._connect()

    async def close(self) -> None:
        """Close the connection; safe to call at any time, any number of times."""
        async with self._lock:
            await self._drop()

    async def read(self) -> PzemReading:
        """Read and decode the ten input registers."""

        def call(client: ModbusBaseClient) -> Awaitable[ModbusPDU]:
            return client.read_input_registers(
                0, count=INPUT_REGISTER_COUNT, device_id=self.slave
            )

        response = await self._request("read", FUNCTION_READ_INPUT, call)
        if len(response.registers) != INPUT_REGISTER_COUNT:
            raise PzemProtocolError(
                f"read: expected {INPUT_REGISTER_COUNT} registers from {self.target},"
                f" got {len(response.registers)}"
            )
        return decode_registers(response.registers)

    async def read_alarm_threshold(self) -> int:
        """Read the power alarm threshold (holding register 0x0001), in W."""

        def call(client: ModbusBaseClient) -> Awaitable[ModbusPDU]:
            return client.read_holding_registers(
                HOLDING_ALARM_THRESHOLD, count=1, device_id=self.slave
            )

        response = await self._request(
            "read alarm threshold", FUNCTION_READ_HOLDING, call
        )
        if len(response.registers) != 1:
            raise PzemProtocolError(
                f"read alarm threshold: expected 1 register from {self.target},"
                f" got {len(response.registers)}"
            )
        return response.registers[0]

    async def reset_energy(self) -> None:
        """Reset the meter's energy counter to 0 Wh (function 0x42)."""

        def call(client: ModbusBaseClient) -> Awaitable[ModbusPDU]:
            # ModbusBaseClient.execute carries no annotations in pymodbus 3.13.
            execute = cast(
                "Callable[[bool, ModbusPDU], Awaitable[ModbusPDU]]", client.execute
            )
            return execute(False, ResetEnergyPdu(dev_id=self.slave))

        await self._request("reset energy", FUNCTION_RESET_ENERGY, call)

    # --- internals -----------------------------------------------------------
    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        """Hook for pymodbus, on every packet: keep the receive buffer."""
        if not sending:
            self._received = data
        return data

    def _trace_connect(self, connected: bool) -> None:
        """Called by pymodbus on (dis)connect: if the peer hung up, fail the request.

        Without this a request on a dead connection waits out every attempt.
        """
        if not connected and self._pending is not None and not self._pending.done():
            self._lost = True
            self._pending.cancel()

    def _new_client(self) -> ModbusBaseClient:
        """A pymodbus client that never reconnects by itself (no background task)."""
        if self.transport is Transport.SERIAL:
            try:
                return AsyncModbusSerialClient(
                    cast("str", self.serial_port),
                    framer=FramerType.RTU,
                    baudrate=self.baudrate,
                    bytesize=8,
                    parity="N",
                    stopbits=1,
                    name=f"pzem {self.serial_port}",
                    reconnect_delay=0,
                    timeout=self.timeout,
                    retries=self.retries,
                    trace_packet=self._trace_packet,
                    trace_connect=self._trace_connect,
                )
            except RuntimeError as err:  # pymodbus: "Serial client requires pyserial"
                raise PzemConnectionError(
                    f"cannot open {self.target}: pyserial is not installed"
                ) from err
        return AsyncModbusTcpClient(
            cast("str", self.host),
            framer=(
                FramerType.RTU
                if self.transport is Transport.RTU_OVER_TCP
                else FramerType.SOCKET
            ),
            port=self.port,
            name=f"pzem {self.host}:{self.port}",
            reconnect_delay=0,
            timeout=self.timeout,
            retries=self.retries,
            trace_packet=self._trace_packet,
            trace_connect=self._trace_connect,
        )

    async def _connect(self) -> ModbusBaseClient:
        """Return the open pymodbus client, opening a new one if needed (locked)."""
        if self._client is not None and self._client.connected:
            return self._client
        await self._drop()
        client = self._new_client()
        client.register(ResetEnergyPdu)
        try:
            async with asyncio.timeout(self.timeout + _GRACE):
                # client.connect() is this plus a fixed 0.1 s sleep, even after a
                # failed attempt; the transaction manager's connect is the connect.
                opened = await client.ctx.connect()
                await asyncio.sleep(0)  # a serial port calls connection_made soon
        except TimeoutError:
            opened = False
        except (OSError, ValueError, ModbusException) as err:
            client.close()
            raise PzemConnectionError(
                f"cannot connect to {self.target}: {err}"
            ) from err
        except BaseException:
            client.close()
            raise
        if not opened or not client.connected:
            client.close()
            raise PzemConnectionError(
                f"cannot connect to {self.target} (refused, unreachable or timed out)"
            )
        self._client = client
        return client

    async def _drop(self) -> None:
        """Close and forget the pymodbus client, if any (locked)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
            await asyncio.sleep(0)  # let the transport finish closing

    async def _request(
        self,
        what: str,
        function_code: int,
        call: Callable[[ModbusBaseClient], Awaitable[ModbusPDU]],
    ) -> ModbusPDU:
        """Connect if needed, run ``call`` and return its answer, or raise."""
        async with self._lock:
            client = await self._connect()
            self._received, self._lost = b"", False
            budget = self.timeout * (self.retries + 1) + _GRACE
            try:
                async with asyncio.timeout(budget):
                    # A task of its own, so that _trace_connect can cancel it.
                    self._pending = asyncio.ensure_future(call(client))
                    response = await self._pending
            except asyncio.CancelledError as err:
                task = asyncio.current_task()
                if not self._lost or (task is not None and task.cancelling()):
                    raise
                # _trace_connect cancelled the request before pymodbus started it.
                await self._drop()
                raise PzemConnectionError(
                    f"{what}: {self.target} closed the connection"
                ) from err
            except ConnectionException as err:
                await self._drop()
                raise PzemConnectionError(
                    f"{what}: not connected to {self.target}"
                ) from err
            except (ModbusIOException, TimeoutError, OSError) as err:
                await self._drop()
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # pymodbus turns a cancellation into ModbusIOException.
                    raise asyncio.CancelledError from err
                if garbled := self._received:
                    raise PzemProtocolError(
                        f"{what}: {self.target} sent {len(garbled)} bytes that are"
                        f" not a valid frame (CRC error or malformed): "
                        f"{garbled[:32].hex(' ')}"
                    ) from err
                if self._lost:
                    raise PzemConnectionError(
                        f"{what}: {self.target} closed the connection"
                    ) from err
                raise PzemConnectionError(
                    f"{what}: no answer from slave {self.slave} at {self.target}"
                    f" within {self.timeout:g} s ({self.retries + 1} attempts)"
                ) from err
            except ModbusException as err:
                await self._drop()
                raise PzemProtocolError(f"{what}: {err}") from err
            finally:
                self._pending = None
            if response.isError():
                raise PzemProtocolError(
                    _exception_message(what, self.slave, response.exception_code),
                    exception_code=response.exception_code,
                )
            if response.function_code != function_code:
                await self._drop()
                raise PzemProtocolError(
                    f"{what}: expected function 0x{function_code:02X} from"
                    f" {self.target}, got 0x{response.function_code:02X}"
                )
            return response
