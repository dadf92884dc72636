#include "meter/relays.h"

#include <cmath>

#include "meter/telemetry.h"

namespace meter {

RelayBank::RelayBank(RelayOutput* output, unsigned count, uint16_t initial_bits)
    : output_(output), count_(count > kMaxRelays ? kMaxRelays : count) {
  const uint16_t all = static_cast<uint16_t>(count_ >= 16 ? 0xFFFFU : (1U << count_) - 1U);
  bits_ = initial_bits & all;
  pending_ = all;
  if (output_ != nullptr) {
    for (unsigned n = 0; n < count_; ++n) {
      output_->write(n, (bits_ >> n) & 1U);
    }
  }
}

uint16_t RelayBank::bits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bits_;
}

bool RelayBank::get(unsigned index) const { return index < count_ && ((bits() >> index) & 1U); }

bool RelayBank::set(unsigned index, bool on) {
  if (index >= count_) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const uint16_t bit = static_cast<uint16_t>(1U << index);
  const bool changed = ((bits_ & bit) != 0) != on;
  bits_ = static_cast<uint16_t>(on ? (bits_ | bit) : (bits_ & ~bit));
  pending_ |= bit;
  if (output_ != nullptr) {
    output_->write(index, on);
  }
  return changed;
}

uint16_t RelayBank::trip(uint16_t mask) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint16_t switched = bits_ & mask;
  for (unsigned n = 0; n < count_; ++n) {
    if ((switched >> n) & 1U) {
      if (output_ != nullptr) {
        output_->write(n, false);
      }
    }
  }
  bits_ = static_cast<uint16_t>(bits_ & ~switched);
  pending_ |= switched;
  return switched;
}

uint16_t RelayBank::take_pending() {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint16_t pending = pending_;
  pending_ = 0;
  return pending;
}

void RelayBank::mark_all_pending() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ = static_cast<uint16_t>(count_ >= 16 ? 0xFFFFU : (1U << count_) - 1U);
}

bool OvercurrentCutoff::update(double current_a, uint64_t uptime_ms) {
  if (!(limit_a_ > 0.0) || !std::isfinite(current_a) || current_a <= limit_a_) {
    above_ = false;
    return false;
  }
  if (!above_) {
    above_ = true;
    since_ms_ = uptime_ms;
  }
  if (uptime_ms - since_ms_ >= hold_ms_) {
    above_ = false;  // start over: a relay switched on again gets the full hold time
    ++trips_;
    return true;
  }
  return false;
}

}  // namespace meter
