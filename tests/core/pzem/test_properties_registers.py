"""PZEM register decoding on anything a transport could hand over.

Only ``PzemProtocolError`` comes out; a decoded reading is the registers read
back exactly (32-bit values low word first) and every field is finite and >= 0.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.intelergy.core.pzem.client import (
    ALARM_OFF,
    ALARM_ON,
    INPUT_REGISTER_COUNT,
    PzemProtocolError,
    decode_registers,
)

WORD = st.integers(0, 0xFFFF)
ANYTHING = (
    st.integers()
    | st.integers(min_value=2**63, max_value=2**200)
    | st.booleans()
    | st.floats()
    | st.none()
    | st.text(max_size=2)
)
REGISTERS = (
    # Valid frames: the success path, with both alarm states.
    st.tuples(*[WORD] * 9, st.sampled_from([ALARM_OFF, ALARM_ON])).map(list)
    # One register wrong, or the wrong count.
    | st.lists(WORD | ANYTHING, min_size=9, max_size=11)
    # Not a list of registers at all.
    | ANYTHING
    | st.binary(min_size=10, max_size=10)
    | st.lists(WORD, min_size=10, max_size=10).map(iter)
)


@settings(max_examples=4000, deadline=None, database=None)
@given(REGISTERS)
def test_registers_decode_or_raise_protocol_errors(registers: Any) -> None:
    try:
        reading = decode_registers(registers)
    except PzemProtocolError:
        return
    words = list(registers)
    assert len(words) == INPUT_REGISTER_COUNT
    assert all(type(word) is int and 0 <= word <= 0xFFFF for word in words)
    assert reading.voltage == words[0] / 10
    assert reading.current == (words[1] | words[2] << 16) / 1000
    assert reading.power == (words[3] | words[4] << 16) / 10
    assert reading.energy_wh == words[5] | words[6] << 16
    assert reading.alarm is (words[9] == ALARM_ON)
    for value in (reading.voltage, reading.current, reading.power, reading.frequency):
        assert math.isfinite(value)
        assert value >= 0
    assert 0 <= reading.power_factor <= 0xFFFF / 100
