// Test support shared by the unit tests and tools/meter_payloads.cpp: a fake
// MQTT transport that records what is published, and readings from the
// contract's JSON (vectors.json's "expect" objects).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "meter/hal.h"
#include "meter/telemetry.h"

namespace meter {
namespace test {

struct Published {
  std::string topic;
  std::string payload;
  bool retain;
  int qos;
};

class FakeTransport : public MqttTransport {
 public:
  bool broker_up = true;      // whether connect() succeeds
  int publishes_until_failure = -1;  // >= 0: that many more publishes succeed, then the link drops
  std::vector<Published> published;
  std::vector<std::string> subscriptions;
  Will will;
  unsigned connects = 0;
  unsigned attempts = 0;
  unsigned disconnects = 0;

  bool connect(const Will& w) override {
    ++attempts;
    if (!broker_up) {
      return false;
    }
    will = w;
    up_ = true;
    ++connects;
    return true;
  }
  bool connected() override { return up_; }
  bool publish(const std::string& topic, const char* payload, size_t size, bool retain, int qos) override {
    if (!up_) {
      return false;
    }
    if (publishes_until_failure == 0) {
      up_ = false;
      return false;
    }
    if (publishes_until_failure > 0) {
      --publishes_until_failure;
    }
    published.push_back({topic, std::string(payload, size), retain, qos});
    return true;
  }
  bool subscribe(const std::string& topic, int) override {
    if (!up_) {
      return false;
    }
    subscriptions.push_back(topic);
    return true;
  }
  void disconnect() override {
    up_ = false;
    ++disconnects;
  }
  void loop(uint32_t) override {}
  void set_message_handler(MessageHandler handler) override { handler_ = std::move(handler); }

  // The broker goes away (the connection drops without a word).
  void drop() { up_ = false; }
  // A message from the broker, as the transport's loop would deliver it.
  void deliver(const std::string& topic, const std::string& payload) {
    handler_(topic, reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  }
  std::vector<Published> on(const std::string& suffix) const {
    std::vector<Published> found;
    for (const Published& p : published) {
      if (p.topic.size() >= suffix.size() && p.topic.compare(p.topic.size() - suffix.size(), suffix.size(), suffix) == 0) {
        found.push_back(p);
      }
    }
    return found;
  }

 private:
  bool up_ = false;
  MessageHandler handler_;
};

// A Reading from a contract-shaped object (canonical names, null = unknown).
inline Reading reading_from_json(const nlohmann::json& j) {
  Reading r;
  const auto number = [&](const char* name) -> double {
    return j.contains(name) && j[name].is_number() ? j[name].get<double>() : NAN;
  };
  const double timestamp = number("timestamp");
  if (std::isfinite(timestamp)) {
    r.timestamp_ms = static_cast<int64_t>(std::llround(timestamp * 1000.0));
  }
  const double uptime = number("uptime");
  if (std::isfinite(uptime)) {
    r.uptime_ms = static_cast<int64_t>(std::llround(uptime * 1000.0));
  }
  r.energy_kwh = number("energy");
  r.power = number("power");
  r.voltage = static_cast<float>(number("voltage"));
  r.current = static_cast<float>(number("current"));
  r.power_factor = static_cast<float>(number("power_factor"));
  r.frequency = static_cast<float>(number("frequency"));
  r.rssi = static_cast<float>(number("rssi"));
  // boot / dropped: integers; what no Reading can hold (negative, beyond int64) stays -1.
  for (const auto& [name, field] : {std::pair<const char*, int64_t*>{"boot", &r.boot}, {"dropped", &r.dropped}}) {
    const double value = number(name);
    if (std::isfinite(value) && value >= 0.0 && value < 9.2e18) {
      *field = static_cast<int64_t>(std::llround(value));
    }
  }
  if (j.contains("relays") && j["relays"].is_array()) {
    r.relay_count = static_cast<int8_t>(j["relays"].size());
    for (size_t n = 0; n < j["relays"].size(); ++n) {
      if (j["relays"][n].get<bool>()) {
        r.relay_bits = static_cast<uint16_t>(r.relay_bits | (1U << n));
      }
    }
  }
  return r;
}

}  // namespace test
}  // namespace meter
