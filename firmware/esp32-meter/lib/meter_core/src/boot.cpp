#include "meter/boot.h"
#include "meter/le32.h"

#include "meter/energy.h"  // crc32

namespace meter {

namespace {
constexpr uint8_t kMagic[4] = {'I', 'B', 'T', '1'};
}  // namespace

void BootCounter::encode(uint32_t count, uint8_t (&record)[kRecordSize]) {
  for (int i = 0; i < 4; ++i) {
    record[i] = kMagic[i];
  }
  put32(record + 4, count);
  put32(record + 8, crc32(record, 8));
}

bool BootCounter::decode(const uint8_t (&record)[kRecordSize], uint32_t& count) {
  for (int i = 0; i < 4; ++i) {
    if (record[i] != kMagic[i]) {
      return false;
    }
  }
  if (get32(record + 8) != crc32(record, 8)) {
    return false;
  }
  count = get32(record + 4);
  return true;
}

bool BootCounter::begin() {
  bool found = false;
  uint32_t last = 0;
  for (const char* key : kSlotKeys) {
    uint8_t record[kRecordSize];
    uint32_t count = 0;
    if (!storage_.load(key, record, sizeof record) || !decode(record, count)) {
      continue;
    }
    // The newer slot wins (compared modulo 2^32: 0 follows 4294967295).
    if (!found || static_cast<int32_t>(count - last) > 0) {
      found = true;
      last = count;
    }
  }
  restored_ = found;
  count_ = found ? last + 1U : 1U;  // wraps to 0 after 4294967295
  uint8_t record[kRecordSize];
  encode(count_, record);
  // Consecutive numbers alternate slots: the previous one stays intact.
  stored_ = storage_.save(kSlotKeys[count_ & 1U], record, sizeof record);
  return stored_;
}

}  // namespace meter
