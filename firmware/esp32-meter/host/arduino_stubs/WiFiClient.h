// Stub of WiFiClient (Arduino-ESP32 2.0.x).
#pragma once
#include "HardwareSerial.h"

class WiFiClient : public Client {};
