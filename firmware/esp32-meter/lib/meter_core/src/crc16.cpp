#include "meter/crc16.h"

namespace meter {

uint16_t crc16_modbus(const uint8_t* data, size_t size) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1U) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001U) : static_cast<uint16_t>(crc >> 1);
    }
  }
  return crc;
}

void append_crc16(uint8_t* frame, size_t size) {
  const uint16_t crc = crc16_modbus(frame, size);
  frame[size] = static_cast<uint8_t>(crc & 0xFFU);
  frame[size + 1] = static_cast<uint8_t>(crc >> 8);
}

bool check_crc16(const uint8_t* frame, size_t size) {
  if (size < 3) {
    return false;
  }
  const uint16_t crc = crc16_modbus(frame, size - 2);
  return frame[size - 2] == (crc & 0xFFU) && frame[size - 1] == (crc >> 8);
}

}  // namespace meter
