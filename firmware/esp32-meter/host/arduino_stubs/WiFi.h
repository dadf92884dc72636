// Stub of the WiFi class (Arduino-ESP32 2.0.x).
#pragma once
#include <cstdint>

#include "WiFiClient.h"

typedef enum { WIFI_OFF, WIFI_STA, WIFI_AP, WIFI_AP_STA } wifi_mode_t;
typedef enum { WL_IDLE_STATUS = 0, WL_CONNECTED = 3, WL_DISCONNECTED = 6 } wl_status_t;

class WiFiClass {
 public:
  bool mode(wifi_mode_t) { return true; }
  bool setHostname(const char*) { return true; }
  bool setAutoReconnect(bool) { return true; }
  wl_status_t begin(const char*, const char* = nullptr) { return WL_DISCONNECTED; }
  wl_status_t status() { return WL_DISCONNECTED; }
  int8_t RSSI() { return -60; }
};
inline WiFiClass WiFi;
