// Stub of TwoWire (Arduino-ESP32 2.0.x).
#pragma once
#include <cstddef>
#include <cstdint>

class TwoWire {
 public:
  bool begin(int, int, uint32_t = 0) { return true; }
  void beginTransmission(uint8_t) {}
  size_t write(uint8_t) { return 1; }
  uint8_t endTransmission(bool = true) { return 0; }
  uint8_t requestFrom(uint8_t, uint8_t) { return 0; }
  int read() { return 0; }
};
inline TwoWire Wire;
