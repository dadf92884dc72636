// INA219: register conversion and calibration (datasheet equations), and the
// sensor against a simulated chip (brown-out, missing chip).
#include <gtest/gtest.h>

#include "meter/ina219.h"
#include "meter/sim.h"

using namespace meter;

TEST(Ina219, RegisterConversion) {
  EXPECT_NEAR(ina219::shunt_voltage(0x7D00), 0.32, 1e-12);   // +32000 x 10 uV
  EXPECT_NEAR(ina219::shunt_voltage(0x8300), -0.32, 1e-12);  // -32000, two's complement
  EXPECT_NEAR(ina219::shunt_voltage(0x0001), 10e-6, 1e-15);
  EXPECT_NEAR(ina219::bus_voltage(0x5DC0), 12.0, 1e-12);  // 3000 x 4 mV in bits 15..3
  EXPECT_NEAR(ina219::bus_voltage(0x5DC2), 12.0, 1e-12);  // CNVR set: same value
  EXPECT_FALSE(ina219::bus_overflow(0x5DC2));
  EXPECT_TRUE(ina219::bus_overflow(0x5DC3));
  EXPECT_NEAR(ina219::bus_voltage(0xFFF8), 32.764, 1e-12);  // 8191 x 4 mV
}

TEST(Ina219, CalibrationAsInTheDatasheet) {
  // 0.1 ohm, 100 uA per bit: Cal = trunc(0.04096 / (0.0001 x 0.1)) = 4096.
  const ina219::Calibration c = ina219::calibrate(0.1, 3.2768);
  EXPECT_EQ(c.value, 4096);
  EXPECT_NEAR(c.current_lsb, 1e-4, 1e-12);
  EXPECT_NEAR(ina219::current(10000, c), 1.0, 1e-12);
  EXPECT_NEAR(ina219::current(static_cast<uint16_t>(-10000), c), -1.0, 1e-12);
  EXPECT_NEAR(ina219::power(500, c), 1.0, 1e-12);  // 20 x current LSB per bit
  // A truncated calibration: the LSB is the one the register really gives.
  const ina219::Calibration odd = ina219::calibrate(0.1, 3.2);
  EXPECT_EQ(odd.value, 4194);
  EXPECT_NEAR(odd.current_lsb, 0.04096 / (4194 * 0.1), 1e-15);
  EXPECT_EQ(ina219::calibrate(0.002, 40.0).value & 1, 0);  // bit 0 is read-only
}

TEST(Ina219, SensorAgainstASimulatedChip) {
  sim::SimulatedIna219 chip(0x40, 0.002);
  Ina219 sensor(chip, 0x40, 0.002, 40.0);
  ASSERT_TRUE(sensor.begin());
  chip.set_values(24.0, 4.2);
  Measurement m;
  ASSERT_TRUE(sensor.read(m));
  EXPECT_NEAR(m.voltage, 24.0, 0.004);
  EXPECT_NEAR(m.current, 4.2, 0.01);
  EXPECT_NEAR(m.power, 100.8, 0.5);
  EXPECT_FALSE(known(m.power_factor));  // DC: unknown, never sent
  EXPECT_FALSE(known(m.frequency));

  chip.set_values(24.0, -2.0);  // shunt wired the other way round
  ASSERT_TRUE(sensor.read(m));
  EXPECT_NEAR(m.current, 2.0, 0.01);
  EXPECT_NEAR(m.power, 48.0, 0.5);

  chip.power_cycle();  // brown-out: the calibration is gone, the driver sets it again
  EXPECT_FALSE(sensor.read(m));
  EXPECT_TRUE(sensor.read(m));

  chip.absent = true;
  EXPECT_FALSE(sensor.read(m));
  Ina219 elsewhere(chip, 0x41, 0.002, 40.0);
  chip.absent = false;
  EXPECT_FALSE(elsewhere.begin());
}
