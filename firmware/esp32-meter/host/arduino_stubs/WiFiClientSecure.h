// Stub of WiFiClientSecure (Arduino-ESP32 2.0.x).
#pragma once
#include "WiFiClient.h"

class WiFiClientSecure : public WiFiClient {
 public:
  void setCACert(const char*) {}
};
