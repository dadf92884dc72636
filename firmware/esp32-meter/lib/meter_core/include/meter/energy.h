// The cumulative energy counter (Wh): integrates power or follows a sensor's own
// counter, survives reboots through Storage, and never goes backwards.
//
// Never backwards, even across a crash: the stored value is a ceiling. Before the
// total passes the stored value, `reserve_wh` more is stored, so every value the
// counter ever held (and the meter published) is at most what a reboot restores.
// A crash costs at most `reserve_wh` of over-count; a clean shutdown (`flush`)
// stores the exact total. Two slots (sequence number + CRC32) are written in
// turn: a torn or corrupted write falls back to the other slot.
#pragma once

#include <cstddef>
#include <cstdint>

#include "meter/hal.h"

namespace meter {

struct EnergyOptions {
  double reserve_wh = 10.0;  // stored ahead of the total (one write per reserve_wh)
  double max_gap_s = 60.0;   // integration over a longer gap (sensor lost) is capped
  // A jump of the sensor's own counter larger than this between two reads is
  // taken as garbage (a new baseline), not as energy.
  double max_external_step_wh = 1000.0;
};

class EnergyCounter {
 public:
  static constexpr size_t kRecordSize = 20;
  static constexpr const char* kSlotKeys[2] = {"energy0", "energy1"};

  EnergyCounter(Storage& storage, const EnergyOptions& options = EnergyOptions());

  // Loads the stored counter; without one, starts at `initial_wh`. True when a
  // stored counter was found.
  bool begin(double initial_wh = 0.0);

  // Integrates `watts` (trapezoids) from the previous sample to `uptime_ms`;
  // negative or unknown power adds nothing (consumption only).
  void add_power(double watts, uint64_t uptime_ms);
  // Follows a sensor's own counter (PZEM-004T): adds its increase; a lower
  // value is a restart from 0 (reset command, wrap at 9999.99 kWh). The first
  // value after boot is the baseline.
  void add_external(double counter_wh);
  // Adds `wh` (ignored unless finite and positive).
  void add_wh(double wh);

  double total_wh() const { return total_wh_; }
  double total_kwh() const { return total_wh_ / 1000.0; }
  // Stores the exact total (clean shutdown, before an OTA restart).
  bool flush();

  bool restored() const { return restored_; }
  uint32_t writes() const { return writes_; }
  uint32_t write_errors() const { return write_errors_; }

  // The record format, exposed for tests: magic "IEN1", sequence, milli-Wh
  // (little-endian), CRC-32 of the first 16 bytes.
  static void encode(uint32_t sequence, uint64_t milli_wh, uint8_t (&record)[kRecordSize]);
  static bool decode(const uint8_t (&record)[kRecordSize], uint32_t& sequence, uint64_t& milli_wh);

 private:
  bool store(double wh);

  Storage& storage_;
  EnergyOptions options_;
  double total_wh_ = 0.0;
  double stored_wh_ = -1.0;  // the ceiling in storage (-1: nothing stored yet)
  uint32_t sequence_ = 0;
  bool restored_ = false;
  bool have_sample_ = false;
  double last_watts_ = 0.0;
  uint64_t last_ms_ = 0;
  bool have_external_ = false;
  double last_external_wh_ = 0.0;
  uint32_t writes_ = 0;
  uint32_t write_errors_ = 0;
};

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace meter
