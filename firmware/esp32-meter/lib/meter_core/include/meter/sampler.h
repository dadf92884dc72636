// The measuring side of the meter: each sensor measurement feeds the energy
// counter and the over-current cut-off, and is kept as the latest values that
// readings are made of. Thread-safe: the ESP32's sampling task updates it, the
// publishing task takes snapshots.
#pragma once

#include <cstdint>
#include <mutex>

#include "meter/energy.h"
#include "meter/hal.h"
#include "meter/measurement.h"
#include "meter/relays.h"
#include "meter/telemetry.h"

namespace meter {

struct SamplerConfig {
  uint16_t trip_mask = 0xFFFF;     // relays the over-current cut-off switches off
  uint32_t stale_after_ms = 10000;  // older measurements are not reported
};

class Sampler {
 public:
  Sampler(EnergyCounter& energy, RelayBank& relays, OvercurrentCutoff& cutoff, Logger* logger,
          const SamplerConfig& config = SamplerConfig());

  // A measurement taken at `uptime_ms`. Returns the relays the cut-off just
  // switched off (0: none).
  uint16_t update(const Measurement& measurement, uint64_t uptime_ms);
  // The sensor did not answer at `uptime_ms` (counted; values go stale).
  void failed(uint64_t uptime_ms);

  // A reading of the latest values (timestamp and rssi are the caller's):
  // energy always, the rest while fresh; power never negative.
  Reading snapshot(uint64_t uptime_ms) const;

  bool flush();  // the exact energy total to storage (clean shutdown)
  double energy_kwh() const;
  uint32_t failures() const;

 private:
  mutable std::mutex mutex_;
  EnergyCounter& energy_;
  RelayBank& relays_;
  OvercurrentCutoff& cutoff_;
  Logger* logger_;
  SamplerConfig config_;
  Measurement latest_;
  bool have_latest_ = false;
  uint64_t latest_ms_ = 0;
  uint32_t failures_ = 0;
};

}  // namespace meter
