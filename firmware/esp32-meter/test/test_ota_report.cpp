// The `…/ota` report: what the firmware writes (serialize_ota_report) is what the
// contract's vectors expect, and the session publishes it retained after every
// connect and whenever it changes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "meter/ota.h"
#include "meter/relays.h"
#include "meter/session.h"
#include "meter/sim.h"
#include "support.h"

#ifndef CONTRACT_DIR
#define CONTRACT_DIR "../../contract/mqtt"
#endif

using namespace meter;
using nlohmann::json;

namespace {

json ota_vectors() {
  std::ifstream file(std::string(CONTRACT_DIR) + "/vectors.json");
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str())["ota"];
}

// The record a vector's expected report describes; false when the firmware could
// not have written it (a result it does not name, a time with a fraction).
bool record_of(const json& expect, OtaRecord& record) {
  const std::string result = expect["result"];
  bool known = false;
  for (int n = 0; n <= static_cast<int>(OtaResult::rolled_back); ++n) {
    if (result == ota_result_name(static_cast<OtaResult>(n))) {
      record.result = static_cast<OtaResult>(n);
      known = true;
    }
  }
  if (!known || !expect["unknown"].empty()) {
    return false;
  }
  if (expect["target"].is_string()) {
    std::snprintf(record.target, sizeof record.target, "%s", expect["target"].get<std::string>().c_str());
  }
  if (expect["at"].is_number()) {
    const double at = expect["at"].get<double>();
    if (at != std::floor(at)) {
      return false;
    }
    record.at_s = static_cast<int64_t>(at);
  }
  if (expect["detail"].is_string()) {
    const std::string detail = expect["detail"];
    if (detail.empty() || detail.size() >= sizeof record.detail) {  // empty: the firmware leaves it out
      return false;
    }
    std::snprintf(record.detail, sizeof record.detail, "%s", detail.c_str());
  }
  return true;
}

}  // namespace

TEST(OtaReport, TheFirmwareWritesWhatTheVectorsExpect) {
  const json vectors = ota_vectors();
  ASSERT_TRUE(vectors.is_array());
  int written = 0;
  for (const json& v : vectors) {
    if (!v.contains("expect")) {
      continue;
    }
    const json& expect = v["expect"];
    OtaRecord record;
    if (!record_of(expect, record)) {
      continue;
    }
    char out[1025];
    const std::string version = expect["version"];
    const size_t size = serialize_ota_report(version.c_str(), record, out, sizeof out);
    ASSERT_GT(size, 0U) << v["name"];
    ASSERT_EQ(std::strlen(out), size);
    const json body = json::parse(std::string(out, size));
    EXPECT_EQ(body.value("version", json()), expect["version"]) << out;
    EXPECT_EQ(body.value("result", json()), expect["result"]) << out;
    // Absent when not known (the clock was not set: no "at").
    for (const char* name : {"target", "detail", "at"}) {
      EXPECT_EQ(body.value(name, json()), expect[name]) << name << ": " << out;
    }
    ++written;
  }
  EXPECT_GE(written, 9);
}

TEST(OtaReport, TextIsEscapedAndTheSizeBounded) {
  OtaRecord record;
  record.result = OtaResult::download_failed;
  std::snprintf(record.detail, sizeof record.detail, "a \"quoted\" \\ path\n\xc3\xa9");
  char out[256];
  const size_t size = serialize_ota_report("0.1.0", record, out, sizeof out);
  ASSERT_GT(size, 0U);
  const json body = json::parse(std::string(out, size));
  EXPECT_EQ(body.value("detail", json()), "a \"quoted\" \\ path???");  // printable ASCII only
  EXPECT_FALSE(body.contains("at"));
  EXPECT_FALSE(body.contains("target"));
  for (size_t capacity = 0; capacity <= size; ++capacity) {  // one byte short: nothing
    EXPECT_EQ(serialize_ota_report("0.1.0", record, capacity == 0 ? nullptr : out, capacity), 0U) << capacity;
  }
  EXPECT_EQ(serialize_ota_report("0.1.0", record, out, size + 1), size);
  record.at_s = 10000000001LL;  // beyond the contract's range: left out
  EXPECT_FALSE(json::parse(std::string(out, serialize_ota_report("0.1.0", record, out, sizeof out))).contains("at"));
}

TEST(OtaReport, TheSessionPublishesItRetainedAfterEveryConnect) {
  test::FakeTransport transport;
  RelayBank relays(nullptr, 1, 0);
  sim::FakeClock clock;
  SessionConfig config;
  config.device_id = "m1";
  MqttSession session(config, transport, relays, clock, nullptr);
  session.poll();
  EXPECT_TRUE(transport.on("/ota").empty());  // nothing set: nothing sent
  const std::string first = R"({"version":"0.1.0","result":"none"})";
  session.set_ota_report(first);
  ASSERT_EQ(transport.on("/ota").size(), 1U);
  EXPECT_EQ(transport.on("/ota")[0].topic, "intelergy/m1/ota");
  EXPECT_TRUE(transport.on("/ota")[0].retain);
  EXPECT_EQ(transport.on("/ota")[0].payload, first);
  transport.drop();
  session.poll();  // the loss is noticed
  const std::string second = R"({"version":"0.1.0","result":"bad_signature","target":"0.2.0"})";
  session.set_ota_report(second);  // offline: kept for the next connect
  EXPECT_EQ(transport.on("/ota").size(), 1U);
  clock.advance(60000);
  session.poll();
  ASSERT_TRUE(session.online());
  ASSERT_EQ(transport.on("/ota").size(), 2U);
  EXPECT_EQ(transport.on("/ota")[1].payload, second);
  // After `online` and the relays, as part of the announcement.
  EXPECT_EQ(transport.published[transport.published.size() - 1].topic, "intelergy/m1/ota");
  // A broker that drops the connection on the report: sent again after reconnecting.
  transport.publishes_until_failure = 0;
  session.set_ota_report(first);
  EXPECT_FALSE(session.online());
}
