// Stub of WiFiClient (Arduino-ESP32 2.0.x).
#pragma once
#include "HardwareSerial.h"

class WiFiClient : public Client {
 public:
  int available() { return 0; }
  int read(uint8_t*, size_t) { return -1; }
  uint8_t connected() { return 0; }
};
