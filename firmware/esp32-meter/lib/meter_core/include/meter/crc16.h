// CRC-16/MODBUS (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meter {

uint16_t crc16_modbus(const uint8_t* data, size_t size);

// Appends the CRC of frame[0..size) at frame[size], frame[size + 1] (low byte first).
void append_crc16(uint8_t* frame, size_t size);

// Whether the last two bytes of frame[0..size) are the CRC of the bytes before.
bool check_crc16(const uint8_t* frame, size_t size);

}  // namespace meter
