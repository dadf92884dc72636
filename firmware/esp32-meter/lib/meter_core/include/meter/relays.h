// Relays: their state (shared between the tasks), what is left to publish, and
// the over-current cut-off that switches them off locally, with or without Home
// Assistant.
#pragma once

#include <cstdint>
#include <mutex>

#include "meter/hal.h"

namespace meter {

class RelayBank {
 public:
  // `output` may be null (no hardware: tests). All `count` relays are driven to
  // `initial_bits` at once.
  RelayBank(RelayOutput* output, unsigned count, uint16_t initial_bits);

  unsigned count() const { return count_; }
  uint16_t bits() const;
  bool get(unsigned index) const;
  // Switches relay `index`; true when its state changed. Either way its state
  // is (re)published: a command is always answered.
  bool set(unsigned index, bool on);
  // Switches off the relays of `mask` that are on; the mask of those switched.
  uint16_t trip(uint16_t mask);
  // The relays whose state must be published, cleared.
  uint16_t take_pending();
  void mark_all_pending();

 private:
  mutable std::mutex mutex_;
  RelayOutput* output_;
  unsigned count_;
  uint16_t bits_ = 0;
  uint16_t pending_ = 0;
};

// Trips when the current stays above `limit_a` for `hold_ms` (0: at once).
// A limit <= 0 disables it.
class OvercurrentCutoff {
 public:
  OvercurrentCutoff(double limit_a, uint32_t hold_ms) : limit_a_(limit_a), hold_ms_(hold_ms) {}
  // One current measurement at `uptime_ms`; true when the relays must trip now.
  bool update(double current_a, uint64_t uptime_ms);
  double limit_a() const { return limit_a_; }
  uint32_t trips() const { return trips_; }

 private:
  double limit_a_;
  uint32_t hold_ms_;
  bool above_ = false;
  uint64_t since_ms_ = 0;
  uint32_t trips_ = 0;
};

}  // namespace meter
