#include "meter/backoff.h"

namespace meter {

Backoff::Backoff(uint32_t initial_ms, uint32_t max_ms, double jitter, uint32_t seed)
    : initial_ms_(initial_ms > 0 ? initial_ms : 1),
      max_ms_(max_ms >= initial_ms_ ? max_ms : initial_ms_),
      jitter_(jitter < 0.0 ? 0.0 : (jitter > 0.99 ? 0.99 : jitter)),
      state_(seed != 0 ? seed : 0x9E3779B9U) {}

uint32_t Backoff::random() {  // xorshift32
  state_ ^= state_ << 13;
  state_ ^= state_ >> 17;
  state_ ^= state_ << 5;
  return state_;
}

uint32_t Backoff::next_delay_ms() {
  uint64_t delay = initial_ms_;
  for (uint32_t n = 0; n < attempts_ && delay < max_ms_; ++n) {
    delay *= 2;
  }
  if (delay > max_ms_) {
    delay = max_ms_;
  }
  ++attempts_;
  const double fraction = static_cast<double>(random()) / 4294967296.0;  // [0, 1)
  const double jittered = static_cast<double>(delay) * (1.0 - jitter_ * fraction);
  const uint32_t result = static_cast<uint32_t>(jittered);
  return result > 0 ? result : 1;
}

}  // namespace meter
