// The telemetry JSON (canonical names, epoch seconds, only known fields within
// the contract's bounds), the ring buffer and the backlog chunks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "meter/telemetry.h"

using namespace meter;
using nlohmann::json;

namespace {
Reading full() {
  Reading r;
  r.timestamp_ms = 1795427995000;
  r.uptime_ms = 86400000;
  r.energy_kwh = 1523.004;
  r.power = 998.1;
  r.voltage = 231.2F;
  r.current = 4.35F;
  r.power_factor = 0.99F;
  r.frequency = 50.02F;
  r.rssi = -71.0F;
  r.relay_count = 2;
  r.relay_bits = 0x1;
  return r;
}

std::string state(const Reading& r, const char* device = "kitchen-2", double interval = 5.0) {
  char out[kMaxStateBytes + 1];
  const size_t size = serialize_reading(r, device, interval, out, sizeof out);
  return std::string(out, size);
}

Reading at(int64_t second, double energy) {
  Reading r;
  r.timestamp_ms = 1795420800000 + second * 1000;
  r.uptime_ms = second * 1000;
  r.energy_kwh = energy;
  r.power = 100.0;
  return r;
}
}  // namespace

TEST(Telemetry, EveryFieldCanonicalAndCompact) {
  EXPECT_EQ(state(full()),
            R"({"device_id":"kitchen-2","timestamp":1795427995,"voltage":231.2,"current":4.35,"power":998.1,)"
            R"("energy":1523.004,"power_factor":0.99,"frequency":50.02,"rssi":-71,"uptime":86400,"interval":5,)"
            R"("relays":[true,false]})");
}

TEST(Telemetry, OnlyKnownFieldsAreSent) {
  Reading r;
  r.energy_kwh = 0.001;
  EXPECT_EQ(state(r, nullptr, NAN), R"({"energy":0.001})");
  r = Reading();
  r.power = 0.0;
  EXPECT_EQ(state(r, "m1", NAN), R"({"device_id":"m1","power":0})");
  r.relay_count = 0;
  EXPECT_EQ(state(r, nullptr, NAN), R"({"power":0,"relays":[]})");
  // Neither power nor energy: nothing to send.
  r = full();
  r.power = NAN;
  r.energy_kwh = NAN;
  EXPECT_EQ(state(r), "");
}

TEST(Telemetry, OutOfBoundsValuesAreLeftOut) {
  Reading r = full();
  r.voltage = 1500.0F;         // a miscalibrated front end
  r.power_factor = 1.2F;       // rounding beyond 1
  r.frequency = NAN;
  r.rssi = 5.0F;
  r.uptime_ms = -1;
  r.relay_count = 17;
  const json j = json::parse(state(r, "m1", 0.5));  // interval below 1 s: not sent
  for (const char* absent : {"voltage", "power_factor", "frequency", "rssi", "uptime", "interval", "relays"}) {
    EXPECT_FALSE(j.contains(absent)) << absent;
  }
  r.power = -12.5;
  r.energy_kwh = -1.0;
  EXPECT_EQ(state(r), "");  // negative power and energy: nothing left to send
  r.power = -0.0;
  EXPECT_EQ(json::parse(state(r))["power"].dump(), "0");
  r.power = 1e300;
  r.energy_kwh = 2e9;
  EXPECT_EQ(state(r), "");
}

TEST(Telemetry, TimestampsAndUptimeAreExactEpochSeconds) {
  Reading r = full();
  r.timestamp_ms = 1795427995500;
  r.uptime_ms = 1050;
  std::string text = state(r);
  EXPECT_NE(text.find(R"("timestamp":1795427995.5,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("uptime":1.05,)"), std::string::npos) << text;
  r.timestamp_ms = 1795427995007;
  r.uptime_ms = 0;
  text = state(r);
  EXPECT_NE(text.find(R"("timestamp":1795427995.007,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("uptime":0,)"), std::string::npos) << text;
  r.timestamp_ms = 42000;  // the clock is not set: no timestamp at all
  EXPECT_EQ(state(r).find("timestamp"), std::string::npos);
  r.timestamp_ms = kClockValidFromMs;
  EXPECT_NE(state(r).find(R"("timestamp":1577836800,)"), std::string::npos);
}

TEST(Telemetry, RoundingTrimsAndNeverPrintsMinusZero) {
  Reading r;
  r.power = 628.99;
  r.rssi = -60.6F;
  r.power_factor = -0.0004F;
  r.energy_kwh = 12.345;
  EXPECT_EQ(state(r, nullptr, 2.5), R"({"power":628.99,"energy":12.345,"power_factor":0,"rssi":-61,"interval":2.5})");
}

TEST(Telemetry, DeviceIdAndCapacity) {
  char out[64];
  EXPECT_EQ(serialize_reading(full(), "a/b", NAN, out, sizeof out), 0U);  // not one topic level
  EXPECT_EQ(serialize_reading(full(), "kitchen-2", 5.0, out, sizeof out), 0U);  // does not fit
  Reading r = full();
  r.relay_count = 16;
  r.relay_bits = 0xFFFF;
  const std::string big = state(r, std::string(64, 'x').c_str());
  EXPECT_LT(big.size(), 400U);
  EXPECT_EQ(json::parse(big)["relays"].size(), 16U);
}

TEST(RingBuffer, DropsTheOldestAndCounts) {
  RingBuffer<int> buffer(3);
  EXPECT_TRUE(buffer.empty());
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(buffer.push(i), i > 3);
  }
  EXPECT_EQ(buffer.size(), 3U);
  EXPECT_EQ(buffer.dropped(), 2U);
  EXPECT_EQ(buffer.at(0), 3);
  EXPECT_EQ(buffer.at(2), 5);
  buffer.pop_front(2);
  EXPECT_EQ(buffer.at(0), 5);
  buffer.push(6);
  buffer.push(7);
  buffer.push(8);
  EXPECT_EQ(buffer.at(0), 6);
  EXPECT_EQ(buffer.dropped(), 3U);
  buffer.pop_front(10);
  EXPECT_TRUE(buffer.empty());
  RingBuffer<int> tiny(0);
  EXPECT_EQ(tiny.capacity(), 1U);
}

TEST(Backlog, ChunksByCountOldestFirstEachReadingOnce) {
  RingBuffer<Reading> buffer(2000);
  for (int s = 0; s < 1234; ++s) {
    buffer.push(at(s, 10.0 + s / 1000.0));
  }
  std::string out(kMaxBacklogBytes + 1, '\0');
  std::vector<double> times;
  std::vector<size_t> sizes;
  while (!buffer.empty()) {
    const BacklogChunk chunk = build_backlog_chunk(buffer, 1795430000000, 5000000, 500, &out[0], out.size());
    ASSERT_GT(chunk.readings, 0U);
    EXPECT_EQ(chunk.consumed, chunk.readings);
    const json array = json::parse(out.substr(0, chunk.length));
    ASSERT_TRUE(array.is_array());
    EXPECT_EQ(array.size(), chunk.readings);
    for (const json& item : array) {
      times.push_back(item["timestamp"].get<double>());
      EXPECT_FALSE(item.contains("device_id"));
      EXPECT_FALSE(item.contains("interval"));
    }
    sizes.push_back(chunk.readings);
    buffer.pop_front(chunk.consumed);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{500, 500, 234}));
  ASSERT_EQ(times.size(), 1234U);
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(times[i], 1795420800.0 + static_cast<double>(i));
  }
}

TEST(Backlog, ChunksByBytesUnderTheLimit) {
  RingBuffer<Reading> buffer(100);
  for (int s = 0; s < 100; ++s) {
    buffer.push(at(s, 1.0));
  }
  char out[1024];
  size_t total = 0;
  while (!buffer.empty()) {
    const BacklogChunk chunk = build_backlog_chunk(buffer, 1795430000000, 5000000, 2000, out, sizeof out);
    ASSERT_GT(chunk.readings, 0U);
    EXPECT_LE(chunk.length, sizeof out - 1);
    EXPECT_EQ(json::parse(std::string(out, chunk.length)).size(), chunk.readings);
    total += chunk.readings;
    buffer.pop_front(chunk.consumed);
  }
  EXPECT_EQ(total, 100U);
}

TEST(Backlog, LateTimestampsAndUnsendableReadings) {
  RingBuffer<Reading> buffer(10);
  Reading early = at(0, 1.0);
  early.timestamp_ms = 0;  // taken before SNTP answered, 10 s after boot
  early.uptime_ms = 10000;
  buffer.push(early);
  Reading no_energy = at(1, NAN);
  buffer.push(no_energy);
  buffer.push(at(2, 1.1));
  char out[4096];
  // The clock is still not set: the early reading cannot be placed, skipped.
  BacklogChunk chunk = build_backlog_chunk(buffer, 0, 20000, 10, out, sizeof out);
  EXPECT_EQ(chunk.readings, 1U);
  EXPECT_EQ(chunk.skipped, 2U);
  EXPECT_EQ(chunk.consumed, 3U);
  // Now set: 10 s after boot was 50 s before now.
  chunk = build_backlog_chunk(buffer, 1795430000000, 60000, 10, out, sizeof out);
  EXPECT_EQ(chunk.readings, 2U);
  EXPECT_EQ(chunk.skipped, 1U);
  const json array = json::parse(std::string(out, chunk.length));
  EXPECT_EQ(array[0]["timestamp"].get<double>(), 1795429950.0);
  // Nothing sendable at all: an empty chunk that still consumes.
  RingBuffer<Reading> junk(2);
  junk.push(no_energy);
  chunk = build_backlog_chunk(junk, 1795430000000, 60000, 10, out, sizeof out);
  EXPECT_EQ(chunk.length, 0U);
  EXPECT_EQ(chunk.consumed, 1U);
  // A buffer too small for a single reading drops it rather than stall.
  chunk = build_backlog_chunk(buffer, 1795430000000, 60000, 10, out, 40);
  EXPECT_EQ(chunk.readings, 0U);
  EXPECT_GT(chunk.consumed, 0U);
  EXPECT_TRUE(backlog_ready(at(0, 0.0)));
  EXPECT_FALSE(backlog_ready(no_energy));
}

TEST(Telemetry, BootAndDroppedAreIntegersWithinTheirBounds) {
  Reading r = full();
  r.boot = 4294967295;
  r.dropped = 0;
  EXPECT_NE(state(r).find(R"("uptime":86400,"boot":4294967295,"dropped":0,"interval":5,)"), std::string::npos)
      << state(r);
  r.boot = 0;
  r.dropped = 1234567;
  EXPECT_NE(state(r).find(R"("boot":0,"dropped":1234567,)"), std::string::npos) << state(r);
  r.boot = 4294967296;  // beyond 32 bits: not the contract's
  r.dropped = -1;       // not counted
  const json j = json::parse(state(r));
  EXPECT_FALSE(j.contains("boot"));
  EXPECT_FALSE(j.contains("dropped"));
  EXPECT_EQ(state(full()).find("boot"), std::string::npos);  // not set: not sent
}

TEST(Telemetry, EveryFieldAtItsLongestFitsABacklogItem) {
  Reading r = full();
  r.timestamp_ms = 1795427995123;
  r.uptime_ms = 9999999999999;
  r.energy_kwh = 999999999.999999;
  r.power = 999999.99;
  r.power_factor = -0.999F;
  r.relay_count = 16;
  r.relay_bits = 0xFFFF;
  r.boot = 4294967295;
  r.dropped = 4294967295;
  const std::string item = state(r, nullptr, NAN);
  EXPECT_LT(item.size(), 450U) << item;  // build_backlog_chunk's item buffer: 512
  EXPECT_LT(state(r, std::string(64, 'x').c_str(), 86400.0).size(), 600U);
  // The offline buffer holds OFFLINE_BUFFER_READINGS of these (config.h: 72 bytes each).
  EXPECT_LE(sizeof(Reading), 72U);
}
