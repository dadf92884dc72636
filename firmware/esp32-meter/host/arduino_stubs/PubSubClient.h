// Stub of PubSubClient 2.8 (knolleary), ESP32 flavour (std::function callback).
#pragma once
#include <cstdint>
#include <functional>

#include "HardwareSerial.h"

#define MQTT_CONNECTION_TIMEOUT -4
#define MQTT_CONNECTION_LOST -3
#define MQTT_CONNECT_FAILED -2
#define MQTT_DISCONNECTED -1
#define MQTT_CONNECTED 0
#define MQTT_CONNECT_BAD_PROTOCOL 1
#define MQTT_CONNECT_BAD_CLIENT_ID 2
#define MQTT_CONNECT_UNAVAILABLE 3
#define MQTT_CONNECT_BAD_CREDENTIALS 4
#define MQTT_CONNECT_UNAUTHORIZED 5

#define MQTT_CALLBACK_SIGNATURE std::function<void(char*, uint8_t*, unsigned int)> callback

class PubSubClient {
 public:
  explicit PubSubClient(Client&) {}
  PubSubClient& setServer(const char*, uint16_t) { return *this; }
  PubSubClient& setCallback(MQTT_CALLBACK_SIGNATURE) {
    (void)callback;
    return *this;
  }
  PubSubClient& setKeepAlive(uint16_t) { return *this; }
  PubSubClient& setSocketTimeout(uint16_t) { return *this; }
  bool setBufferSize(uint16_t) { return true; }
  bool connect(const char*, const char*, const char*, const char*, uint8_t, bool, const char*, bool) { return false; }
  bool connected() { return false; }
  bool publish(const char*, const uint8_t*, unsigned int, bool) { return false; }
  bool subscribe(const char*, uint8_t) { return false; }
  void disconnect() {}
  bool loop() { return false; }
  int state() { return -1; }
};
