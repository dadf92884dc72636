// AC power from raw ADC samples: a current sensor (ACS712 hall sensor or SCT013
// current transformer with burden resistor) and a voltage sensor (ZMPT101B), both
// biased to mid-scale, sampled together on two ADC1 channels.
//
// From arrays of simultaneous samples: DC offsets removed over a whole number of
// mains cycles (found from the voltage's zero crossings), true RMS voltage and
// current, real power (mean of v x i, with the voltage shifted between samples
// to cancel the sensors' phase error), apparent power, power factor and mains
// frequency (interpolated zero crossings).
#pragma once

#include <cstddef>
#include <cstdint>

#include "meter/hal.h"
#include "meter/measurement.h"

namespace meter {

struct AdcCalibration {
  double voltage_per_count = 0.0;  // mains V per ADC count (after the offset is removed)
  double current_per_count = 0.0;  // A per ADC count
  // Voltage interpolated between samples k-1 and k: v[k-1] + phase * (v[k] - v[k-1]).
  // 1.0 = no shift; < 1 delays the voltage, > 1 advances it (EmonLib's PHASECAL).
  double phase = 1.0;
  // Below this RMS current (sensor noise with no load) current and power are 0.
  double current_noise_floor_a = 0.0;
  // Below this RMS voltage there is no mains: frequency unknown.
  double min_voltage_v = 20.0;
};

struct AcPower {
  double voltage = 0.0;   // V RMS
  double current = 0.0;   // A RMS
  double power = 0.0;     // W, real (negative: energy flowing back, or the CT is reversed)
  double apparent = 0.0;  // VA
  double power_factor = NAN;  // NaN with no current
  double frequency = NAN;     // Hz; NaN without mains or with too few cycles
  size_t cycles = 0;          // whole cycles used (0: all samples used)
};

// `count` simultaneous samples, `sample_rate_hz` apart.
AcPower compute_ac_power(const uint16_t* voltage, const uint16_t* current, size_t count, double sample_rate_hz,
                         const AdcCalibration& calibration);

// Calibration constants from the parts' ratings (a starting point before
// calibrating against a multimeter; see README.md).
//   adc_volts_per_count: the ADC's volts per count (ESP32, 11 dB: about 3.1 V / 4095).
//   divider: the fraction of the sensor's output that reaches the ADC pin (1 = direct).
double acs712_current_per_count(double millivolts_per_amp, double adc_volts_per_count, double divider = 1.0);
double sct013_current_per_count(double turns, double burden_ohms, double adc_volts_per_count);
// A constant corrected by a reference: `reported` by the meter, `actual` on the multimeter.
double recalibrated(double constant, double reported, double actual);

// The ADC front end as a Sensor: samples `count` pairs per read.
class AdcPowerSensor : public Sensor {
 public:
  static constexpr size_t kMaxSamples = 2000;
  AdcPowerSensor(AdcSampler& sampler, const AdcCalibration& calibration, size_t count);
  const char* name() const override { return "ADC (ACS712/SCT013 + ZMPT101B)"; }
  bool read(Measurement& out) override;
  const AcPower& last() const { return last_; }

 private:
  AdcSampler& sampler_;
  AdcCalibration calibration_;
  size_t count_;
  uint16_t voltage_[kMaxSamples];
  uint16_t current_[kMaxSamples];
  AcPower last_;
};

}  // namespace meter
