// What a sensor front end measures, and the interface every front end offers.
#pragma once

#include <cmath>
#include <cstdint>

namespace meter {

// One measurement in SI units; NaN = the front end does not know this quantity
// (an INA219 has no power factor or frequency, an ADC front end no energy
// counter of its own).
struct Measurement {
  double voltage = NAN;       // V (RMS for AC)
  double current = NAN;       // A (RMS for AC)
  double power = NAN;         // W, active
  double power_factor = NAN;  // -1..1
  double frequency = NAN;     // Hz
  // The sensor's own cumulative counter in Wh (PZEM-004T), NaN when the meter
  // integrates power itself. May restart from 0 (reset, wrap).
  double energy_wh = NAN;
  bool alarm = false;  // the sensor's own power alarm (PZEM-004T)
};

inline bool known(double value) { return std::isfinite(value); }

// A sensor front end: PZEM-004T, INA219 or ADC (chosen at build time).
class Sensor {
 public:
  virtual ~Sensor() = default;
  virtual const char* name() const = 0;
  // One measurement; false when the sensor did not answer sensibly (the
  // previous values are then kept by the caller, nothing is invented).
  virtual bool read(Measurement& out) = 0;
};

}  // namespace meter
