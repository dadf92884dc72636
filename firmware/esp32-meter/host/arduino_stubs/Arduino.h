// Stub of the Arduino-ESP32 core (2.0.x) for the host-side compile check of src/.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "HardwareSerial.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x01
#define OUTPUT 0x03
#define INPUT_PULLUP 0x05

typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db } adc_attenuation_t;

inline unsigned long millis() { return 0; }
inline void delay(uint32_t) {}
inline void pinMode(uint8_t, uint8_t) {}
inline void digitalWrite(uint8_t, uint8_t) {}
inline int digitalRead(uint8_t) { return HIGH; }
inline uint16_t analogRead(uint8_t) { return 2048; }
inline void analogReadResolution(uint8_t) {}
inline void analogSetPinAttenuation(uint8_t, adc_attenuation_t) {}
inline void configTime(long, int, const char*, const char* = nullptr, const char* = nullptr) {}

class String {
 public:
  String(const char* text = "") : text_(text) {}
  const char* c_str() const { return text_.c_str(); }

 private:
  std::string text_;
};

class EspClass {
 public:
  void restart() {}
};
inline EspClass ESP;
