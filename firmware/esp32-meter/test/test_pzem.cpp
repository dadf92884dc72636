// PZEM-004T v3: Modbus RTU frames with known CRCs (the datasheet's and frames
// computed by simulators/pzem.py, an independent implementation), register
// scaling, corrupted and foreign answers, the energy reset.
#include <gtest/gtest.h>

#include <vector>

#include "meter/crc16.h"
#include "meter/pzem004t.h"
#include "meter/sim.h"

using namespace meter;

namespace {
// 220.0 V, 1.000 A, 220.0 W, 0 Wh, 50.0 Hz, pf 1.00, no alarm (the datasheet's example).
const std::vector<uint8_t> kAnswer = {0x01, 0x04, 0x14, 0x08, 0x98, 0x03, 0xE8, 0x00, 0x00, 0x08, 0x98, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x01, 0xF4, 0x00, 0x64, 0x00, 0x00, 0x63, 0xCE};
// 231.2 V, 70.000 A, 16184.0 W, 123456 Wh (32-bit values, low word first), 49.9 Hz, pf 0.99, alarm.
const std::vector<uint8_t> kAnswer32 = {0x01, 0x04, 0x14, 0x09, 0x08, 0x11, 0x70, 0x00, 0x01, 0x78, 0x30, 0x00, 0x02,
                                        0xE2, 0x40, 0x00, 0x01, 0x01, 0xF3, 0x00, 0x63, 0xFF, 0xFF, 0x58, 0x5F};
}  // namespace

TEST(Crc16, KnownAnswers) {
  const uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc16_modbus(check, sizeof check), 0x4B37);  // the CRC-16/MODBUS check value
  EXPECT_EQ(crc16_modbus(nullptr, 0), 0xFFFF);
  const uint8_t request[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x70, 0x0D};
  EXPECT_TRUE(check_crc16(request, sizeof request));
  EXPECT_TRUE(check_crc16(kAnswer.data(), kAnswer.size()));
  EXPECT_TRUE(check_crc16(kAnswer32.data(), kAnswer32.size()));
  EXPECT_FALSE(check_crc16(request, 2));
}

TEST(Pzem, ReadRequestFrames) {
  uint8_t frame[8];
  ASSERT_EQ(pzem::build_read_request(0x01, frame), 8U);
  EXPECT_EQ(std::vector<uint8_t>(frame, frame + 8), (std::vector<uint8_t>{0x01, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x70, 0x0D}));
  pzem::build_read_request(pzem::kGeneralAddress, frame);
  EXPECT_EQ(std::vector<uint8_t>(frame, frame + 8), (std::vector<uint8_t>{0xF8, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x64, 0x64}));
}

TEST(Pzem, ResetEnergyFrames) {
  uint8_t frame[4];
  ASSERT_EQ(pzem::build_reset_energy(0x01, frame), 4U);
  EXPECT_EQ(std::vector<uint8_t>(frame, frame + 4), (std::vector<uint8_t>{0x01, 0x42, 0x80, 0x11}));
  pzem::build_reset_energy(pzem::kGeneralAddress, frame);
  EXPECT_EQ(std::vector<uint8_t>(frame, frame + 4), (std::vector<uint8_t>{0xF8, 0x42, 0xC2, 0x41}));
  EXPECT_EQ(pzem::parse_reset_response(frame, 4, pzem::kGeneralAddress), pzem::Status::ok);
  const uint8_t echo[] = {0x01, 0x42, 0x80, 0x11};
  EXPECT_EQ(pzem::parse_reset_response(echo, 4, 0x01), pzem::Status::ok);
  const uint8_t refused[] = {0x01, 0xC2, 0x03, 0x31, 0x61};
  uint8_t code = 0;
  EXPECT_EQ(pzem::parse_reset_response(refused, 5, 0x01, &code), pzem::Status::exception);
  EXPECT_EQ(code, 0x03);
}

TEST(Pzem, ParsesTheDatasheetAnswer) {
  Measurement m;
  ASSERT_EQ(pzem::parse_read_response(kAnswer.data(), kAnswer.size(), 0x01, m), pzem::Status::ok);
  EXPECT_DOUBLE_EQ(m.voltage, 220.0);
  EXPECT_DOUBLE_EQ(m.current, 1.0);
  EXPECT_DOUBLE_EQ(m.power, 220.0);
  EXPECT_DOUBLE_EQ(m.energy_wh, 0.0);
  EXPECT_DOUBLE_EQ(m.frequency, 50.0);
  EXPECT_DOUBLE_EQ(m.power_factor, 1.0);
  EXPECT_FALSE(m.alarm);
}

TEST(Pzem, ThirtyTwoBitRegistersAreLowWordFirst) {
  Measurement m;
  ASSERT_EQ(pzem::parse_read_response(kAnswer32.data(), kAnswer32.size(), 0x01, m), pzem::Status::ok);
  EXPECT_NEAR(m.voltage, 231.2, 1e-9);
  EXPECT_NEAR(m.current, 70.0, 1e-9);
  EXPECT_NEAR(m.power, 16184.0, 1e-9);
  EXPECT_DOUBLE_EQ(m.energy_wh, 123456.0);
  EXPECT_NEAR(m.frequency, 49.9, 1e-9);
  EXPECT_NEAR(m.power_factor, 0.99, 1e-9);
  EXPECT_TRUE(m.alarm);
  const uint16_t max[pzem::kRegisterCount] = {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0, 0, 0};
  const Measurement big = pzem::scale(max);
  EXPECT_DOUBLE_EQ(big.energy_wh, 4294967295.0);
  EXPECT_NEAR(big.current, 4294967.295, 1e-6);
}

TEST(Pzem, CorruptedFramesAreRefused) {
  Measurement m;
  m.voltage = 1.0;
  for (size_t i = 0; i < kAnswer.size(); ++i) {
    std::vector<uint8_t> bad = kAnswer;
    bad[i] ^= 0x01;  // any single flipped bit is caught by the CRC
    EXPECT_EQ(pzem::parse_read_response(bad.data(), bad.size(), 0x01, m), pzem::Status::bad_crc) << "byte " << i;
  }
  EXPECT_EQ(pzem::parse_read_response(kAnswer.data(), 20, 0x01, m), pzem::Status::bad_crc);  // truncated
  EXPECT_EQ(pzem::parse_read_response(kAnswer.data(), 0, 0x01, m), pzem::Status::no_answer);
  EXPECT_EQ(pzem::parse_read_response(kAnswer.data(), 3, 0x01, m), pzem::Status::no_answer);
  EXPECT_DOUBLE_EQ(m.voltage, 1.0);  // untouched
}

TEST(Pzem, ForeignAndExceptionAnswers) {
  Measurement m;
  EXPECT_EQ(pzem::parse_read_response(kAnswer.data(), kAnswer.size(), 0x02, m), pzem::Status::wrong_address);
  EXPECT_EQ(pzem::parse_read_response(kAnswer.data(), kAnswer.size(), pzem::kGeneralAddress, m), pzem::Status::ok);
  const uint8_t exception[] = {0x01, 0x84, 0x02, 0xC2, 0xC1};
  uint8_t code = 0;
  EXPECT_EQ(pzem::parse_read_response(exception, sizeof exception, 0x01, m, &code), pzem::Status::exception);
  EXPECT_EQ(code, 0x02);
  uint8_t reset_echo[] = {0x01, 0x42, 0x80, 0x11};
  EXPECT_EQ(pzem::parse_read_response(reset_echo, 4, 0x01, m), pzem::Status::wrong_function);
  // A valid CRC around a wrong byte count.
  std::vector<uint8_t> short_count = {0x01, 0x04, 0x02, 0x08, 0x98, 0, 0};
  append_crc16(short_count.data(), 5);
  EXPECT_EQ(pzem::parse_read_response(short_count.data(), short_count.size(), 0x01, m), pzem::Status::bad_length);
  EXPECT_STREQ(pzem::status_name(pzem::Status::bad_crc), "bad CRC");
}

TEST(Pzem, SensorAgainstASimulatedDevice) {
  sim::SimulatedPzem device(0x01);
  Measurement truth;
  truth.voltage = 229.8;
  truth.current = 4.35;
  truth.power = 998.1;
  truth.frequency = 50.02;  // the PZEM resolves 0.1 Hz
  truth.power_factor = 0.99;
  device.set_values(truth);
  device.set_energy_wh(1523004.0);
  Pzem004t sensor(device, 0x01);
  Measurement m;
  ASSERT_TRUE(sensor.read(m));
  EXPECT_NEAR(m.voltage, 229.8, 1e-9);
  EXPECT_NEAR(m.current, 4.35, 1e-9);
  EXPECT_NEAR(m.power, 998.1, 1e-9);
  EXPECT_NEAR(m.frequency, 50.0, 1e-9);
  EXPECT_NEAR(m.power_factor, 0.99, 1e-9);
  EXPECT_DOUBLE_EQ(m.energy_wh, 1523004.0);

  device.corrupt_crc = true;
  EXPECT_FALSE(sensor.read(m));
  EXPECT_EQ(sensor.last_status(), pzem::Status::bad_crc);
  device.corrupt_crc = false;
  device.silent = true;
  EXPECT_FALSE(sensor.read(m));
  EXPECT_EQ(sensor.last_status(), pzem::Status::no_answer);
  device.silent = false;

  ASSERT_TRUE(sensor.reset_energy());
  EXPECT_EQ(device.resets, 1U);
  ASSERT_TRUE(sensor.read(m));
  EXPECT_DOUBLE_EQ(m.energy_wh, 0.0);

  Pzem004t other(device, 0x07);  // nobody at 0x07
  EXPECT_FALSE(other.read(m));
  EXPECT_EQ(other.last_status(), pzem::Status::no_answer);
}
