// Stub of HardwareSerial (Arduino-ESP32 2.0.x).
#pragma once
#include <cstddef>
#include <cstdint>

#define SERIAL_8N1 0x800001c

class Client {
 public:
  virtual ~Client() = default;
};

class HardwareSerial {
 public:
  void begin(unsigned long, uint32_t = SERIAL_8N1, int8_t = -1, int8_t = -1, bool = false,
             unsigned long = 20000UL, uint8_t = 112) {}
  int available() { return 0; }
  int read() { return -1; }
  size_t write(const uint8_t*, size_t size) { return size; }
  void flush() {}
  size_t printf(const char*, ...) __attribute__((format(printf, 2, 3))) { return 0; }
};
inline HardwareSerial Serial;
inline HardwareSerial Serial2;
