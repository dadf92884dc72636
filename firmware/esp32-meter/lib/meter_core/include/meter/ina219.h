// INA219 (I2C, DC): register conversion, calibration, and a Sensor on an I2cBus.
//
// Registers: 0x00 configuration, 0x01 shunt voltage (signed, 10 uV/LSB), 0x02 bus
// voltage (bits 15..3, 4 mV/LSB; bit 1 CNVR, bit 0 OVF), 0x03 power
// (20 x current LSB), 0x04 current (signed, current LSB), 0x05 calibration
// (trunc(0.04096 / (current LSB x shunt ohms))).
#pragma once

#include <cstdint>

#include "meter/hal.h"
#include "meter/measurement.h"

namespace meter {
namespace ina219 {

constexpr uint8_t kDefaultAddress = 0x40;
constexpr uint8_t kRegConfig = 0x00;
constexpr uint8_t kRegShunt = 0x01;
constexpr uint8_t kRegBus = 0x02;
constexpr uint8_t kRegPower = 0x03;
constexpr uint8_t kRegCurrent = 0x04;
constexpr uint8_t kRegCalibration = 0x05;
// 32 V bus range, +-320 mV shunt range, 128-sample averaging on both ADCs,
// shunt and bus continuous.
constexpr uint16_t kConfig32V320mVAvg128 = 0x3FFF;

struct Calibration {
  double shunt_ohms = 0.1;
  double current_lsb = 0.0;  // A per current-register count
  uint16_t value = 0;        // what goes into register 0x05
};

// The calibration for `shunt_ohms` measuring up to `max_current_a`; the
// current LSB is the one the truncated register value actually gives.
Calibration calibrate(double shunt_ohms, double max_current_a);

double shunt_voltage(uint16_t raw);  // V, signed
double bus_voltage(uint16_t raw);    // V
bool bus_overflow(uint16_t raw);     // the power/current computation overflowed
double current(uint16_t raw, const Calibration& calibration);  // A, signed
double power(uint16_t raw, const Calibration& calibration);    // W

}  // namespace ina219

// An INA219 measuring a DC load: bus voltage, |current|, power (no power
// factor, no frequency: left unknown).
class Ina219 : public Sensor {
 public:
  Ina219(I2cBus& bus, uint8_t address, double shunt_ohms, double max_current_a)
      : bus_(bus), address_(address), calibration_(ina219::calibrate(shunt_ohms, max_current_a)) {}
  const char* name() const override { return "INA219"; }
  // Writes configuration and calibration (again after the chip reset itself).
  bool begin();
  bool read(Measurement& out) override;
  const ina219::Calibration& calibration() const { return calibration_; }

 private:
  I2cBus& bus_;
  uint8_t address_;
  ina219::Calibration calibration_;
};

}  // namespace meter
