#include "meter/ina219.h"

#include <cmath>

namespace meter {
namespace ina219 {

Calibration calibrate(double shunt_ohms, double max_current_a) {
  Calibration c;
  c.shunt_ohms = shunt_ohms;
  const double wanted_lsb = max_current_a / 32768.0;
  const double value = std::floor(0.04096 / (wanted_lsb * shunt_ohms));
  c.value = static_cast<uint16_t>(value > 0xFFFE ? 0xFFFE : (value < 1 ? 1 : value));
  c.value &= 0xFFFE;  // bit 0 is read-only (always 0)
  c.current_lsb = 0.04096 / (c.value * shunt_ohms);
  return c;
}

double shunt_voltage(uint16_t raw) { return static_cast<int16_t>(raw) * 10e-6; }

double bus_voltage(uint16_t raw) { return (raw >> 3) * 0.004; }

bool bus_overflow(uint16_t raw) { return (raw & 0x0001U) != 0; }

double current(uint16_t raw, const Calibration& calibration) {
  return static_cast<int16_t>(raw) * calibration.current_lsb;
}

double power(uint16_t raw, const Calibration& calibration) { return raw * 20.0 * calibration.current_lsb; }

}  // namespace ina219

bool Ina219::begin() {
  return bus_.write_register16(address_, ina219::kRegConfig, ina219::kConfig32V320mVAvg128) &&
         bus_.write_register16(address_, ina219::kRegCalibration, calibration_.value);
}

bool Ina219::read(Measurement& out) {
  uint16_t calibration = 0;
  if (!bus_.read_register16(address_, ina219::kRegCalibration, calibration)) {
    return false;
  }
  if (calibration != calibration_.value) {  // the chip reset (brown-out): set it up again
    begin();
    return false;
  }
  uint16_t bus = 0;
  uint16_t current = 0;
  uint16_t power = 0;
  if (!bus_.read_register16(address_, ina219::kRegBus, bus) || ina219::bus_overflow(bus) ||
      !bus_.read_register16(address_, ina219::kRegCurrent, current) ||
      !bus_.read_register16(address_, ina219::kRegPower, power)) {
    return false;
  }
  Measurement m;
  m.voltage = ina219::bus_voltage(bus);
  m.current = std::fabs(ina219::current(current, calibration_));
  m.power = ina219::power(power, calibration_);
  out = m;
  return true;
}

}  // namespace meter
