#include "meter/sampler.h"

namespace meter {

Sampler::Sampler(EnergyCounter& energy, RelayBank& relays, OvercurrentCutoff& cutoff, Logger* logger,
                 const SamplerConfig& config)
    : energy_(energy), relays_(relays), cutoff_(cutoff), logger_(logger), config_(config) {}

uint16_t Sampler::update(const Measurement& m, uint64_t uptime_ms) {
  uint16_t tripped = 0;
  // The safety cut-off first: it must not wait for anything else.
  if (cutoff_.update(m.current, uptime_ms)) {
    tripped = relays_.trip(config_.trip_mask);
    logf(logger_, LogLevel::warning, "over-current: %.3f A above the %.3f A limit, relays off (mask 0x%04x)",
         m.current, cutoff_.limit_a(), static_cast<unsigned>(tripped));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (known(m.energy_wh)) {
    energy_.add_external(m.energy_wh);
  } else {
    energy_.add_power(m.power, uptime_ms);
  }
  latest_ = m;
  latest_ms_ = uptime_ms;
  have_latest_ = true;
  return tripped;
}

void Sampler::failed(uint64_t uptime_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++failures_;
  (void)uptime_ms;
}

Reading Sampler::snapshot(uint64_t uptime_ms) const {
  Reading r;
  r.uptime_ms = static_cast<int64_t>(uptime_ms);
  r.relay_count = static_cast<int8_t>(relays_.count());
  r.relay_bits = relays_.bits();
  std::lock_guard<std::mutex> lock(mutex_);
  r.energy_kwh = energy_.total_kwh();
  if (have_latest_ && uptime_ms - latest_ms_ <= config_.stale_after_ms) {
    r.voltage = static_cast<float>(latest_.voltage);
    r.current = static_cast<float>(latest_.current);
    r.power = known(latest_.power) && latest_.power < 0.0 ? 0.0 : latest_.power;
    r.power_factor = static_cast<float>(latest_.power_factor);
    r.frequency = static_cast<float>(latest_.frequency);
  }
  return r;
}

bool Sampler::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  return energy_.flush();
}

double Sampler::energy_kwh() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return energy_.total_kwh();
}

uint32_t Sampler::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

}  // namespace meter
