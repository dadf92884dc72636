// The host build's HAL: the core's interfaces on POSIX (clock, files) and
// libmosquitto (MQTT), as the Arduino layer implements them on the ESP32.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "meter/hal.h"

struct mosquitto;
struct mosquitto_message;

namespace meter {
namespace host {

// CLOCK_MONOTONIC since start (uptime) and CLOCK_REALTIME (epoch).
class PosixClock : public Clock {
 public:
  PosixClock();
  uint64_t uptime_ms() override;
  int64_t epoch_ms() override;

 private:
  uint64_t start_ms_;
};

// One file per key in a directory; a write goes to a temporary file renamed
// over the old one (all or nothing, as NVS).
class FileStorage : public Storage {
 public:
  explicit FileStorage(std::string directory) : directory_(std::move(directory)) {}
  bool load(const char* key, uint8_t* data, size_t size) override;
  bool save(const char* key, const uint8_t* data, size_t size) override;

 private:
  std::string directory_;
};

// Log lines on stderr: warnings and errors always, info and debug with -v.
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(bool verbose) : verbose_(verbose) {}
  void log(LogLevel level, const char* message) override;

 private:
  bool verbose_;
};

struct BrokerOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  std::string username;
  std::string password;
  std::string cafile;  // TLS when set (as the ESP32 with its CA certificate)
  int keepalive_s = 15;
  uint32_t connect_timeout_ms = 3000;
};

// libmosquitto without its thread: loop() is called from the meter's loop,
// callbacks run inside it. QoS 1 messages not yet acknowledged when the link
// drops are sent again by libmosquitto after the next connect.
class MosquittoTransport : public MqttTransport {
 public:
  MosquittoTransport(const BrokerOptions& options, Logger* logger);
  ~MosquittoTransport() override;
  MosquittoTransport(const MosquittoTransport&) = delete;
  MosquittoTransport& operator=(const MosquittoTransport&) = delete;

  bool connect(const Will& will) override;
  bool connected() override { return connected_; }
  bool publish(const std::string& topic, const char* payload, size_t size, bool retain, int qos) override;
  bool subscribe(const std::string& topic, int qos) override;
  void disconnect() override;
  void loop(uint32_t timeout_ms) override;
  void set_message_handler(MessageHandler handler) override { handler_ = std::move(handler); }

 private:
  static void on_connect(struct mosquitto* mosq, void* self, int rc);
  static void on_disconnect(struct mosquitto* mosq, void* self, int rc);
  static void on_publish(struct mosquitto* mosq, void* self, int mid);
  static void on_message(struct mosquitto* mosq, void* self, const struct mosquitto_message* message);
  static void on_log(struct mosquitto* mosq, void* self, int level, const char* text);
  // Why an attempt failed: a warning the first time, at debug level while it repeats.
  void failed(const std::string& why);

  BrokerOptions options_;
  Logger* logger_;
  struct mosquitto* mosq_ = nullptr;
  MessageHandler handler_;
  bool connected_ = false;
  int connack_ = -1;  // -1: none yet
  std::set<int> unacknowledged_;
  std::string last_error_;     // libmosquitto's last error log line (OpenSSL's reason)
  std::string last_reported_;  // the last failure logged as a warning
};

}  // namespace host
}  // namespace meter
