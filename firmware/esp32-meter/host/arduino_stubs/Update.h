// Stub of Update (Arduino-ESP32 2.0.x UpdateClass).
#pragma once
#include <cstddef>
#include <cstdint>

#include "Arduino.h"

#define U_FLASH 0

class UpdateClass {
 public:
  bool begin(size_t, int = U_FLASH, int = -1, uint8_t = LOW, const char* = nullptr) { return false; }
  size_t write(uint8_t*, size_t) { return 0; }
  bool end(bool = false) { return false; }
  void abort() {}
  const char* errorString() { return "stub"; }
};
inline UpdateClass Update;
