// Stub of HTTPClient (Arduino-ESP32 2.0.x).
#pragma once
#include "Arduino.h"
#include "WiFiClient.h"

class HTTPClient {
 public:
  bool begin(WiFiClient&, const String&) { return false; }
  void end() {}
  void setTimeout(uint16_t) {}
  void useHTTP10(bool = true) {}
  void addHeader(const String&, const String&, bool = false, bool = true) {}
  int GET() { return -1; }
  int getSize() { return -1; }
  WiFiClient* getStreamPtr() { return nullptr; }
  static String errorToString(int) { return String("stub"); }
};
