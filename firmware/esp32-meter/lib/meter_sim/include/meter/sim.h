// Simulated hardware behind the core's interfaces, for the unit tests and the
// host build (never linked into the ESP32 image): a clock, storage in memory, a
// PZEM-004T answering Modbus RTU, an INA219's registers, and synthetic ADC
// waveforms for the ACS712/SCT013 + ZMPT101B front end.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "meter/hal.h"
#include "meter/measurement.h"

namespace meter {
namespace sim {

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t epoch_ms = 0) : epoch_ms_(epoch_ms) {}
  uint64_t uptime_ms() override { return uptime_ms_; }
  int64_t epoch_ms() override { return epoch_ms_ > 0 ? epoch_ms_ : 0; }
  void advance(uint64_t ms) {
    uptime_ms_ += ms;
    if (epoch_ms_ > 0) {
      epoch_ms_ += static_cast<int64_t>(ms);
    }
  }
  void set_epoch_ms(int64_t epoch_ms) { epoch_ms_ = epoch_ms; }

 private:
  uint64_t uptime_ms_ = 0;
  int64_t epoch_ms_;
};

class MemoryStorage : public Storage {
 public:
  bool load(const char* key, uint8_t* data, size_t size) override;
  bool save(const char* key, const uint8_t* data, size_t size) override;
  std::map<std::string, std::vector<uint8_t>> values;
  bool fail_writes = false;
  unsigned saves = 0;
};

// What the simulated sensors measure: mains (or DC) voltage, and a load whose
// power follows the relays: `loads_w[n]` while relay n is on, plus `base_w`.
struct Plant {
  double voltage = 230.0;
  double frequency = 50.0;
  double power_factor = 0.95;
  double base_w = 3.0;
  std::vector<double> loads_w;
  double power_w(uint16_t relay_bits) const;
  Measurement truth(uint16_t relay_bits) const;  // voltage, current, power, pf, frequency
};

// A PZEM-004T v3 on the other end of a UART: answers reads of input registers
// 0..9 (function 0x04) and energy resets (0x42), exceptions otherwise.
class SimulatedPzem : public SerialPort {
 public:
  explicit SimulatedPzem(uint8_t address = 0x01) : address_(address) {}
  void set_values(const Measurement& m) { values_ = m; }  // voltage, current, power, frequency, pf
  void advance(double seconds);  // the PZEM's own energy counter runs at the present power
  double energy_wh() const { return energy_wh_; }
  void set_energy_wh(double wh) { energy_wh_ = wh; }
  bool alarm = false;
  bool silent = false;       // answer nothing
  bool corrupt_crc = false;  // answer with a wrong CRC
  unsigned resets = 0;

  void discard_input() override { answer_.clear(); }
  bool write(const uint8_t* data, size_t size) override;
  size_t read(uint8_t* data, size_t size, uint32_t timeout_ms) override;

 private:
  uint8_t address_;
  Measurement values_;
  double energy_wh_ = 0.0;
  std::deque<uint8_t> answer_;
};

// An INA219: the driver writes configuration and calibration, reads the bus,
// current and power registers computed as the chip does from its shunt.
class SimulatedIna219 : public I2cBus {
 public:
  SimulatedIna219(uint8_t address, double shunt_ohms) : address_(address), shunt_ohms_(shunt_ohms) {}
  void set_values(double bus_volts, double amps) {
    bus_volts_ = bus_volts;
    amps_ = amps;
  }
  void power_cycle() { registers_[0x05] = 0; }  // a brown-out: calibration lost
  bool write_register16(uint8_t address, uint8_t reg, uint16_t value) override;
  bool read_register16(uint8_t address, uint8_t reg, uint16_t& value) override;
  bool absent = false;

 private:
  uint8_t address_;
  double shunt_ohms_;
  double bus_volts_ = 0.0;
  double amps_ = 0.0;
  uint16_t registers_[6] = {0x399F, 0, 0, 0, 0, 0};
};

// Synthetic waveforms as a 12-bit ADC sees them through the sensors: voltage
// and current sines (optionally with a 3rd harmonic) around mid-scale, the
// current lagging by acos(power factor), plus noise.
class SyntheticAdc : public AdcSampler {
 public:
  SyntheticAdc(double volts_per_count, double amps_per_count, double sample_rate_hz, uint32_t seed = 1)
      : volts_per_count_(volts_per_count), amps_per_count_(amps_per_count), rate_(sample_rate_hz), random_(seed) {}
  void set_values(const Measurement& m) { values_ = m; }  // voltage, current (RMS), power_factor, frequency
  double voltage_third_harmonic = 0.0;  // fraction of the fundamental's amplitude
  double current_third_harmonic = 0.0;
  double noise_counts = 0.0;  // uniform noise amplitude
  double phase_start = 0.0;   // radians at the first sample
  bool sample(uint16_t* voltage, uint16_t* current, size_t count) override;
  double sample_rate_hz() const override { return rate_; }

 private:
  double volts_per_count_;
  double amps_per_count_;
  double rate_;
  Measurement values_;
  std::mt19937 random_;
  double t_ = 0.0;
};

// Fills sample arrays with v = offset + a1 sin(wt) + a3 sin(3wt), i likewise with
// a phase lag: the building block of SyntheticAdc and of the unit tests.
void synthesize(uint16_t* out, size_t count, double offset, double amplitude, double third, double phase_rad,
                double frequency, double sample_rate, double t0, double noise, std::mt19937* random);

}  // namespace sim
}  // namespace meter
