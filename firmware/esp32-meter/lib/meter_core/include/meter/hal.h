// The hardware abstraction the core library is written against.
//
// Every interface here is implemented twice: by the Arduino layer (src/ on the
// ESP32: Preferences/NVS, HardwareSerial, Wire, analogRead, PubSubClient, GPIO)
// and by the host build (host/: files, simulated devices, libmosquitto). The
// core never includes a platform header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace meter {

// Time: milliseconds since boot (monotonic) and wall-clock epoch milliseconds
// (0 while the clock is not set: no SNTP answer yet).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t uptime_ms() = 0;
  virtual int64_t epoch_ms() = 0;
};

// Non-volatile key/value storage (NVS on the ESP32, files on the host). Keys
// are short ASCII names (NVS allows 15 characters). A write is all or nothing.
class Storage {
 public:
  virtual ~Storage() = default;
  // Reads the value of `key` into `data` (exactly `size` bytes); false when
  // the key is missing or has another size.
  virtual bool load(const char* key, uint8_t* data, size_t size) = 0;
  virtual bool save(const char* key, const uint8_t* data, size_t size) = 0;
};

// A half-duplex UART (the PZEM-004T's Modbus RTU link).
class SerialPort {
 public:
  virtual ~SerialPort() = default;
  virtual void discard_input() = 0;  // drop stale bytes before a request
  virtual bool write(const uint8_t* data, size_t size) = 0;
  // Reads up to `size` bytes, waiting at most `timeout_ms` for the first and
  // a few character times for the rest; the count read (0 on timeout).
  virtual size_t read(uint8_t* data, size_t size, uint32_t timeout_ms) = 0;
};

// An I2C bus with 16-bit big-endian registers (the INA219's).
class I2cBus {
 public:
  virtual ~I2cBus() = default;
  virtual bool write_register16(uint8_t address, uint8_t reg, uint16_t value) = 0;
  virtual bool read_register16(uint8_t address, uint8_t reg, uint16_t& value) = 0;
};

// Simultaneous voltage/current sampling on two ADC channels (ACS712/SCT013 +
// ZMPT101B). Fills `count` pairs of raw counts taken `sample_rate_hz` apart.
class AdcSampler {
 public:
  virtual ~AdcSampler() = default;
  virtual bool sample(uint16_t* voltage, uint16_t* current, size_t count) = 0;
  virtual double sample_rate_hz() const = 0;
};

// Relay outputs (GPIOs driving relay modules).
class RelayOutput {
 public:
  virtual ~RelayOutput() = default;
  virtual void write(unsigned index, bool on) = 0;
};

// An MQTT 3.1.1 client connection. `connect` blocks until the broker accepted
// (CONNACK) or refused the session, or the attempt timed out.
struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = true;
};

class MqttTransport {
 public:
  using MessageHandler = std::function<void(const std::string& topic, const uint8_t* payload, size_t size)>;
  virtual ~MqttTransport() = default;
  virtual bool connect(const Will& will) = 0;
  virtual bool connected() = 0;
  virtual bool publish(const std::string& topic, const char* payload, size_t size, bool retain, int qos) = 0;
  virtual bool subscribe(const std::string& topic, int qos) = 0;
  // A clean disconnect, after what was published went out (the broker does
  // not publish the Will).
  virtual void disconnect() = 0;
  // Services the connection (keep-alive, incoming messages) for up to
  // `timeout_ms`; called by MqttSession::poll.
  virtual void loop(uint32_t timeout_ms) = 0;
  // Incoming messages (relay commands); called from the transport's loop.
  virtual void set_message_handler(MessageHandler handler) = 0;
};

enum class LogLevel { debug, info, warning, error };

// A sink for one-line log messages (Serial on the ESP32, stderr on the host).
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, const char* message) = 0;
};

// printf-style logging through an optional Logger (nullptr: discarded).
void logf(Logger* logger, LogLevel level, const char* format, ...) __attribute__((format(printf, 3, 4)));

}  // namespace meter
