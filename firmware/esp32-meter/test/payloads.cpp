// `meter_tests --payloads [vectors.json]` prints payloads the firmware's
// serializer produced, one JSON object per line, for
// tests/firmware/test_firmware_payloads.py to check against the integration's
// parser (parse_state / parse_backlog / parse_relay_state) and the JSON Schemas:
//
//   {"source": "vector", "name": ..., "kind": "state"|"backlog", "topic_device_id": ...,
//    "payload": "<exact message body>", "expect": <vectors.json's expected reading(s)>}
//   {"source": "run:<front end>", "kind": "state"|"backlog"|"relay"|"availability",
//    "topic": ..., "topic_device_id": ..., "retain": bool, "payload": ...}
//   {"source": "edge", "name": ..., "kind": "state", "topic_device_id": ..., "payload": ...}
//   {"source": "ota", "name": ..., "kind": "ota", "topic": ..., "retain": true, "result": ...,
//    "target": ..., "payload": ...}
//
// "vector": every reading vectors.json expects, written by the firmware.
// "run:*": every message of a simulated hour of a meter (the real core: sensor
// front end on simulated hardware, sampler, energy and boot counters, session)
// with relay commands, an over-current trip and a 30-minute outage that
// overflows the offline buffer ("boot": the run's boot counter, "dropped": the
// readings its buffer dropped in the end); "edge": extreme readings; "ota": the
// `…/ota` report a meter running 0.1.0 published after each kind of update (a
// good one, and every attack OtaInstaller refuses), through the session.
#include "payloads.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ota_support.h"
#include "support.h"
#include "meter/adc_power.h"
#include "meter/boot.h"
#include "meter/ina219.h"
#include "meter/ota.h"
#include "meter/pzem004t.h"
#include "meter/sampler.h"
#include "meter/session.h"
#include "meter/sim.h"

#ifndef CONTRACT_DIR
#define CONTRACT_DIR "../../contract/mqtt"
#endif

using namespace meter;
using nlohmann::json;

namespace payloads {

std::ostream* output = &std::cout;

void emit(const json& line) { *output << line.dump() << '\n'; }

std::string serialize(const Reading& r, const char* device, double interval) {
  char out[kMaxStateBytes + 1];
  const size_t size = serialize_reading(r, device, interval, out, sizeof out);
  return std::string(out, size);
}

void from_vectors(const json& vectors) {
  for (const json& v : vectors["state"]) {
    if (!v.contains("expect")) {
      continue;
    }
    const json& expect = v["expect"];
    const std::string device = expect["device_id"].is_string() ? expect["device_id"].get<std::string>() : "";
    const double interval = expect["interval"].is_number() ? expect["interval"].get<double>() : NAN;
    emit({{"source", "vector"},
          {"name", v["name"]},
          {"kind", "state"},
          {"topic_device_id", v["topic_device_id"]},
          {"payload", serialize(test::reading_from_json(expect), device.empty() ? nullptr : device.c_str(), interval)},
          {"expect", expect}});
  }
  for (const json& v : vectors["backlog"]) {
    if (!v.contains("expect")) {
      continue;
    }
    RingBuffer<Reading> buffer(kMaxBacklogReadings);
    for (const json& expect : v["expect"]) {
      buffer.push(test::reading_from_json(expect));
    }
    std::string out(kMaxBacklogBytes + 1, '\0');
    const BacklogChunk chunk =
        build_backlog_chunk(buffer, vectors["now"].get<int64_t>() * 1000, 0, kMaxBacklogReadings, &out[0], out.size());
    emit({{"source", "vector"},
          {"name", v["name"]},
          {"kind", "backlog"},
          {"topic_device_id", v["topic_device_id"]},
          {"payload", chunk.readings > 0 ? out.substr(0, chunk.length) : std::string("[]")},
          {"expect", v["expect"]}});
  }
}

enum class FrontEnd { pzem, ina219, adc };

// One simulated hour of a meter with the real core, every message it published.
void run(FrontEnd front, const char* device, bool clock_late) {
  constexpr int64_t kStart = 1767225600000;  // 2026-01-01T00:00:00Z
  sim::FakeClock clock(clock_late ? 0 : kStart);
  sim::MemoryStorage storage;
  EnergyCounter energy(storage);
  energy.begin(front == FrontEnd::pzem ? 1523004.0 : 0.0);
  // The meter restarted before: this run is its third boot.
  for (int start = 0; start < 2; ++start) {
    BootCounter(storage).begin();
  }
  BootCounter boot(storage);
  boot.begin();
  RelayBank relays(nullptr, 2, 0b11);
  OvercurrentCutoff cutoff(front == FrontEnd::ina219 ? 30.0 : 6.0, 0);
  Sampler sampler(energy, relays, cutoff, nullptr);
  test::FakeTransport transport;
  SessionConfig config;
  config.device_id = device;
  config.interval_s = 5.0;
  config.offline_interval_ms = 5000;
  config.buffer_capacity = 200;  // a 30-minute outage at 5 s overflows it
  config.chunk_readings = 50;
  config.chunk_bytes = 8192;  // as on the ESP32 (PubSubClient's buffer)
  config.backoff_max_ms = 30000;
  config.boot = boot.count();
  MqttSession session(config, transport, relays, clock, nullptr);

  sim::Plant plant;
  plant.loads_w = {100.0, 1000.0};
  if (front == FrontEnd::ina219) {
    plant.voltage = 24.0;
    plant.power_factor = 1.0;
    plant.loads_w = {60.0, 400.0};
  }
  sim::SimulatedPzem pzem_device(0x01);
  pzem_device.set_energy_wh(7.0);
  Pzem004t pzem(pzem_device);
  sim::SimulatedIna219 ina_chip(0x40, 0.002);
  Ina219 ina(ina_chip, 0x40, 0.002, 40.0);
  ina.begin();
  AdcCalibration calibration;
  calibration.voltage_per_count = 0.35;
  calibration.current_per_count = 0.02;
  calibration.current_noise_floor_a = 0.05;
  sim::SyntheticAdc adc_device(calibration.voltage_per_count, calibration.current_per_count, 5000.0, 11);
  adc_device.noise_counts = 2.0;
  adc_device.current_third_harmonic = 0.2;
  AdcPowerSensor adc(adc_device, calibration, 1000);
  Sensor* sensor = front == FrontEnd::pzem ? static_cast<Sensor*>(&pzem)
                   : front == FrontEnd::ina219 ? static_cast<Sensor*>(&ina)
                                               : static_cast<Sensor*>(&adc);

  for (int second = 0; second <= 3600; ++second) {
    if (clock_late && second == 45) {
      clock.set_epoch_ms(kStart + 45000);  // SNTP answers 45 s after boot
    }
    if (second == 300) {
      transport.deliver(session.topics().relay(0) + "/set", "OFF");
    }
    if (second == 600) {
      transport.broker_up = false;
      transport.drop();
    }
    if (second == 2400) {
      transport.broker_up = true;
    }
    if (second == 2700) {
      transport.deliver(session.topics().relay(0) + "/set", "on");
      plant.loads_w[1] *= 2.5;  // a heater on relay 1: over the limit, tripped locally
    }
    const Measurement truth = plant.truth(relays.bits());
    pzem_device.set_values(truth);
    pzem_device.advance(1.0);
    ina_chip.set_values(truth.voltage, truth.current);
    adc_device.set_values(truth);
    Measurement m;
    if (sensor->read(m)) {
      sampler.update(m, clock.uptime_ms());
    } else {
      sampler.failed(clock.uptime_ms());
    }
    if (second % 5 == 0) {
      Reading r = sampler.snapshot(clock.uptime_ms());
      r.timestamp_ms = clock.epoch_ms();
      r.rssi = -67.0F;
      session.submit(r);
    }
    session.poll();
    clock.advance(1000);
  }
  session.shutdown();
  const std::string base = session.topics().base() + "/";
  for (const test::Published& p : transport.published) {
    const std::string suffix = p.topic.substr(base.size());
    const std::string kind = suffix.rfind("relay/", 0) == 0 ? "relay" : suffix;
    emit({{"source", std::string("run:") + sensor->name()},
          {"kind", kind},
          {"topic", p.topic},
          {"topic_device_id", device},
          {"retain", p.retain},
          {"payload", p.payload},
          {"boot", config.boot},
          {"dropped", session.dropped()}});
  }
}

void edges() {
  Reading r;
  r.timestamp_ms = 1767225600123;
  r.uptime_ms = 9999999999999;  // just under the contract's 1e10 s
  r.energy_kwh = 999999999.999999;
  r.power = 999999.99;
  r.voltage = 999.99F;
  r.current = 999.999F;
  r.power_factor = -1.0F;
  r.frequency = 0.0F;
  r.rssi = -150.0F;
  r.relay_count = 16;
  r.relay_bits = 0xA5A5;
  r.boot = 4294967295;
  r.dropped = 4294967295;
  emit({{"source", "edge"}, {"name", "largest values, 16 relays"}, {"kind", "state"}, {"topic_device_id", std::string(64, 'z')},
        {"payload", serialize(r, std::string(64, 'z').c_str(), 86400.0)}});
  Reading zero;
  zero.power = 0.0;
  zero.energy_kwh = 0.0;
  zero.uptime_ms = 0;
  zero.relay_count = 0;
  zero.boot = 0;
  zero.dropped = 0;
  emit({{"source", "edge"}, {"name", "zeros, no relays"}, {"kind", "state"}, {"topic_device_id", "m_1"},
        {"payload", serialize(zero, "m_1", 1.0)}});
  Reading tiny;
  tiny.energy_kwh = 0.0000004;  // rounds to 0 at 6 decimals
  tiny.power = 0.004;
  tiny.timestamp_ms = 1767225600001;
  emit({{"source", "edge"}, {"name", "sub-resolution values"}, {"kind", "state"}, {"topic_device_id", "m1"},
        {"payload", serialize(tiny, nullptr, NAN)}});
}

// What a meter running 0.1.0 reports on `…/ota` after each kind of update.
void ota() {
  test::SigningKey trusted(11);
  test::SigningKey other(12);
  OtaKey key;
  key.load(trusted.public_der().data(), trusted.public_der().size());
  const std::vector<uint8_t> firmware = test::firmware_bytes(4096);
  const std::vector<uint8_t> good = test::signed_image(trusted, "0.2.0", firmware);
  struct Case {
    const char* name;
    std::vector<uint8_t> body;
    int64_t length;  // -2: the body's own
    size_t deliver;
    int status;
  };
  std::vector<uint8_t> flipped = good;
  flipped[kOtaHeaderSize + 100] ^= 0x10;
  const std::string page = "<html>" + std::string(300, ' ');
  const std::vector<Case> cases = {
      {"good", good, -2, good.size(), 200},
      {"flipped byte", flipped, -2, good.size(), 200},
      {"another key", test::signed_image(other, "0.2.0", firmware), -2, good.size(), 200},
      {"forged", test::signed_image(other, "0.2.0", firmware, trusted.id()), -2, good.size(), 200},
      {"truncated", good, -2, good.size() / 2, 200},
      {"downgrade", test::signed_image(trusted, "0.0.9", firmware), -2, good.size(), 200},
      {"wrong size", good, static_cast<int64_t>(good.size()) + 1, good.size(), 200},
      {"not signed", std::vector<uint8_t>(page.begin(), page.end()), -2, page.size(), 200},
      {"HTTP error", {}, -2, 0, 500},
  };
  sim::FakeClock clock(1795428000000LL);
  for (const Case& c : cases) {
    test::MemorySlot slot;
    OtaPolicy policy;
    policy.key = &key;
    policy.running_version = "0.1.0";
    OtaInstaller installer(policy, slot, nullptr);
    if (installer.start(c.status, c.length == -2 ? static_cast<int64_t>(c.body.size()) : c.length)) {
      installer.feed(c.body.data(), c.deliver);
    }
    installer.finish(c.deliver < c.body.size() ? "connection reset by peer" : nullptr);
    const OtaRecord record = OtaRecord::from(installer, clock.epoch_ms());
    char report[1025];
    serialize_ota_report("0.1.0", record, report, sizeof report);
    test::FakeTransport transport;
    RelayBank relays(nullptr, 0, 0);
    SessionConfig config;
    config.device_id = "ota-meter";
    MqttSession session(config, transport, relays, clock, nullptr);
    session.set_ota_report(report);
    session.poll();  // connects: the report goes out with the announcement
    for (const test::Published& p : transport.on("/ota")) {
      emit({{"source", "ota"},
            {"name", c.name},
            {"kind", "ota"},
            {"topic", p.topic},
            {"retain", p.retain},
            {"result", ota_result_name(installer.result())},
            {"target", installer.target()},
            {"payload", p.payload}});
    }
  }
  // After the restart into the new firmware.
  OtaRecord installed;
  installed.result = OtaResult::ok;
  std::snprintf(installed.target, sizeof installed.target, "0.2.0");
  installed.at_s = 1795428000;
  char report[1025];
  serialize_ota_report("0.2.0", installed, report, sizeof report);
  emit({{"source", "ota"}, {"name", "after the restart"}, {"kind", "ota"}, {"topic", "intelergy/ota-meter/ota"},
        {"retain", true}, {"result", "ok"}, {"target", "0.2.0"}, {"payload", report}});
}

}  // namespace payloads

int dump_payloads(std::ostream& out, const std::string& vectors_path) {
  const std::string path = vectors_path.empty() ? std::string(CONTRACT_DIR) + "/vectors.json" : vectors_path;
  std::ifstream file(path);
  if (!file) {
    std::cerr << "meter_tests --payloads: cannot read " << path << '\n';
    return 2;
  }
  std::stringstream text;
  text << file.rdbuf();
  payloads::output = &out;
  payloads::from_vectors(json::parse(text.str()));
  payloads::run(payloads::FrontEnd::pzem, "pzem-meter", false);
  payloads::run(payloads::FrontEnd::ina219, "ina219-meter", false);
  payloads::run(payloads::FrontEnd::adc, "adc-meter", true);
  payloads::edges();
  payloads::ota();
  payloads::output = &std::cout;
  return 0;
}

// The C++ side of the cross-check: every line is an object with a payload, the
// simulated runs went through an outage that overflowed the buffer, and their
// energy never went down. (tests/firmware/ checks the same lines with the
// integration's parser and the JSON Schemas.)
TEST(Payloads, DumpIsCompleteAndConsistent) {
  std::stringstream out;
  ASSERT_EQ(dump_payloads(out, ""), 0);
  std::map<std::string, std::map<std::string, int>> kinds;
  std::map<std::string, double> last_energy;
  std::string line;
  while (std::getline(out, line)) {
    const json j = json::parse(line);
    ASSERT_TRUE(j["payload"].is_string()) << line;
    const std::string source = j["source"];
    const std::string kind = j["kind"];
    ++kinds[source][kind];
    if (source.rfind("run:", 0) == 0 && (kind == "state" || kind == "backlog")) {
      EXPECT_GT(j["dropped"].get<int>(), 0) << source;
      const json body = json::parse(j["payload"].get<std::string>());
      for (const json& reading : kind == "state" ? json::array({body}) : body) {
        const double energy = reading["energy"].get<double>();
        EXPECT_GE(energy, last_energy[source]) << source << ": " << line;
        last_energy[source] = energy;
        EXPECT_EQ(reading["boot"], 3) << line;  // the third boot, in every reading
        if (reading.contains("dropped")) {  // in state messages once the buffer overflowed
          EXPECT_EQ(kind, "state");
          EXPECT_EQ(reading["dropped"], j["dropped"]) << line;
          ++kinds[source]["dropped"];
        }
      }
    }
  }
  EXPECT_EQ(kinds.size(), 6U);  // vector, three runs, edge, ota
  for (const char* run : {"run:PZEM-004T", "run:INA219", "run:ADC (ACS712/SCT013 + ZMPT101B)"}) {
    EXPECT_GT(kinds[run]["state"], 100) << run;
    EXPECT_GE(kinds[run]["backlog"], 4) << run;  // 200 buffered readings, 50 per message
    EXPECT_GE(kinds[run]["relay"], 4) << run;
    EXPECT_EQ(kinds[run]["availability"], 3) << run;  // online, online again, offline
    EXPECT_GT(kinds[run]["dropped"], 100) << run;  // every state message after the outage
  }
  EXPECT_GE(kinds["vector"]["state"], 9);
  EXPECT_EQ(kinds["edge"]["state"], 3);
  EXPECT_EQ(kinds["ota"]["ota"], 10);  // nine updates, one restart
}
