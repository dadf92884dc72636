// Stub of Preferences (Arduino-ESP32 2.0.x).
#pragma once
#include <cstddef>

class Preferences {
 public:
  bool begin(const char*, bool = false, const char* = nullptr) { return true; }
  bool isKey(const char*) { return false; }
  size_t getBytesLength(const char*) { return 0; }
  size_t getBytes(const char*, void*, size_t) { return 0; }
  size_t putBytes(const char*, const void*, size_t size) { return size; }
};
