#include "meter/adc_power.h"

#include <algorithm>
#include <cmath>

namespace meter {

static double mean(const uint16_t* x, size_t begin, size_t end) {
  double sum = 0.0;
  for (size_t k = begin; k < end; ++k) {
    sum += x[k];
  }
  return sum / static_cast<double>(end - begin);
}

AcPower compute_ac_power(const uint16_t* v, const uint16_t* i, size_t n, double fs, const AdcCalibration& cal) {
  AcPower r;
  if (n < 2 || !(fs > 0.0)) {
    return r;
  }
  // Provisional offset and amplitude of the voltage, over every sample.
  double v_mean = mean(v, 0, n);
  double v_peak = 0.0;
  double v_square = 0.0;
  for (size_t k = 0; k < n; ++k) {
    const double x = v[k] - v_mean;
    v_peak = std::max(v_peak, std::fabs(x));
    v_square += x * x;
  }
  const bool mains = std::sqrt(v_square / static_cast<double>(n)) * cal.voltage_per_count >= cal.min_voltage_v;

  // Upward zero crossings of the voltage, with hysteresis against noise: the
  // window between the first and the last holds whole cycles.
  size_t begin = 0;
  size_t end = n;
  if (mains) {
    const double hysteresis = 0.1 * v_peak;
    bool armed = false;
    size_t crossings = 0;
    size_t first = 0;
    size_t last = 0;
    double t_first = 0.0;
    double t_last = 0.0;
    for (size_t k = 1; k < n; ++k) {
      const double x = v[k] - v_mean;
      if (x < -hysteresis) {
        armed = true;
      } else if (armed && x >= 0.0) {
        const double before = v[k - 1] - v_mean;
        // Interpolated time of the crossing, in samples.
        const double t = before < 0.0 ? static_cast<double>(k - 1) + (-before) / (x - before) : static_cast<double>(k);
        if (crossings == 0) {
          first = k;
          t_first = t;
        }
        last = k;
        t_last = t;
        ++crossings;
        armed = false;
      }
    }
    if (crossings >= 2 && t_last > t_first) {
      begin = first;
      end = last;
      r.cycles = crossings - 1;
      r.frequency = static_cast<double>(r.cycles) * fs / (t_last - t_first);
    }
  }

  v_mean = mean(v, begin, end);
  const double i_mean = mean(i, begin, end);
  double sum_v2 = 0.0;
  double sum_i2 = 0.0;
  double sum_p = 0.0;
  for (size_t k = begin; k < end; ++k) {
    const double vc = v[k] - v_mean;
    const double ic = i[k] - i_mean;
    const double previous = k > 0 ? v[k - 1] - v_mean : vc;
    const double shifted = previous + cal.phase * (vc - previous);
    sum_v2 += vc * vc;
    sum_i2 += ic * ic;
    sum_p += shifted * ic;
  }
  const double m = static_cast<double>(end - begin);
  r.voltage = std::sqrt(sum_v2 / m) * cal.voltage_per_count;
  r.current = std::sqrt(sum_i2 / m) * cal.current_per_count;
  r.power = sum_p / m * cal.voltage_per_count * cal.current_per_count;
  r.apparent = r.voltage * r.current;
  if (r.current < cal.current_noise_floor_a || r.current <= 0.0) {
    r.current = 0.0;
    r.power = 0.0;
    r.apparent = 0.0;
  } else if (r.apparent > 0.0) {
    r.power_factor = std::max(-1.0, std::min(1.0, r.power / r.apparent));
  }
  return r;
}

double acs712_current_per_count(double millivolts_per_amp, double adc_volts_per_count, double divider) {
  return adc_volts_per_count / divider / (millivolts_per_amp / 1000.0);
}

double sct013_current_per_count(double turns, double burden_ohms, double adc_volts_per_count) {
  return adc_volts_per_count / burden_ohms * turns;
}

double recalibrated(double constant, double reported, double actual) {
  return reported > 0.0 ? constant * actual / reported : constant;
}

AdcPowerSensor::AdcPowerSensor(AdcSampler& sampler, const AdcCalibration& calibration, size_t count)
    : sampler_(sampler), calibration_(calibration), count_(std::min(std::max<size_t>(count, 2), kMaxSamples)) {}

bool AdcPowerSensor::read(Measurement& out) {
  if (!sampler_.sample(voltage_, current_, count_)) {
    return false;
  }
  last_ = compute_ac_power(voltage_, current_, count_, sampler_.sample_rate_hz(), calibration_);
  Measurement m;
  m.voltage = last_.voltage;
  m.current = last_.current;
  m.power = last_.power;
  m.power_factor = last_.power_factor;
  m.frequency = last_.frequency;
  out = m;
  return true;
}

}  // namespace meter
