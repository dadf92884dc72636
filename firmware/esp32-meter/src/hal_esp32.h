// The Arduino layer: the core's interfaces (lib/meter_core/include/meter/hal.h)
// on the ESP32. Thin adapters only; every decision is in the core.
#pragma once

#include <Arduino.h>
#include <HardwareSerial.h>
#include <Preferences.h>
#include <PubSubClient.h>
#include <WiFiClient.h>
#include <Wire.h>

#include "meter/hal.h"
#include "meter/ota.h"

namespace meter {
namespace esp32 {

// esp_timer (64-bit microseconds since boot) and the SNTP-set system time.
class Esp32Clock : public Clock {
 public:
  uint64_t uptime_ms() override;
  int64_t epoch_ms() override;  // 0 until SNTP answered
};

// NVS through Preferences, namespace "intelergy".
class NvsStorage : public Storage {
 public:
  bool begin();
  bool load(const char* key, uint8_t* data, size_t size) override;
  bool save(const char* key, const uint8_t* data, size_t size) override;

 private:
  Preferences preferences_;
};

// The PZEM-004T's UART (9600 8N1).
class UartPort : public SerialPort {
 public:
  explicit UartPort(HardwareSerial& serial) : serial_(serial) {}
  void begin(int rx_pin, int tx_pin);
  void discard_input() override;
  bool write(const uint8_t* data, size_t size) override;
  size_t read(uint8_t* data, size_t size, uint32_t timeout_ms) override;

 private:
  HardwareSerial& serial_;
};

// The INA219's I2C bus.
class WireBus : public I2cBus {
 public:
  explicit WireBus(TwoWire& wire) : wire_(wire) {}
  bool write_register16(uint8_t address, uint8_t reg, uint16_t value) override;
  bool read_register16(uint8_t address, uint8_t reg, uint16_t& value) override;

 private:
  TwoWire& wire_;
};

// Two ADC1 channels read in turn at a steady rate (busy-waiting on esp_timer).
// Reports the rate it actually achieved, for the frequency measurement.
class Esp32AdcSampler : public AdcSampler {
 public:
  Esp32AdcSampler(int voltage_pin, int current_pin, double rate_hz)
      : voltage_pin_(voltage_pin), current_pin_(current_pin), rate_hz_(rate_hz), measured_hz_(rate_hz) {}
  void begin();
  bool sample(uint16_t* voltage, uint16_t* current, size_t count) override;
  double sample_rate_hz() const override { return measured_hz_; }

 private:
  int voltage_pin_;
  int current_pin_;
  double rate_hz_;
  double measured_hz_;
};

// Relay modules on GPIOs.
class GpioRelays : public RelayOutput {
 public:
  GpioRelays(const uint8_t* pins, unsigned count, bool active_low);
  void write(unsigned index, bool on) override;

 private:
  const uint8_t* pins_;
  unsigned count_;
  bool active_low_;
};

// PubSubClient over a WiFiClient (or WiFiClientSecure with -DMETER_TLS).
// PubSubClient publishes at QoS 0 whatever is asked (the contract allows it). A
// refused connection is logged once with its reason (bad credentials, not
// authorised, or the TLS error: a broker certificate the CA did not sign).
class PubSubTransport : public MqttTransport {
 public:
  PubSubTransport(Client& network, const char* host, uint16_t port, const char* client_id, const char* username,
                  const char* password, Logger* logger);
  // Where the TLS layer's last error comes from (WiFiClientSecure::lastError).
  void set_tls_error_source(int (*last_error)(char* buffer, size_t size)) { tls_error_ = last_error; }
  bool begin(uint16_t buffer_size, uint16_t keepalive_s, uint16_t socket_timeout_s);
  bool connect(const Will& will) override;
  bool connected() override;
  bool publish(const std::string& topic, const char* payload, size_t size, bool retain, int qos) override;
  bool subscribe(const std::string& topic, int qos) override;
  void disconnect() override;
  void loop(uint32_t timeout_ms) override;
  void set_message_handler(MessageHandler handler) override;

 private:
  PubSubClient client_;
  const char* host_;
  uint16_t port_;
  const char* client_id_;
  const char* username_;
  const char* password_;
  Logger* logger_;
  int (*tls_error_)(char* buffer, size_t size) = nullptr;
  int last_state_ = 0;  // the last failure logged (PubSubClient::state())
};

// The inactive OTA partition through Update: begin() prepares it, write() writes
// it, commit() (Update.end: ESP-IDF checks the image, then sets the boot
// partition) makes it the one to boot; abort() leaves the running firmware
// bootable.
class UpdateSlot : public FirmwareSlot {
 public:
  size_t capacity() override;
  bool begin(size_t image_size) override;
  bool write(const uint8_t* data, size_t size) override;
  bool commit() override;
  void abort() override;
};

// Log lines on the serial console.
class SerialLogger : public Logger {
 public:
  void log(LogLevel level, const char* message) override;
};

}  // namespace esp32
}  // namespace meter
