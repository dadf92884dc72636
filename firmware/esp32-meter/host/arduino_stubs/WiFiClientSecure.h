// Stub of WiFiClientSecure (Arduino-ESP32 2.0.x).
#pragma once
#include "WiFiClient.h"

class WiFiClientSecure : public WiFiClient {
 public:
  void setCACert(const char*) {}
  int lastError(char* buffer, const size_t size) {
    if (size > 0) {
      buffer[0] = '\0';
    }
    return 0;
  }
};
