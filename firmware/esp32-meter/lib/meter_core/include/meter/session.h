// The meter's side of the MQTT contract, over any MqttTransport:
//
// - connects with a retained `offline` Will on `…/availability`, retrying with
//   exponential backoff while the broker is unreachable;
// - once connected: `online` (retained), every relay's `ON`/`OFF` (retained),
//   a subscription to `…/relay/+/set`;
// - readings go out on `…/state`; while the broker is unreachable they are kept
//   in a bounded ring buffer (oldest dropped first, counted) and, once it is
//   back, replayed in order as `…/backlog` arrays before `state` resumes;
// - every reading carries the boot counter (`boot`, when configured); every
//   state message, once the buffer has dropped a reading since boot, the count
//   (`dropped`);
// - relay commands (`ON`/`OFF`, anything else ignored) go to a handler; relay
//   changes (commands, the over-current cut-off) are published as they happen;
// - the firmware's version and its last update's outcome (set_ota_report) go
//   out retained on `…/ota` after every connect, and at once when they change;
// - shutdown: `offline` (retained), then a clean disconnect.
//
// Single-threaded: poll(), submit() and shutdown() are called from one task
// (the transport calls the message handler from within poll()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "meter/backoff.h"
#include "meter/hal.h"
#include "meter/relays.h"
#include "meter/ring_buffer.h"
#include "meter/telemetry.h"
#include "meter/topics.h"

namespace meter {

struct SessionConfig {
  std::string prefix = "intelergy";
  std::string device_id;
  double interval_s = 5.0;           // sent as `interval` (when 1..86400 s)
  uint32_t offline_interval_ms = 0;  // while offline, buffer at most one reading per this (0: all)
  size_t buffer_capacity = 1000;     // readings kept while offline
  size_t chunk_readings = 500;       // readings per backlog message (contract: <= 2000)
  size_t chunk_bytes = 65536;        // bytes per backlog message (contract: <= 262144)
  uint32_t backoff_initial_ms = 1000;
  uint32_t backoff_max_ms = 30000;
  double backoff_jitter = 0.2;
  uint32_t seed = 1;  // of the backoff's jitter
  int qos = 1;
  // The boot counter (BootCounter), sent as `boot` in every reading, state and
  // backlog; -1: not sent (it could not be stored, so it proves nothing).
  int64_t boot = -1;
};

struct SessionStats {
  uint32_t connects = 0;
  uint32_t connection_losses = 0;
  uint32_t failed_attempts = 0;
  uint32_t states = 0;            // state messages published
  uint32_t backlog_messages = 0;  // backlog messages published
  uint32_t backlog_readings = 0;  // readings in them
  uint32_t skipped = 0;           // readings that could not be serialised (dropped)
  uint32_t ignored_commands = 0;
};

class MqttSession {
 public:
  using CommandHandler = std::function<void(unsigned index, bool on)>;

  MqttSession(const SessionConfig& config, MqttTransport& transport, RelayBank& relays, Clock& clock,
              Logger* logger);

  // Where valid relay commands go (default: RelayBank::set at once).
  void set_command_handler(CommandHandler handler) { handler_ = std::move(handler); }

  // Connects when due, services the connection (up to `timeout_ms`), publishes
  // relay changes and one backlog message. Call it often.
  void poll(uint32_t timeout_ms = 0);
  // One reading (every interval): published on `…/state`, or buffered.
  void submit(const Reading& reading);
  // The `…/ota` report (serialize_ota_report): published retained now when
  // online, and after every connect. Empty: none.
  void set_ota_report(const std::string& payload);
  // `offline` (retained) and a clean disconnect.
  void shutdown();

  bool online() const { return online_; }
  size_t buffered() const { return buffer_.size(); }
  uint32_t dropped() const { return buffer_.dropped(); }
  const SessionStats& stats() const { return stats_; }
  const Topics& topics() const { return topics_; }
  // When the next connection attempt is due (uptime ms; 0: now).
  uint64_t next_attempt_ms() const { return next_attempt_ms_; }

 private:
  void on_message(const std::string& topic, const uint8_t* payload, size_t size);
  void connected_now();
  void lost(const char* why);
  bool publish(const std::string& topic, const char* payload, bool retain);
  bool publish_relays(uint16_t mask);
  void send_backlog_chunk();

  SessionConfig config_;
  MqttTransport& transport_;
  RelayBank& relays_;
  Clock& clock_;
  Logger* logger_;
  Topics topics_;
  Backoff backoff_;
  RingBuffer<Reading> buffer_;
  std::unique_ptr<char[]> chunk_;
  char state_[kMaxStateBytes + 1];
  CommandHandler handler_;
  std::string ota_report_;
  SessionStats stats_;
  bool online_ = false;
  uint64_t next_attempt_ms_ = 0;
  bool buffered_any_ = false;
  uint64_t last_buffered_ms_ = 0;
  uint32_t dropped_reported_ = 0;
};

}  // namespace meter
