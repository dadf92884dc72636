// The ADC front end on synthetic waveforms: true RMS, real power, power factor
// and frequency, for pure and distorted sines, with phase shifts, noise and
// quantisation, and the calibration helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "meter/adc_power.h"
#include "meter/sim.h"

using namespace meter;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kRate = 5000.0;  // pairs per second
constexpr size_t kCount = 1000;   // 200 ms: 10 cycles at 50 Hz

AdcCalibration unit_calibration() {
  AdcCalibration c;
  c.voltage_per_count = 1.0;  // results in counts: easy known answers
  c.current_per_count = 1.0;
  c.min_voltage_v = 5.0;
  return c;
}

struct Waves {
  std::vector<uint16_t> v = std::vector<uint16_t>(kCount);
  std::vector<uint16_t> i = std::vector<uint16_t>(kCount);
};

Waves waves(double v_amp, double v_third, double i_amp, double i_third, double lag_rad, double f = 50.0,
            double t0 = 0.0) {
  Waves w;
  sim::synthesize(w.v.data(), kCount, 2048.0, v_amp, v_third, 0.0, f, kRate, t0, 0.0, nullptr);
  sim::synthesize(w.i.data(), kCount, 2048.0, i_amp, i_third, -lag_rad, f, kRate, t0, 0.0, nullptr);
  return w;
}
}  // namespace

TEST(AdcPower, PureSineInPhase) {
  const Waves w = waves(1000.0, 0.0, 500.0, 0.0, 0.0);
  const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, unit_calibration());
  EXPECT_NEAR(p.voltage, 1000.0 / std::sqrt(2.0), 0.5);  // quantisation: +-0.5 count
  EXPECT_NEAR(p.current, 500.0 / std::sqrt(2.0), 0.5);
  EXPECT_NEAR(p.power, 1000.0 * 500.0 / 2.0, 250.0);
  EXPECT_NEAR(p.power_factor, 1.0, 1e-3);
  EXPECT_NEAR(p.frequency, 50.0, 0.01);
  EXPECT_GE(p.cycles, 8U);  // first to last upward crossing of 10 cycles
  EXPECT_LE(p.cycles, 9U);
}

TEST(AdcPower, LaggingCurrentGivesThePowerFactor) {
  const Waves w = waves(1000.0, 0.0, 500.0, 0.0, kPi / 3.0);  // 60 degrees: cos = 0.5
  const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, unit_calibration());
  EXPECT_NEAR(p.power_factor, 0.5, 0.005);
  EXPECT_NEAR(p.power, 1000.0 * 500.0 / 2.0 * 0.5, 500.0);
  EXPECT_NEAR(p.apparent, 1000.0 / std::sqrt(2.0) * 500.0 / std::sqrt(2.0), 500.0);
  // Current leading by 90 degrees: no real power.
  const Waves q = waves(1000.0, 0.0, 500.0, 0.0, -kPi / 2.0);
  const AcPower reactive = compute_ac_power(q.v.data(), q.i.data(), kCount, kRate, unit_calibration());
  EXPECT_NEAR(reactive.power_factor, 0.0, 0.01);
}

TEST(AdcPower, DistortedWaveformsTrueRmsAndFundamentalPower) {
  // Voltage with 10 % third harmonic, current with 40 % (a rectifier load).
  const Waves w = waves(1000.0, 0.1, 500.0, 0.4, 0.0);
  const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, unit_calibration());
  EXPECT_NEAR(p.voltage, 1000.0 * std::sqrt(1.0 + 0.01) / std::sqrt(2.0), 0.6);
  EXPECT_NEAR(p.current, 500.0 * std::sqrt(1.0 + 0.16) / std::sqrt(2.0), 0.6);
  // Real power: fundamentals and third harmonics (both in phase) each contribute.
  const double expected = 1000.0 * 500.0 / 2.0 * (1.0 + 0.1 * 0.4);
  EXPECT_NEAR(p.power, expected, expected * 1e-3);
  EXPECT_NEAR(p.power_factor, 1.04 / std::sqrt(1.01 * 1.16), 1e-3);  // 0.961: distortion alone lowers it
  EXPECT_NEAR(p.frequency, 50.0, 0.05);
}

TEST(AdcPower, WholeCyclesMakeTheResultIndependentOfTheWindow) {
  // 10.37 cycles starting anywhere: the partial cycle is cut off.
  for (double t0 : {0.0, 0.0013, 0.0071, 0.013}) {
    const Waves w = waves(1200.0, 0.0, 300.0, 0.0, 0.2, 51.85, t0);
    const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, unit_calibration());
    EXPECT_NEAR(p.voltage, 1200.0 / std::sqrt(2.0), 1.0) << t0;
    EXPECT_NEAR(p.power_factor, std::cos(0.2), 0.003) << t0;
    EXPECT_NEAR(p.frequency, 51.85, 0.02) << t0;
  }
}

TEST(AdcPower, NoiseAndQuantisation) {
  std::mt19937 random(42);
  Waves w;
  sim::synthesize(w.v.data(), kCount, 2048.0, 1500.0, 0.0, 0.0, 50.0, kRate, 0.0, 20.0, &random);
  sim::synthesize(w.i.data(), kCount, 2048.0, 800.0, 0.0, -0.3, 50.0, kRate, 0.0, 20.0, &random);
  const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, unit_calibration());
  EXPECT_NEAR(p.voltage, 1500.0 / std::sqrt(2.0), 3.0);
  EXPECT_NEAR(p.current, 800.0 / std::sqrt(2.0), 3.0);
  EXPECT_NEAR(p.power_factor, std::cos(0.3), 0.01);
  EXPECT_NEAR(p.frequency, 50.0, 0.1);  // hysteresis: noise makes no extra crossings
}

TEST(AdcPower, CalibrationScalesAndPhaseCorrects) {
  AdcCalibration c = unit_calibration();
  c.voltage_per_count = 0.25;
  c.current_per_count = 0.01;
  const Waves w = waves(1000.0, 0.0, 500.0, 0.0, 0.0);
  const AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, c);
  EXPECT_NEAR(p.voltage, 250.0 / std::sqrt(2.0), 0.2);
  EXPECT_NEAR(p.current, 5.0 / std::sqrt(2.0), 0.01);
  EXPECT_NEAR(p.power, 250.0 * 5.0 / 2.0, 1.0);
  // The current lags by one sample (3.6 degrees at 5 kHz: the sensors' phase
  // error, or the time between the two conversions): a phase correction of 0
  // (the previous voltage sample) takes it out. 0.5 interpolates half-way,
  // which shifts by half a sample and scales by cos(half a sample): cos^2.
  const double one_sample = 2.0 * kPi * 50.0 / kRate;
  const Waves lag = waves(1000.0, 0.0, 500.0, 0.0, one_sample);
  EXPECT_NEAR(compute_ac_power(lag.v.data(), lag.i.data(), kCount, kRate, c).power_factor, std::cos(one_sample), 1e-4);
  c.phase = 0.0;
  EXPECT_NEAR(compute_ac_power(lag.v.data(), lag.i.data(), kCount, kRate, c).power_factor, 1.0, 1e-4);
  c.phase = 0.5;
  EXPECT_NEAR(compute_ac_power(lag.v.data(), lag.i.data(), kCount, kRate, c).power_factor,
              std::pow(std::cos(one_sample / 2), 2), 1e-5);
}

TEST(AdcPower, NoLoadNoMainsAndDegenerateInput) {
  AdcCalibration c = unit_calibration();
  c.current_noise_floor_a = 3.0;
  std::mt19937 random(7);
  Waves w;
  sim::synthesize(w.v.data(), kCount, 2048.0, 1000.0, 0.0, 0.0, 50.0, kRate, 0.0, 0.0, nullptr);
  sim::synthesize(w.i.data(), kCount, 2048.0, 0.0, 0.0, 0.0, 50.0, kRate, 0.0, 3.0, &random);  // noise only
  AcPower p = compute_ac_power(w.v.data(), w.i.data(), kCount, kRate, c);
  EXPECT_EQ(p.current, 0.0);
  EXPECT_EQ(p.power, 0.0);
  EXPECT_TRUE(std::isnan(p.power_factor));
  EXPECT_NEAR(p.frequency, 50.0, 0.01);

  const std::vector<uint16_t> flat(kCount, 2048);  // no mains at all
  p = compute_ac_power(flat.data(), flat.data(), kCount, kRate, c);
  EXPECT_EQ(p.voltage, 0.0);
  EXPECT_TRUE(std::isnan(p.frequency));
  EXPECT_EQ(p.cycles, 0U);
  p = compute_ac_power(flat.data(), flat.data(), 1, kRate, c);
  EXPECT_EQ(p.voltage, 0.0);
  p = compute_ac_power(flat.data(), flat.data(), kCount, 0.0, c);
  EXPECT_EQ(p.voltage, 0.0);
}

TEST(AdcPower, CalibrationHelpers) {
  const double adc = 3.3 / 4095.0;
  // ACS712-20A: 100 mV/A, output through a 2/3 divider.
  EXPECT_NEAR(acs712_current_per_count(100.0, adc, 2.0 / 3.0), adc * 1.5 * 10.0, 1e-12);
  // SCT013-100 (2000 turns) on a 33 ohm burden: 1 A primary = 16.5 mV.
  EXPECT_NEAR(sct013_current_per_count(2000.0, 33.0, adc), adc / 33.0 * 2000.0, 1e-12);
  // The meter said 240 V where the multimeter says 230 V.
  EXPECT_NEAR(recalibrated(0.5, 240.0, 230.0), 0.5 * 230.0 / 240.0, 1e-12);
  EXPECT_EQ(recalibrated(0.5, 0.0, 230.0), 0.5);
}

TEST(AdcPower, SensorOnTheSyntheticAdc) {
  AdcCalibration c;
  c.voltage_per_count = 0.35;
  c.current_per_count = 0.02;
  c.current_noise_floor_a = 0.05;
  sim::SyntheticAdc adc(c.voltage_per_count, c.current_per_count, kRate, 3);
  adc.noise_counts = 2.0;
  Measurement truth;
  truth.voltage = 230.0;
  truth.current = 4.5;
  truth.power_factor = 0.9;
  truth.frequency = 50.0;
  adc.set_values(truth);
  AdcPowerSensor sensor(adc, c, kCount);
  Measurement m;
  for (int round = 0; round < 3; ++round) {  // consecutive windows continue the waveform
    ASSERT_TRUE(sensor.read(m));
    EXPECT_NEAR(m.voltage, 230.0, 0.5);
    EXPECT_NEAR(m.current, 4.5, 0.03);
    EXPECT_NEAR(m.power, 230.0 * 4.5 * 0.9, 10.0);
    EXPECT_NEAR(m.power_factor, 0.9, 0.005);
    EXPECT_NEAR(m.frequency, 50.0, 0.1);
    EXPECT_FALSE(known(m.energy_wh));
  }
  EXPECT_STRNE(sensor.name(), "");
}
