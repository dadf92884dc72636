#include "meter/energy.h"
#include "meter/le32.h"

#include <cmath>

namespace meter {

namespace {
constexpr uint8_t kMagic[4] = {'I', 'E', 'N', '1'};
}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFU;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1U) ? (crc >> 1) ^ 0xEDB88320U : crc >> 1;
    }
  }
  return ~crc;
}

void EnergyCounter::encode(uint32_t sequence, uint64_t milli_wh, uint8_t (&record)[kRecordSize]) {
  for (int i = 0; i < 4; ++i) {
    record[i] = kMagic[i];
  }
  put32(record + 4, sequence);
  put32(record + 8, static_cast<uint32_t>(milli_wh));
  put32(record + 12, static_cast<uint32_t>(milli_wh >> 32));
  put32(record + 16, crc32(record, 16));
}

bool EnergyCounter::decode(const uint8_t (&record)[kRecordSize], uint32_t& sequence, uint64_t& milli_wh) {
  for (int i = 0; i < 4; ++i) {
    if (record[i] != kMagic[i]) {
      return false;
    }
  }
  if (get32(record + 16) != crc32(record, 16)) {
    return false;
  }
  sequence = get32(record + 4);
  milli_wh = static_cast<uint64_t>(get32(record + 8)) | (static_cast<uint64_t>(get32(record + 12)) << 32);
  return true;
}

EnergyCounter::EnergyCounter(Storage& storage, const EnergyOptions& options) : storage_(storage), options_(options) {}

bool EnergyCounter::begin(double initial_wh) {
  bool found = false;
  uint32_t best_sequence = 0;
  uint64_t best_milli_wh = 0;
  for (const char* key : kSlotKeys) {
    uint8_t record[kRecordSize];
    uint32_t sequence = 0;
    uint64_t milli_wh = 0;
    if (!storage_.load(key, record, sizeof record) || !decode(record, sequence, milli_wh)) {
      continue;
    }
    // The newer slot wins (sequence numbers compared modulo 2^32).
    if (!found || static_cast<int32_t>(sequence - best_sequence) > 0) {
      found = true;
      best_sequence = sequence;
      best_milli_wh = milli_wh;
    }
  }
  restored_ = found;
  if (found) {
    sequence_ = best_sequence;
    total_wh_ = static_cast<double>(best_milli_wh) / 1000.0;
    stored_wh_ = total_wh_;
  } else {
    total_wh_ = std::isfinite(initial_wh) && initial_wh > 0.0 ? initial_wh : 0.0;
    stored_wh_ = -1.0;
  }
  have_sample_ = false;
  have_external_ = false;
  return found;
}

bool EnergyCounter::store(double wh) {
  const uint64_t milli_wh = static_cast<uint64_t>(std::ceil(wh * 1000.0));
  uint8_t record[kRecordSize];
  const uint32_t sequence = sequence_ + 1;
  encode(sequence, milli_wh, record);
  if (!storage_.save(kSlotKeys[sequence & 1U], record, sizeof record)) {
    ++write_errors_;
    return false;
  }
  sequence_ = sequence;
  stored_wh_ = static_cast<double>(milli_wh) / 1000.0;
  ++writes_;
  return true;
}

void EnergyCounter::add_wh(double wh) {
  if (std::isfinite(wh) && wh > 0.0) {
    total_wh_ += wh;
  }
  if (total_wh_ > stored_wh_) {
    store(total_wh_ + options_.reserve_wh);
  }
}

void EnergyCounter::add_power(double watts, uint64_t uptime_ms) {
  const double w = std::isfinite(watts) && watts > 0.0 ? watts : 0.0;
  if (have_sample_ && uptime_ms > last_ms_) {
    double seconds = static_cast<double>(uptime_ms - last_ms_) / 1000.0;
    if (seconds > options_.max_gap_s) {
      seconds = options_.max_gap_s;
    }
    add_wh((last_watts_ + w) / 2.0 * seconds / 3600.0);
  } else {
    add_wh(0.0);  // the first sample stores the counter, if it never was
  }
  if (!have_sample_ || uptime_ms >= last_ms_) {
    last_ms_ = uptime_ms;
    last_watts_ = w;
    have_sample_ = true;
  }
}

void EnergyCounter::add_external(double counter_wh) {
  if (!std::isfinite(counter_wh) || counter_wh < 0.0) {
    return;
  }
  double delta = 0.0;
  if (have_external_) {
    delta = counter_wh >= last_external_wh_ ? counter_wh - last_external_wh_ : counter_wh;
    if (delta > options_.max_external_step_wh) {
      delta = 0.0;
    }
  }
  last_external_wh_ = counter_wh;
  have_external_ = true;
  add_wh(delta);
}

bool EnergyCounter::flush() {
  if (stored_wh_ >= 0.0 && std::fabs(stored_wh_ - total_wh_) < 0.0005) {
    return true;
  }
  return store(total_wh_);
}

}  // namespace meter
