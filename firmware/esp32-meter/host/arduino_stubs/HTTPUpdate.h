// Stub of HTTPUpdate (Arduino-ESP32 2.0.x).
#pragma once
#include "Arduino.h"
#include "WiFiClient.h"

enum HTTPUpdateResult { HTTP_UPDATE_FAILED, HTTP_UPDATE_NO_UPDATES, HTTP_UPDATE_OK };
typedef HTTPUpdateResult t_httpUpdate_return;

class HTTPUpdate {
 public:
  void rebootOnUpdate(bool) {}
  t_httpUpdate_return update(WiFiClient&, const String&, const String& = "") { return HTTP_UPDATE_NO_UPDATES; }
  String getLastErrorString() { return String("stub"); }
};
inline HTTPUpdate httpUpdate;
