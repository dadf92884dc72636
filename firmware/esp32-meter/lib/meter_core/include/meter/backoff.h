// Reconnection delays: exponential (initial x 2^n, capped), minus a random
// jitter so that meters cut by the same outage do not all come back at once.
#pragma once

#include <cstdint>

namespace meter {

class Backoff {
 public:
  // `jitter` in [0, 1): each delay is drawn from [d x (1 - jitter), d].
  Backoff(uint32_t initial_ms, uint32_t max_ms, double jitter = 0.2, uint32_t seed = 1);
  // The delay before the next attempt (the first call gives about initial_ms).
  uint32_t next_delay_ms();
  // After a successful connection: start again from initial_ms.
  void reset() { attempts_ = 0; }
  uint32_t attempts() const { return attempts_; }

 private:
  uint32_t random();

  uint32_t initial_ms_;
  uint32_t max_ms_;
  double jitter_;
  uint32_t state_;
  uint32_t attempts_ = 0;
};

}  // namespace meter
