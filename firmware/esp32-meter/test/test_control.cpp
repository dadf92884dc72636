// Topics and relay payloads, the relay bank, the over-current cut-off, the
// reconnection backoff, and the sampler that ties sensor, energy and safety.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meter/backoff.h"
#include "meter/relays.h"
#include "meter/sampler.h"
#include "meter/sim.h"
#include "meter/topics.h"

using namespace meter;

namespace {
RelayPayload parse(const std::string& text) {
  return parse_relay_payload(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

struct Outputs : RelayOutput {
  std::vector<std::pair<unsigned, bool>> writes;
  void write(unsigned index, bool on) override { writes.emplace_back(index, on); }
};
}  // namespace

TEST(Topics, DeviceIdsAndPrefixes) {
  EXPECT_TRUE(valid_device_id("kitchen-meter_01"));
  EXPECT_TRUE(valid_device_id(std::string(64, 'a').c_str()));
  EXPECT_FALSE(valid_device_id(std::string(65, 'a').c_str()));
  for (const char* bad : {"", "a/b", "a+", "#", "a b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(valid_device_id(bad)) << bad;
  }
  EXPECT_FALSE(valid_device_id(nullptr));
  EXPECT_TRUE(valid_prefix("intelergy"));
  EXPECT_TRUE(valid_prefix("home/energy"));
  for (const char* bad : {"", "/x", "x/", "a/+/b", "a#"}) {
    EXPECT_FALSE(valid_prefix(bad)) << bad;
  }
  EXPECT_FALSE(valid_prefix(nullptr));
}

TEST(Topics, NamesAndRelayCommandTopics) {
  const Topics t("intelergy", "kitchen-2");
  EXPECT_EQ(t.availability(), "intelergy/kitchen-2/availability");
  EXPECT_EQ(t.state(), "intelergy/kitchen-2/state");
  EXPECT_EQ(t.backlog(), "intelergy/kitchen-2/backlog");
  EXPECT_EQ(t.relay(3), "intelergy/kitchen-2/relay/3");
  EXPECT_EQ(t.relay_commands(), "intelergy/kitchen-2/relay/+/set");
  EXPECT_EQ(t.relay_command_index("intelergy/kitchen-2/relay/0/set", 2), 0);
  EXPECT_EQ(t.relay_command_index("intelergy/kitchen-2/relay/1/set", 2), 1);
  EXPECT_EQ(t.relay_command_index("intelergy/kitchen-2/relay/15/set", 16), 15);
  for (const char* bad : {"intelergy/kitchen-2/relay/2/set", "intelergy/kitchen-2/relay/01/set",
                          "intelergy/kitchen-2/relay/-1/set", "intelergy/kitchen-2/relay//set",
                          "intelergy/kitchen-2/relay/x/set", "intelergy/kitchen-2/relay/0", "intelergy/other/relay/0/set",
                          "intelergy/kitchen-2/relay/0/set/x", "intelergy/kitchen-2/relay/100/set"}) {
    EXPECT_EQ(t.relay_command_index(bad, 2), -1) << bad;
  }
}

TEST(Topics, RelayPayloads) {
  EXPECT_EQ(parse("ON"), RelayPayload::on);
  EXPECT_EQ(parse("OFF"), RelayPayload::off);
  EXPECT_EQ(parse("on"), RelayPayload::on);
  EXPECT_EQ(parse(" off\n"), RelayPayload::off);
  EXPECT_EQ(parse("\tOn\r\n"), RelayPayload::on);
  for (const char* bad : {"", "1", "0", "TOGGLE", "ONN", "O N", "true", "{\"state\":\"ON\"}", "   "}) {
    EXPECT_EQ(parse(bad), RelayPayload::invalid) << bad;
  }
  const uint8_t nul[] = {'O', 'N', 0};
  EXPECT_EQ(parse_relay_payload(nul, 3), RelayPayload::invalid);
  EXPECT_STREQ(relay_payload(true), "ON");
  EXPECT_STREQ(relay_payload(false), "OFF");
}

TEST(Relays, BankDrivesOutputsAndTracksWhatToPublish) {
  Outputs outputs;
  RelayBank bank(&outputs, 3, 0b101);
  EXPECT_EQ(outputs.writes, (std::vector<std::pair<unsigned, bool>>{{0, true}, {1, false}, {2, true}}));
  EXPECT_EQ(bank.take_pending(), 0b111);  // all published once at start
  EXPECT_EQ(bank.take_pending(), 0);
  EXPECT_TRUE(bank.set(1, true));
  EXPECT_FALSE(bank.set(1, true));  // no change, but answered all the same
  EXPECT_EQ(bank.take_pending(), 0b010);
  EXPECT_FALSE(bank.set(7, true));
  EXPECT_EQ(bank.bits(), 0b111);
  EXPECT_EQ(bank.trip(0b011), 0b011);
  EXPECT_EQ(bank.bits(), 0b100);
  EXPECT_EQ(bank.take_pending(), 0b011);
  EXPECT_EQ(bank.trip(0b011), 0);  // already off
  EXPECT_TRUE(bank.get(2));
  EXPECT_FALSE(bank.get(0));
  EXPECT_FALSE(bank.get(9));
  bank.mark_all_pending();
  EXPECT_EQ(bank.take_pending(), 0b111);
  RelayBank sixteen(nullptr, 20, 0xFFFF);
  EXPECT_EQ(sixteen.count(), 16U);
  EXPECT_EQ(sixteen.take_pending(), 0xFFFF);
}

TEST(Relays, OvercurrentCutoffHoldTime) {
  OvercurrentCutoff cutoff(10.0, 500);
  EXPECT_FALSE(cutoff.update(12.0, 1000));
  EXPECT_FALSE(cutoff.update(12.0, 1400));
  EXPECT_TRUE(cutoff.update(12.0, 1500));  // above the limit for 500 ms
  EXPECT_EQ(cutoff.trips(), 1U);
  EXPECT_FALSE(cutoff.update(12.0, 1600));  // the hold time starts over
  EXPECT_FALSE(cutoff.update(9.0, 1700));   // back under: reset
  EXPECT_FALSE(cutoff.update(12.0, 2000));
  EXPECT_FALSE(cutoff.update(NAN, 2600));
  EXPECT_FALSE(cutoff.update(10.0, 2700));  // at the limit is fine
  OvercurrentCutoff instant(10.0, 0);
  EXPECT_TRUE(instant.update(10.1, 0));
  OvercurrentCutoff disabled(0.0, 0);
  EXPECT_FALSE(disabled.update(1000.0, 0));
}

TEST(Backoff, ExponentialCappedAndReset) {
  Backoff backoff(1000, 30000, 0.0);
  std::vector<uint32_t> delays;
  for (int i = 0; i < 8; ++i) {
    delays.push_back(backoff.next_delay_ms());
  }
  EXPECT_EQ(delays, (std::vector<uint32_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
  EXPECT_EQ(backoff.attempts(), 8U);
  backoff.reset();
  EXPECT_EQ(backoff.next_delay_ms(), 1000U);
  for (int i = 0; i < 100; ++i) {
    backoff.next_delay_ms();  // no overflow after many attempts
  }
  EXPECT_EQ(backoff.next_delay_ms(), 30000U);
}

TEST(Backoff, JitterStaysWithinBoundsAndSpreads) {
  Backoff a(1000, 60000, 0.25, 1);
  Backoff b(1000, 60000, 0.25, 2);
  bool differ = false;
  uint32_t nominal = 1000;
  for (int i = 0; i < 10; ++i) {
    const uint32_t da = a.next_delay_ms();
    const uint32_t db = b.next_delay_ms();
    EXPECT_LE(da, nominal);
    EXPECT_GE(da, nominal * 3 / 4);
    differ = differ || da != db;
    nominal = nominal * 2 > 60000 ? 60000 : nominal * 2;
  }
  EXPECT_TRUE(differ);  // two meters cut by the same outage do not retry in step
  Backoff odd(0, 0, 5.0, 0);  // nonsense settings are clamped
  EXPECT_GE(odd.next_delay_ms(), 1U);
}

TEST(Sampler, EnergySafetyAndSnapshots) {
  sim::MemoryStorage storage;
  EnergyCounter energy(storage);
  energy.begin(1000.0);
  Outputs outputs;
  RelayBank relays(&outputs, 2, 0b11);
  OvercurrentCutoff cutoff(16.0, 0);
  SamplerConfig config;
  config.trip_mask = 0b10;  // only relay 1 feeds the big load
  config.stale_after_ms = 5000;
  Sampler sampler(energy, relays, cutoff, nullptr, config);

  Measurement m;
  m.voltage = 230.0;
  m.current = 4.35;
  m.power = 1000.0;
  m.power_factor = 0.99;
  m.frequency = 50.0;
  EXPECT_EQ(sampler.update(m, 0), 0);
  EXPECT_EQ(sampler.update(m, 3600000), 0);  // an hour at 1 kW (gap capped: 60 s)
  Reading r = sampler.snapshot(3600000);
  EXPECT_NEAR(r.energy_kwh, 1.0 + 1000.0 * 60.0 / 3600.0 / 1000.0, 1e-9);
  EXPECT_FLOAT_EQ(r.voltage, 230.0F);
  EXPECT_EQ(r.uptime_ms, 3600000);
  EXPECT_EQ(r.relay_count, 2);
  EXPECT_EQ(r.relay_bits, 0b11);
  EXPECT_FALSE(r.clock_set());  // the caller's

  m.current = 20.0;  // over the limit: relay 1 off, at once, locally
  relays.take_pending();
  EXPECT_EQ(sampler.update(m, 3601000), 0b10);
  EXPECT_EQ(relays.bits(), 0b01);
  EXPECT_EQ(relays.take_pending(), 0b10);
  EXPECT_EQ(outputs.writes.back(), (std::pair<unsigned, bool>{1, false}));

  m.power = -40.0;  // reversed CT: never a negative power, no energy
  const double before = sampler.energy_kwh();
  sampler.update(m, 3602000);
  sampler.update(m, 3603000);
  r = sampler.snapshot(3603000);
  EXPECT_EQ(r.power, 0.0);
  EXPECT_LE(sampler.energy_kwh(), before + 1000.0 / 3600.0 / 1000.0 / 2.0 + 1e-12);

  sampler.failed(3604000);
  EXPECT_EQ(sampler.failures(), 1U);
  r = sampler.snapshot(3603000 + 6000);  // stale: energy only
  EXPECT_TRUE(std::isnan(r.power));
  EXPECT_TRUE(std::isnan(r.voltage));
  EXPECT_FALSE(std::isnan(r.energy_kwh));
  EXPECT_TRUE(sampler.flush());

  // A sensor with its own counter (PZEM): followed, not integrated.
  Measurement pzem = m;
  pzem.power = 5000.0;
  pzem.energy_wh = 100.0;
  const double start = sampler.energy_kwh();
  sampler.update(pzem, 3700000);
  pzem.energy_wh = 150.0;
  sampler.update(pzem, 3701000);
  EXPECT_NEAR(sampler.energy_kwh() - start, 0.05, 1e-12);
}
