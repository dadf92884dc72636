#include "meter/sim.h"

#include <algorithm>
#include <cmath>

#include "meter/crc16.h"
#include "meter/pzem004t.h"

namespace meter {
namespace sim {

namespace {
constexpr double kPi = 3.14159265358979323846;

uint16_t clamp_u16(double value, double high = 65535.0) {
  return static_cast<uint16_t>(std::lround(std::max(0.0, std::min(high, value))));
}
}  // namespace

bool MemoryStorage::load(const char* key, uint8_t* data, size_t size) {
  const auto found = values.find(key);
  if (found == values.end() || found->second.size() != size) {
    return false;
  }
  std::copy(found->second.begin(), found->second.end(), data);
  return true;
}

bool MemoryStorage::save(const char* key, const uint8_t* data, size_t size) {
  if (fail_writes) {
    return false;
  }
  values[key].assign(data, data + size);
  ++saves;
  return true;
}

double Plant::power_w(uint16_t relay_bits) const {
  double watts = base_w;
  for (size_t n = 0; n < loads_w.size(); ++n) {
    if ((relay_bits >> n) & 1U) {
      watts += loads_w[n];
    }
  }
  return watts;
}

Measurement Plant::truth(uint16_t relay_bits) const {
  Measurement m;
  m.voltage = voltage;
  m.power = power_w(relay_bits);
  m.power_factor = power_factor;
  m.current = m.power / (voltage * power_factor);
  m.frequency = frequency;
  return m;
}

void SimulatedPzem::advance(double seconds) {
  if (known(values_.power) && values_.power > 0.0 && seconds > 0.0) {
    energy_wh_ += values_.power * seconds / 3600.0;
  }
  if (energy_wh_ >= 9999990.0) {  // the PZEM's register wraps after 9999.99 kWh
    energy_wh_ = 0.0;
  }
}

bool SimulatedPzem::write(const uint8_t* data, size_t size) {
  answer_.clear();
  if (silent || size < 4 || !check_crc16(data, size)) {
    return true;  // a real slave stays silent on a corrupted request
  }
  if (data[0] != address_ && data[0] != pzem::kGeneralAddress) {
    return true;
  }
  std::vector<uint8_t> frame = {address_, data[1]};
  const auto exception = [&](uint8_t code) {
    frame[1] = static_cast<uint8_t>(data[1] | 0x80U);
    frame.push_back(code);
  };
  if (data[1] == pzem::kReadInput && size == 8) {
    const unsigned start = static_cast<unsigned>(data[2] << 8 | data[3]);
    const unsigned count = static_cast<unsigned>(data[4] << 8 | data[5]);
    if (count == 0 || start + count > pzem::kRegisterCount) {
      exception(0x02);
    } else {
      const uint32_t current = static_cast<uint32_t>(std::lround(std::max(0.0, values_.current) * 1000.0));
      const uint32_t power = static_cast<uint32_t>(std::lround(std::max(0.0, values_.power) * 10.0));
      const uint32_t energy = static_cast<uint32_t>(std::floor(energy_wh_));
      const uint16_t registers[pzem::kRegisterCount] = {
          clamp_u16(values_.voltage * 10.0),
          static_cast<uint16_t>(current & 0xFFFFU),
          static_cast<uint16_t>(current >> 16),
          static_cast<uint16_t>(power & 0xFFFFU),
          static_cast<uint16_t>(power >> 16),
          static_cast<uint16_t>(energy & 0xFFFFU),
          static_cast<uint16_t>(energy >> 16),
          clamp_u16(values_.frequency * 10.0),
          clamp_u16(values_.power_factor * 100.0, 100.0),
          static_cast<uint16_t>(alarm ? 0xFFFFU : 0x0000U),
      };
      frame.push_back(static_cast<uint8_t>(2 * count));
      for (unsigned r = start; r < start + count; ++r) {
        frame.push_back(static_cast<uint8_t>(registers[r] >> 8));
        frame.push_back(static_cast<uint8_t>(registers[r] & 0xFFU));
      }
    }
  } else if (data[1] == pzem::kResetEnergy && size == 4) {
    energy_wh_ = 0.0;
    ++resets;
  } else {
    exception(0x01);
  }
  frame.resize(frame.size() + 2);
  append_crc16(frame.data(), frame.size() - 2);
  if (corrupt_crc) {
    frame.back() ^= 0x5AU;
  }
  answer_.assign(frame.begin(), frame.end());
  return true;
}

size_t SimulatedPzem::read(uint8_t* data, size_t size, uint32_t /*timeout_ms*/) {
  size_t count = 0;
  while (count < size && !answer_.empty()) {
    data[count++] = answer_.front();
    answer_.pop_front();
  }
  return count;
}

bool SimulatedIna219::write_register16(uint8_t address, uint8_t reg, uint16_t value) {
  if (absent || address != address_ || reg > 0x05 || reg == 0x01 || reg == 0x02 || reg == 0x03 || reg == 0x04) {
    return false;
  }
  registers_[reg] = reg == 0x05 ? static_cast<uint16_t>(value & 0xFFFEU) : value;
  return true;
}

bool SimulatedIna219::read_register16(uint8_t address, uint8_t reg, uint16_t& value) {
  if (absent || address != address_ || reg > 0x05) {
    return false;
  }
  const double shunt = std::max(-32000.0, std::min(32000.0, std::round(amps_ * shunt_ohms_ / 10e-6)));
  const double bus = std::round(std::max(0.0, std::min(32.0, bus_volts_)) / 0.004);
  const double calibration = registers_[0x05];
  const double current = std::trunc(shunt * calibration / 4096.0);
  const double power = std::trunc(std::fabs(current) * bus / 5000.0);
  switch (reg) {
    case 0x01:
      value = static_cast<uint16_t>(static_cast<int16_t>(shunt));
      break;
    case 0x02:
      value = static_cast<uint16_t>((static_cast<unsigned>(bus) << 3) | 0x2U);
      break;
    case 0x03:
      value = clamp_u16(power);
      break;
    case 0x04:
      value = static_cast<uint16_t>(static_cast<int16_t>(std::max(-32768.0, std::min(32767.0, current))));
      break;
    default:
      value = registers_[reg];
  }
  return true;
}

void synthesize(uint16_t* out, size_t count, double offset, double amplitude, double third, double phase_rad,
                double frequency, double sample_rate, double t0, double noise, std::mt19937* random) {
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (size_t k = 0; k < count; ++k) {
    const double angle = 2.0 * kPi * frequency * (t0 + static_cast<double>(k) / sample_rate) + phase_rad;
    double x = offset + amplitude * (std::sin(angle) + third * std::sin(3.0 * angle));
    if (noise > 0.0 && random != nullptr) {
      x += noise * uniform(*random);
    }
    out[k] = clamp_u16(x, 4095.0);
  }
}

bool SyntheticAdc::sample(uint16_t* voltage, uint16_t* current, size_t count) {
  const double root2 = std::sqrt(2.0);
  const double v = known(values_.voltage) ? values_.voltage : 0.0;
  const double i = known(values_.current) ? values_.current : 0.0;
  const double pf = known(values_.power_factor) ? std::max(-1.0, std::min(1.0, values_.power_factor)) : 1.0;
  const double f = known(values_.frequency) ? values_.frequency : 50.0;
  // Amplitudes of the fundamental such that the RMS with the harmonic is v / i.
  const double v_amp = v * root2 / std::sqrt(1.0 + voltage_third_harmonic * voltage_third_harmonic) / volts_per_count_;
  const double i_amp = i * root2 / std::sqrt(1.0 + current_third_harmonic * current_third_harmonic) / amps_per_count_;
  synthesize(voltage, count, 2048.0, v_amp, voltage_third_harmonic, phase_start, f, rate_, t_, noise_counts, &random_);
  synthesize(current, count, 2048.0, i_amp, current_third_harmonic, phase_start - std::acos(pf), f, rate_, t_,
             noise_counts, &random_);
  t_ += static_cast<double>(count) / rate_;
  return true;
}

}  // namespace sim
}  // namespace meter
