// The boot counter: persisted through Storage and incremented at every start,
// published as `boot` in every reading, so that Home Assistant tells a restart
// from anything else without guessing from `uptime` (a change of `boot` is a
// restart, unambiguously).
//
// Two slots (magic, counter, CRC-32) are written in turn, as the energy
// counter's: a write torn by a power cut (before its number was ever published)
// or a corrupted slot falls back to the other one. When this boot's number
// cannot be stored (no NVS), `stored()` is false and the number must not be
// published: the next start would count the same number again.
#pragma once

#include <cstddef>
#include <cstdint>

#include "meter/hal.h"

namespace meter {

class BootCounter {
 public:
  static constexpr size_t kRecordSize = 12;
  static constexpr const char* kSlotKeys[2] = {"boot0", "boot1"};

  explicit BootCounter(Storage& storage) : storage_(storage) {}

  // Reads the stored counter, adds one (the first boot is 1; after
  // 4294967295 comes 0) and stores it. True when this boot's number was stored.
  bool begin();

  uint32_t count() const { return count_; }  // this boot's number
  bool stored() const { return stored_; }
  bool restored() const { return restored_; }  // a previous counter was found

  // The record format, exposed for tests: magic "IBT1", counter
  // (little-endian), CRC-32 of the first 8 bytes.
  static void encode(uint32_t count, uint8_t (&record)[kRecordSize]);
  static bool decode(const uint8_t (&record)[kRecordSize], uint32_t& count);

 private:
  Storage& storage_;
  uint32_t count_ = 0;
  bool stored_ = false;
  bool restored_ = false;
};

}  // namespace meter
