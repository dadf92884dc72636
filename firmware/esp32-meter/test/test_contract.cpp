// The MQTT contract's shared test vectors (contract/mqtt/vectors.json), from the
// firmware's side: relay payloads both ways, and the serializer's output for
// every reading the vectors expect (the integration's tests parse the same
// file; tests/firmware/ feeds this serializer's output to the integration).
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <sstream>
#include <string>

#include "meter/telemetry.h"
#include "meter/topics.h"
#include "support.h"

#ifndef CONTRACT_DIR
#define CONTRACT_DIR "../../contract/mqtt"
#endif

using namespace meter;
using nlohmann::json;

namespace {
const char* const kFields[] = {"device_id", "timestamp", "voltage", "current", "power",  "energy",  "power_factor",
                               "frequency", "rssi",      "uptime",  "boot",    "dropped", "interval", "relays"};

const json& vectors() {
  static const json loaded = [] {
    const char* dir = std::getenv("INTELERGY_CONTRACT_DIR");
    std::ifstream file(std::string(dir != nullptr ? dir : CONTRACT_DIR) + "/vectors.json");
    std::stringstream text;
    text << file.rdbuf();
    return json::parse(text.str());
  }();
  return loaded;
}

std::string serialize(const json& expect) {
  const Reading reading = test::reading_from_json(expect);
  const std::string device = expect["device_id"].is_string() ? expect["device_id"].get<std::string>() : "";
  const double interval = expect["interval"].is_number() ? expect["interval"].get<double>() : NAN;
  char out[kMaxStateBytes + 1];
  const size_t size = serialize_reading(reading, device.empty() ? nullptr : device.c_str(), interval, out, sizeof out);
  return std::string(out, size);
}

// `sent` (the firmware's JSON) carries exactly the known fields of `expect`,
// with the same values.
void expect_same_reading(const json& sent, const json& expect, const std::string& name) {
  for (const char* field : kFields) {
    if (expect[field].is_null()) {
      EXPECT_FALSE(sent.contains(field)) << name << ": " << field;
    } else if (expect[field].is_number()) {
      ASSERT_TRUE(sent.contains(field)) << name << ": " << field;
      const double want = expect[field].get<double>();
      EXPECT_NEAR(sent[field].get<double>(), want, std::fabs(want) * 1e-12) << name << ": " << field;
    } else {
      EXPECT_EQ(sent[field], expect[field]) << name << ": " << field;
    }
  }
  for (const auto& item : sent.items()) {
    EXPECT_TRUE(std::find(std::begin(kFields), std::end(kFields), item.key()) != std::end(kFields))
        << name << ": non-canonical field " << item.key();
  }
}
}  // namespace

TEST(Contract, RelayStatePayloadsParseAsTheIntegrationParsesThem) {
  ASSERT_FALSE(vectors()["relay_state"].empty());
  for (const json& v : vectors()["relay_state"]) {
    const std::string payload = v["payload"];
    const RelayPayload parsed =
        parse_relay_payload(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    if (v.contains("error")) {
      EXPECT_EQ(parsed, RelayPayload::invalid) << payload;
    } else {
      EXPECT_EQ(parsed, v["expect"].get<bool>() ? RelayPayload::on : RelayPayload::off) << payload;
    }
  }
}

TEST(Contract, RelayCommandAndStatePayloadsAreWhatTheIntegrationSends) {
  ASSERT_FALSE(vectors()["relay_command"].empty());
  for (const json& v : vectors()["relay_command"]) {
    EXPECT_EQ(relay_payload(v["on"].get<bool>()), v["payload"].get<std::string>());
    const std::string payload = v["payload"];
    EXPECT_EQ(parse_relay_payload(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
              v["on"].get<bool>() ? RelayPayload::on : RelayPayload::off);
  }
}

TEST(Contract, TheSerializerWritesEveryExpectedStateReading) {
  int checked = 0;
  for (const json& v : vectors()["state"]) {
    if (!v.contains("expect")) {
      continue;
    }
    const std::string text = serialize(v["expect"]);
    ASSERT_FALSE(text.empty()) << v["name"];
    expect_same_reading(json::parse(text), v["expect"], v["name"]);
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(Contract, CanonicalVectorsComeOutAsTheirPayload) {
  // Vectors already in the contract's canonical shape (canonical names, epoch
  // seconds): the firmware writes the same object, field for field.
  int checked = 0;
  for (const json& v : vectors()["state"]) {
    if (!v.contains("expect") || !v["expect"]["unknown"].empty()) {
      continue;
    }
    const json payload = json::parse(v["payload"].get<std::string>());
    bool canonical = true;
    for (const auto& item : payload.items()) {
      canonical = canonical && std::find(std::begin(kFields), std::end(kFields), item.key()) != std::end(kFields);
    }
    if (!canonical || (payload.contains("timestamp") && !payload["timestamp"].is_number()) ||
        (payload.contains("timestamp") && v["expect"]["timestamp"].is_null())) {
      continue;
    }
    const json sent = json::parse(serialize(v["expect"]));
    EXPECT_EQ(sent, payload) << v["name"];  // numbers compared by value
    ++checked;
  }
  EXPECT_GE(checked, 4);  // "canonical, every field, two relays", "power only", "energy only", ...
}

TEST(Contract, TheSerializerWritesEveryExpectedBacklog) {
  int checked = 0;
  for (const json& v : vectors()["backlog"]) {
    if (!v.contains("expect")) {
      continue;
    }
    RingBuffer<Reading> buffer(kMaxBacklogReadings);
    for (const json& expect : v["expect"]) {
      buffer.push(test::reading_from_json(expect));
    }
    std::string out(kMaxBacklogBytes + 1, '\0');
    const BacklogChunk chunk =
        build_backlog_chunk(buffer, vectors()["now"].get<int64_t>() * 1000, 0, kMaxBacklogReadings, &out[0], out.size());
    EXPECT_EQ(chunk.readings, v["expect"].size()) << v["name"];
    EXPECT_EQ(chunk.skipped, 0U);
    if (chunk.readings == 0) {
      continue;
    }
    const json sent = json::parse(out.substr(0, chunk.length));
    ASSERT_EQ(sent.size(), v["expect"].size());
    for (size_t i = 0; i < sent.size(); ++i) {
      json expect = v["expect"][i];
      expect["device_id"] = nullptr;  // backlog readings leave the device id to the topic
      expect_same_reading(sent[i], expect, v["name"].get<std::string>() + " #" + std::to_string(i));
    }
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(Contract, OutOfRangeValuesNeverLeaveTheFirmware) {
  // The values of every out_of_range vector, as a front end could produce them:
  // the offending field is left out, and with nothing left nothing is sent.
  static const std::map<std::string, Field> bounded = {
      {"voltage", Field::voltage}, {"current", Field::current},           {"power", Field::power},
      {"energy", Field::energy},   {"power_factor", Field::power_factor}, {"frequency", Field::frequency},
      {"rssi", Field::rssi},       {"interval", Field::interval},         {"boot", Field::boot},
      {"dropped", Field::dropped}};
  int checked = 0;
  for (const json& v : vectors()["state"]) {
    if (!v.contains("error") || v["error"] != "out_of_range") {
      continue;
    }
    const json payload = json::parse(v["payload"].get<std::string>(), nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) {
      continue;
    }
    json expect = json::object();
    for (const char* field : kFields) {
      expect[field] = payload.contains(field) ? payload[field] : json(nullptr);
    }
    const std::string sent = serialize(expect);
    if (!sent.empty()) {
      const json parsed = json::parse(sent);
      for (const auto& item : parsed.items()) {
        const auto found = bounded.find(item.key());
        if (found != bounded.end()) {
          EXPECT_TRUE(in_bounds(found->second, item.value().get<double>())) << v["name"] << ": " << item.key();
        }
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);  // negative power, negative energy, power factor 1.5 (1e400 is no double)
}

TEST(Contract, BootAndDroppedAreIntegersWithinTheirBounds) {
  // Every valid vector with boot / dropped comes out as an integer (no
  // fraction, no exponent); the out_of_range ones are never sent.
  int checked = 0;
  for (const json& v : vectors()["state"]) {
    const json payload = json::parse(v["payload"].get<std::string>(), nullptr, false);
    if (payload.is_discarded() || !payload.is_object() || (!payload.contains("boot") && !payload.contains("dropped"))) {
      continue;
    }
    json expect = v.contains("expect") ? v["expect"] : json::object();
    if (!v.contains("expect")) {
      if (v["error"] != "out_of_range") {
        continue;  // a string, a boolean, 1.5: nothing a Reading can hold
      }
      for (const char* field : kFields) {
        expect[field] = payload.contains(field) ? payload[field] : json(nullptr);
      }
    }
    const std::string text = serialize(expect);
    ASSERT_FALSE(text.empty()) << v["name"];  // each of them has power
    const json sent = json::parse(text);
    for (const char* field : {"boot", "dropped"}) {
      if (v.contains("expect") && !expect[field].is_null()) {
        ASSERT_TRUE(sent.contains(field)) << v["name"];
        EXPECT_TRUE(sent[field].is_number_unsigned()) << v["name"] << ": " << sent[field];
        EXPECT_EQ(sent[field].get<uint64_t>(), expect[field].get<uint64_t>()) << v["name"];
      } else {
        EXPECT_FALSE(sent.contains(field)) << v["name"] << ": " << field;
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 6);  // 42/17, the bounds, 3.0/1e2, -1, 2^32, 1e10
}

TEST(Contract, DeviceIdsAsTheSchemaDefinesThem) {
  // telemetry.schema.json: ^[A-Za-z0-9_-]{1,64}$
  EXPECT_TRUE(valid_device_id("meter-001"));
  EXPECT_TRUE(valid_device_id("kitchen-2"));
  EXPECT_TRUE(valid_device_id("meter-01"));
  EXPECT_FALSE(valid_device_id("m 1"));
}
