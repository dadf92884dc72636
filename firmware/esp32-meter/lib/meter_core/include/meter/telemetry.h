// Readings and their JSON, exactly per the MQTT contract (docs/mqtt-contract.md):
// canonical field names, epoch-seconds timestamp, a field only when it is known
// and within the contract's bounds (`boot` and `dropped` as integers), at most
// 4096 bytes per state message; backlog messages are arrays of readings with a
// set timestamp and energy, oldest first, cut under the contract's limits (2000
// readings, 262144 bytes).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "meter/ring_buffer.h"

namespace meter {

constexpr size_t kMaxStateBytes = 4096;
constexpr size_t kMaxBacklogBytes = 262144;
constexpr size_t kMaxBacklogReadings = 2000;
constexpr unsigned kMaxRelays = 16;
// Before this the meter's clock is not set (no SNTP answer yet).
constexpr int64_t kClockValidFromMs = 1577836800000LL;  // 2020-01-01T00:00:00Z

// One reading as the meter takes it. NaN / negative markers = not known.
struct Reading {
  int64_t timestamp_ms = 0;  // epoch ms; below kClockValidFromMs: clock not set
  int64_t uptime_ms = -1;    // ms since boot; -1 unknown
  double energy_kwh = NAN;
  double power = NAN;  // W
  float voltage = NAN;
  float current = NAN;
  float power_factor = NAN;
  float frequency = NAN;
  float rssi = NAN;
  int8_t relay_count = -1;  // -1: relays not reported
  uint16_t relay_bits = 0;  // bit n = relay n is on
  int64_t boot = -1;        // the boot counter (0..2^32-1); -1: not sent
  int64_t dropped = -1;     // readings the offline buffer dropped since boot; -1: not sent

  bool clock_set() const { return timestamp_ms >= kClockValidFromMs; }
  bool relay(unsigned n) const { return (relay_bits >> n) & 1U; }
};

// The contract's bounds of a numeric field, and whether `value` may be sent.
enum class Field { voltage, current, power, energy, power_factor, frequency, rssi, uptime, interval, boot, dropped };
bool in_bounds(Field field, double value);

// Whether a reading can go into a backlog message (timestamp set, energy known).
bool backlog_ready(const Reading& reading);

// Writes the state JSON of `reading` into out[0..capacity) (NUL-terminated).
// `device_id` (nullptr: left out) and `interval_s` (NaN: left out) describe the
// meter. Returns the length, or 0 when the reading cannot be sent (neither
// power nor energy known, or it does not fit).
size_t serialize_reading(const Reading& reading, const char* device_id, double interval_s, char* out,
                         size_t capacity);

// A backlog message from the oldest readings of `buffer`. Readings taken before
// the clock was set are timestamped now from their uptime (`now_epoch_ms`,
// `now_uptime_ms`: the present); readings that still cannot be sent are skipped.
struct BacklogChunk {
  size_t length = 0;    // bytes written to `out` (0: no reading to send)
  size_t readings = 0;  // readings in the message
  size_t consumed = 0;  // buffer entries used up (sent + skipped): pop these once sent
  size_t skipped = 0;   // readings dropped because they cannot be serialised
};
BacklogChunk build_backlog_chunk(const RingBuffer<Reading>& buffer, int64_t now_epoch_ms, int64_t now_uptime_ms,
                                 size_t max_readings, char* out, size_t capacity);

}  // namespace meter
