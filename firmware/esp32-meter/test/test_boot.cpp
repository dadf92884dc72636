// The boot counter: incremented at every start through the Storage interface
// (NVS on the ESP32, files on the host), two slots, never published unstored.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "meter/boot.h"
#include "meter/energy.h"
#include "meter/sim.h"

using namespace meter;

TEST(Boot, CountsEveryStartThroughTheStorage) {
  sim::MemoryStorage storage;  // what survives a restart: only the storage
  for (uint32_t expected = 1; expected <= 5; ++expected) {
    BootCounter boot(storage);  // a new start: nothing else survives
    EXPECT_TRUE(boot.begin());
    EXPECT_EQ(boot.count(), expected);
    EXPECT_TRUE(boot.stored());
    EXPECT_EQ(boot.restored(), expected > 1);
  }
  EXPECT_EQ(storage.saves, 5U);  // one write per start
  EXPECT_EQ(storage.values.count("boot0"), 1U);
  EXPECT_EQ(storage.values.count("boot1"), 1U);
}

TEST(Boot, SharesTheStorageWithTheEnergyCounter) {
  sim::MemoryStorage storage;
  for (int start = 0; start < 3; ++start) {
    EnergyCounter energy(storage);
    energy.begin(1000.0);
    BootCounter boot(storage);
    ASSERT_TRUE(boot.begin());
    EXPECT_EQ(boot.count(), static_cast<uint32_t>(start + 1));
    EXPECT_GE(energy.total_wh(), 1000.0 + start);
    energy.add_wh(1.0);
    energy.flush();
  }
}

TEST(Boot, ACorruptedOrTornSlotFallsBackToTheOther) {
  sim::MemoryStorage storage;
  for (int i = 0; i < 4; ++i) {
    BootCounter(storage).begin();  // 1..4: slot 0 holds 4, slot 1 holds 3
  }
  storage.values["boot0"][5] ^= 0x01;  // 4's record torn
  BootCounter after(storage);
  ASSERT_TRUE(after.begin());
  EXPECT_EQ(after.count(), 4U);  // 3 + 1: 4 was stored but never survived, so never seen twice
  storage.values["boot1"][0] = 'X';  // 3's record gone too (4 is intact again)
  BootCounter again(storage);
  ASSERT_TRUE(again.begin());
  EXPECT_EQ(again.count(), 5U);
  storage.values.clear();  // nothing readable: starts over at 1
  BootCounter fresh(storage);
  EXPECT_TRUE(fresh.begin());
  EXPECT_EQ(fresh.count(), 1U);
  EXPECT_FALSE(fresh.restored());
  storage.values["boot0"].resize(3);  // another size: missing
  BootCounter odd(storage);
  odd.begin();
  EXPECT_EQ(odd.count(), 2U);
}

TEST(Boot, UnstoredNumbersAreNotClaimed) {
  sim::MemoryStorage storage;
  BootCounter(storage).begin();  // 1
  storage.fail_writes = true;  // NVS unavailable for a while
  BootCounter failed(storage);
  EXPECT_FALSE(failed.begin());
  EXPECT_FALSE(failed.stored());
  EXPECT_EQ(failed.count(), 2U);  // not stored: the caller publishes no `boot`
  storage.fail_writes = false;
  BootCounter next(storage);
  EXPECT_TRUE(next.begin());
  EXPECT_EQ(next.count(), 2U);  // 2 was never published, so this is still a change from 1
}

TEST(Boot, WrapsModulo32Bits) {
  sim::MemoryStorage storage;
  uint8_t record[BootCounter::kRecordSize];
  BootCounter::encode(0xFFFFFFFEU, record);
  storage.save("boot0", record, sizeof record);
  BootCounter::encode(0xFFFFFFFDU, record);
  storage.save("boot1", record, sizeof record);
  uint32_t counts[3] = {};
  for (uint32_t& count : counts) {
    BootCounter boot(storage);
    ASSERT_TRUE(boot.begin());
    count = boot.count();
  }
  EXPECT_EQ(counts[0], 0xFFFFFFFFU);
  EXPECT_EQ(counts[1], 0U);  // 0 is newer than 0xFFFFFFFF
  EXPECT_EQ(counts[2], 1U);
}

TEST(Boot, RecordFormat) {
  uint8_t record[BootCounter::kRecordSize];
  BootCounter::encode(0x12345678U, record);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(record), 4), "IBT1");
  EXPECT_EQ(record[4], 0x78);
  EXPECT_EQ(record[7], 0x12);
  uint32_t count = 0;
  ASSERT_TRUE(BootCounter::decode(record, count));
  EXPECT_EQ(count, 0x12345678U);
  record[6] ^= 0x10;
  EXPECT_FALSE(BootCounter::decode(record, count));
  // An energy record is no boot record (another magic, another size).
  uint8_t energy[EnergyCounter::kRecordSize];
  EnergyCounter::encode(1, 1000, energy);
  std::copy(energy, energy + BootCounter::kRecordSize, record);
  EXPECT_FALSE(BootCounter::decode(record, count));
}
