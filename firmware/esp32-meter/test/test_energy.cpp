// The energy counter: integration, a sensor's own counter, persistence across
// reboots (clean and crashes at any point), never going backwards.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "meter/energy.h"
#include "meter/sim.h"

using namespace meter;

TEST(Energy, IntegratesPowerOverTime) {
  sim::MemoryStorage storage;
  EnergyCounter counter(storage);
  EXPECT_FALSE(counter.begin());
  for (uint64_t s = 0; s <= 3600; ++s) {
    counter.add_power(1000.0, s * 1000);
  }
  EXPECT_NEAR(counter.total_wh(), 1000.0, 1e-6);
  EXPECT_NEAR(counter.total_kwh(), 1.0, 1e-9);
  // A ramp from 0 to 2000 W over an hour: the trapezoids are exact.
  EnergyCounter ramp(storage);
  ramp.begin();
  const double before = ramp.total_wh();
  for (uint64_t s = 0; s <= 3600; s += 10) {
    ramp.add_power(2000.0 * static_cast<double>(s) / 3600.0, 10000000 + s * 1000);
  }
  EXPECT_NEAR(ramp.total_wh() - before, 1000.0, 1e-6);
}

TEST(Energy, OnlyConsumptionCountsAndGapsAreCapped) {
  sim::MemoryStorage storage;
  EnergyOptions options;
  options.max_gap_s = 60.0;
  EnergyCounter counter(storage, options);
  counter.begin();
  counter.add_power(-500.0, 0);  // exported / reversed CT: nothing
  counter.add_power(-500.0, 3600000);
  counter.add_power(NAN, 3601000);
  EXPECT_EQ(counter.total_wh(), 0.0);
  counter.add_power(1000.0, 4000000);            // 399 s after 0 W: capped at 60 s, 0..1000 W
  counter.add_power(1000.0, 4000000 + 3600000);  // an hour without samples: 60 s at 1000 W
  EXPECT_NEAR(counter.total_wh(), 500.0 * 60.0 / 3600.0 + 1000.0 * 60.0 / 3600.0, 1e-9);
  const double total = counter.total_wh();
  counter.add_power(5000.0, 1000);  // the clock going back adds nothing
  EXPECT_EQ(counter.total_wh(), total);
  counter.add_wh(-3.0);
  counter.add_wh(NAN);
  EXPECT_EQ(counter.total_wh(), total);
}

TEST(Energy, FollowsTheSensorsOwnCounterThroughResets) {
  sim::MemoryStorage storage;
  EnergyCounter counter(storage);
  counter.begin(5000.0);  // no stored counter: the starting value
  counter.add_external(123456.0);  // the first value after boot is the baseline
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5000.0);
  counter.add_external(123466.0);
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5010.0);
  counter.add_external(3.0);  // reset (0x42) or wrap: restarted from 0
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5013.0);
  counter.add_external(3.0);
  counter.add_external(NAN);
  counter.add_external(-1.0);
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5013.0);
  counter.add_external(900000.0);  // a jump of 900 kWh in one read: garbage, new baseline
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5013.0);
  counter.add_external(900001.0);
  EXPECT_DOUBLE_EQ(counter.total_wh(), 5014.0);
}

TEST(Energy, SurvivesACleanRestart) {
  sim::MemoryStorage storage;
  {
    EnergyCounter counter(storage);
    counter.begin(1523004.0);
    counter.add_wh(0.4);
    EXPECT_TRUE(counter.flush());
  }
  EnergyCounter again(storage);
  EXPECT_TRUE(again.begin(0.0));
  EXPECT_TRUE(again.restored());
  EXPECT_NEAR(again.total_wh(), 1523004.4, 0.001);
  EXPECT_GE(again.total_wh(), 1523004.4 - 1e-9);
}

TEST(Energy, NeverGoesBackwardsAcrossCrashesAtAnyPoint) {
  std::mt19937 random(1);
  std::uniform_real_distribution<double> watts(0.0, 3000.0);
  sim::MemoryStorage storage;
  EnergyOptions options;
  options.reserve_wh = 10.0;
  double published = 0.0;  // the highest value the meter ever sent
  uint64_t uptime = 0;
  for (int boot = 0; boot < 50; ++boot) {
    EnergyCounter counter(storage, options);
    counter.begin();
    EXPECT_GE(counter.total_wh(), published) << "boot " << boot;       // never backwards
    EXPECT_LE(counter.total_wh(), published + 10.0 + 0.002) << boot;  // at most the reserve over
    const int samples = static_cast<int>(random() % 500);
    for (int s = 0; s < samples; ++s) {
      uptime += 1000;
      counter.add_power(watts(random), uptime);
      published = counter.total_wh();  // what a reading would carry now
    }
    // ... and the power goes: no flush.
  }
  EXPECT_GT(published, 100.0);
  // One write per reserve, not per sample.
  EXPECT_LT(storage.saves, 50U + static_cast<unsigned>(published / 10.0) + 50U);
}

TEST(Energy, TwoSlotsSurviveACorruptedWrite) {
  sim::MemoryStorage storage;
  EnergyOptions options;
  options.reserve_wh = 1.0;
  {
    EnergyCounter counter(storage, options);
    counter.begin();
    for (int i = 0; i < 5; ++i) {
      counter.add_wh(1.5);  // each passes the ceiling: a write to alternate slots
    }
    EXPECT_GE(counter.writes(), 5U);
  }
  ASSERT_EQ(storage.values.count("energy0"), 1U);
  ASSERT_EQ(storage.values.count("energy1"), 1U);
  uint8_t record[EnergyCounter::kRecordSize];
  uint32_t seq0 = 0;
  uint32_t seq1 = 0;
  uint64_t mwh0 = 0;
  uint64_t mwh1 = 0;
  std::copy(storage.values["energy0"].begin(), storage.values["energy0"].end(), record);
  ASSERT_TRUE(EnergyCounter::decode(record, seq0, mwh0));
  std::copy(storage.values["energy1"].begin(), storage.values["energy1"].end(), record);
  ASSERT_TRUE(EnergyCounter::decode(record, seq1, mwh1));
  const char* newest = seq0 > seq1 ? "energy0" : "energy1";
  const uint64_t older_mwh = seq0 > seq1 ? mwh1 : mwh0;
  storage.values[newest][9] ^= 0xFF;  // torn write
  EnergyCounter after(storage, options);
  EXPECT_TRUE(after.begin());
  EXPECT_NEAR(after.total_wh(), static_cast<double>(older_mwh) / 1000.0, 1e-9);

  storage.values.clear();
  EnergyCounter nothing(storage, options);
  EXPECT_FALSE(nothing.begin(42.0));
  EXPECT_EQ(nothing.total_wh(), 42.0);
}

TEST(Energy, RecordFormatAndSequenceWrap) {
  uint8_t record[EnergyCounter::kRecordSize];
  EnergyCounter::encode(0xFFFFFFFFU, 0x123456789AULL, record);
  EXPECT_EQ(record[0], 'I');
  uint32_t seq = 0;
  uint64_t mwh = 0;
  ASSERT_TRUE(EnergyCounter::decode(record, seq, mwh));
  EXPECT_EQ(seq, 0xFFFFFFFFU);
  EXPECT_EQ(mwh, 0x123456789AULL);
  record[0] = 'X';
  EXPECT_FALSE(EnergyCounter::decode(record, seq, mwh));

  // Slot 1 holds sequence 0xFFFFFFFF, slot 0 sequence 0 (newer, after the wrap).
  sim::MemoryStorage storage;
  EnergyCounter::encode(0xFFFFFFFFU, 1000, record);
  storage.save("energy1", record, sizeof record);
  EnergyCounter::encode(0, 2000, record);
  storage.save("energy0", record, sizeof record);
  EnergyCounter counter(storage);
  ASSERT_TRUE(counter.begin());
  EXPECT_DOUBLE_EQ(counter.total_wh(), 2.0);
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>("123456789"), 9), 0xCBF43926U);  // CRC-32 check value
}

TEST(Energy, WriteFailuresAreCountedAndRetried) {
  sim::MemoryStorage storage;
  EnergyCounter counter(storage);
  counter.begin();
  storage.fail_writes = true;
  counter.add_wh(1.0);
  counter.add_wh(1.0);
  EXPECT_EQ(counter.write_errors(), 2U);
  EXPECT_DOUBLE_EQ(counter.total_wh(), 2.0);
  storage.fail_writes = false;
  counter.add_wh(1.0);
  EXPECT_EQ(counter.writes(), 1U);
  EnergyCounter again(storage);
  again.begin();
  EXPECT_GE(again.total_wh(), 3.0);
}
