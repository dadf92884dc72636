#include "meter/telemetry.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "meter/topics.h"

namespace meter {

namespace {

// Appends to a fixed buffer; remembers whether anything did not fit.
class JsonWriter {
 public:
  JsonWriter(char* out, size_t capacity) : out_(out), capacity_(capacity) {
    if (capacity_ > 0) {
      out_[0] = '\0';
    }
  }

  void raw(const char* text) { raw(text, std::strlen(text)); }
  void raw(const char* text, size_t size) {
    if (!ok_ || length_ + size + 1 > capacity_) {
      ok_ = false;
      return;
    }
    std::memcpy(out_ + length_, text, size);
    length_ += size;
    out_[length_] = '\0';
  }

  void key(const char* name) {
    raw(first_ ? "\"" : ",\"");
    first_ = false;
    raw(name);
    raw("\":");
  }

  // `value` with at most `decimals` decimals, trailing zeros trimmed.
  void number(double value, int decimals) {
    char text[48];
    int size = std::snprintf(text, sizeof text, "%.*f", decimals, value);
    if (size <= 0 || static_cast<size_t>(size) >= sizeof text) {
      ok_ = false;
      return;
    }
    if (std::strchr(text, '.') != nullptr) {
      while (size > 0 && text[size - 1] == '0') {
        --size;
      }
      if (size > 0 && text[size - 1] == '.') {
        --size;
      }
    }
    text[size] = '\0';
    if (std::strcmp(text, "-0") == 0) {
      raw("0");
      return;
    }
    raw(text, static_cast<size_t>(size));
  }

  // A non-negative integer, without %llu (newlib-nano has none).
  void integer(uint64_t value) {
    char text[24];
    const size_t size = digits(value, text);
    raw(text, size);
  }

  // Milliseconds (>= 0) as seconds, exactly, without floating point or %lld
  // (newlib-nano has none): 1795427995500 -> 1795427995.5.
  void milliseconds(int64_t ms) {
    char text[32];
    const uint64_t seconds = static_cast<uint64_t>(ms < 0 ? 0 : ms) / 1000U;
    unsigned fraction = static_cast<unsigned>(static_cast<uint64_t>(ms < 0 ? 0 : ms) % 1000U);
    size_t size = digits(seconds, text);
    if (fraction != 0) {
      text[size++] = '.';
      for (unsigned divisor = 100; divisor > 0 && fraction != 0; divisor /= 10) {
        text[size++] = static_cast<char>('0' + fraction / divisor);
        fraction %= divisor;
      }
    }
    raw(text, size);
  }

  bool ok() const { return ok_; }
  size_t length() const { return ok_ ? length_ : 0; }

 private:
  // The decimal digits of `value` into `text` (at least 20 chars); their count.
  static size_t digits(uint64_t value, char* text) {
    char reversed[20];
    size_t count = 0;
    do {
      reversed[count++] = static_cast<char>('0' + value % 10U);
      value /= 10U;
    } while (value != 0);
    size_t size = 0;
    while (count > 0) {
      text[size++] = reversed[--count];
    }
    return size;
  }

  char* out_;
  size_t capacity_;
  size_t length_ = 0;
  bool ok_ = true;
  bool first_ = true;
};

struct Bounds {
  double low;
  double high;
};

Bounds bounds(Field field) {
  switch (field) {
    case Field::voltage:
    case Field::current:
    case Field::frequency:
      return {0.0, 1000.0};
    case Field::power:
      return {0.0, 1e6};
    case Field::energy:
      return {0.0, 1e9};
    case Field::power_factor:
      return {-1.0, 1.0};
    case Field::rssi:
      return {-150.0, 0.0};
    case Field::uptime:
      return {0.0, 1e10};
    case Field::interval:
      return {1.0, 86400.0};
    case Field::boot:
    case Field::dropped:
      return {0.0, 4294967295.0};
  }
  return {0.0, 0.0};
}

void optional_number(JsonWriter& json, const char* name, Field field, double value, int decimals) {
  if (in_bounds(field, value)) {
    json.key(name);
    json.number(value, decimals);
  }
}

// An integer field (boot, dropped): sent when set (>= 0) and within its bounds.
void optional_integer(JsonWriter& json, const char* name, Field field, int64_t value) {
  if (value >= 0 && in_bounds(field, static_cast<double>(value))) {
    json.key(name);
    json.integer(static_cast<uint64_t>(value));
  }
}

}  // namespace

bool in_bounds(Field field, double value) {
  const Bounds b = bounds(field);
  return std::isfinite(value) && value >= b.low && value <= b.high;
}

bool backlog_ready(const Reading& reading) {
  return reading.clock_set() && in_bounds(Field::energy, reading.energy_kwh);
}

size_t serialize_reading(const Reading& r, const char* device_id, double interval_s, char* out, size_t capacity) {
  const bool has_power = in_bounds(Field::power, r.power);
  const bool has_energy = in_bounds(Field::energy, r.energy_kwh);
  if (!has_power && !has_energy) {
    if (capacity > 0) {
      out[0] = '\0';
    }
    return 0;
  }
  if (device_id != nullptr && !valid_device_id(device_id)) {
    return 0;
  }
  JsonWriter json(out, std::min(capacity, kMaxStateBytes + 1));
  json.raw("{");
  if (device_id != nullptr) {
    json.key("device_id");
    json.raw("\"");
    json.raw(device_id);
    json.raw("\"");
  }
  if (r.clock_set()) {
    json.key("timestamp");
    json.milliseconds(r.timestamp_ms);
  }
  optional_number(json, "voltage", Field::voltage, r.voltage, 2);
  optional_number(json, "current", Field::current, r.current, 3);
  optional_number(json, "power", Field::power, r.power, 2);
  optional_number(json, "energy", Field::energy, r.energy_kwh, 6);
  optional_number(json, "power_factor", Field::power_factor, r.power_factor, 3);
  optional_number(json, "frequency", Field::frequency, r.frequency, 2);
  optional_number(json, "rssi", Field::rssi, std::round(static_cast<double>(r.rssi)), 0);
  if (r.uptime_ms >= 0 && in_bounds(Field::uptime, static_cast<double>(r.uptime_ms) / 1000.0)) {
    json.key("uptime");
    json.milliseconds(r.uptime_ms);
  }
  optional_integer(json, "boot", Field::boot, r.boot);
  optional_integer(json, "dropped", Field::dropped, r.dropped);
  optional_number(json, "interval", Field::interval, interval_s, 3);
  if (r.relay_count >= 0 && r.relay_count <= static_cast<int>(kMaxRelays)) {
    json.key("relays");
    json.raw("[");
    for (int n = 0; n < r.relay_count; ++n) {
      json.raw(n == 0 ? "" : ",");
      json.raw(r.relay(static_cast<unsigned>(n)) ? "true" : "false");
    }
    json.raw("]");
  }
  json.raw("}");
  return json.length();
}

BacklogChunk build_backlog_chunk(const RingBuffer<Reading>& buffer, int64_t now_epoch_ms, int64_t now_uptime_ms,
                                 size_t max_readings, char* out, size_t capacity) {
  BacklogChunk chunk;
  const size_t limit = std::min(capacity, kMaxBacklogBytes + 1);  // bytes, with the NUL
  max_readings = std::min(max_readings, kMaxBacklogReadings);
  if (limit < 3 || max_readings == 0) {
    return chunk;
  }
  const bool clock_now = now_epoch_ms >= kClockValidFromMs;
  size_t length = 1;
  out[0] = '[';
  char item[512];  // a reading with every field and 16 relays takes under 450 bytes
  for (size_t index = 0; index < buffer.size() && chunk.readings < max_readings; ++index) {
    Reading reading = buffer.at(index);
    if (!reading.clock_set() && clock_now && reading.uptime_ms >= 0 && reading.uptime_ms <= now_uptime_ms) {
      reading.timestamp_ms = now_epoch_ms - (now_uptime_ms - reading.uptime_ms);
    }
    const size_t size = backlog_ready(reading) ? serialize_reading(reading, nullptr, NAN, item, sizeof item) : 0;
    if (size == 0) {
      ++chunk.skipped;
      ++chunk.consumed;
      continue;
    }
    const size_t separator = chunk.readings > 0 ? 1 : 0;
    if (length + separator + size + 1 + 1 > limit) {  // + "]" + NUL
      if (chunk.readings == 0) {  // cannot fit even alone: drop it rather than block the buffer
        ++chunk.skipped;
        ++chunk.consumed;
        continue;
      }
      break;
    }
    if (separator) {
      out[length++] = ',';
    }
    std::memcpy(out + length, item, size);
    length += size;
    ++chunk.readings;
    ++chunk.consumed;
  }
  if (chunk.readings == 0) {
    out[0] = '\0';
    return chunk;
  }
  out[length++] = ']';
  out[length] = '\0';
  chunk.length = length;
  return chunk;
}

}  // namespace meter
