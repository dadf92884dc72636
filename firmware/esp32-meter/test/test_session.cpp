// The MQTT session on a fake transport: announcement on connect, state,
// buffering through an outage, replay as backlog before state resumes, buffer
// overflow, relay commands and relay state, reconnect backoff, clean shutdown.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "meter/boot.h"
#include "meter/session.h"
#include "meter/sim.h"
#include "support.h"

using namespace meter;
using nlohmann::json;
using test::FakeTransport;
using test::Published;

namespace {
constexpr int64_t kEpoch = 1795420800000;  // 2026-11-23T08:00:00Z

struct Rig {
  explicit Rig(SessionConfig config = base_config()) : relays(nullptr, 2, 0b11), session(config, transport, relays, clock, nullptr) {}

  static SessionConfig base_config() {
    SessionConfig c;
    c.device_id = "kitchen-2";
    c.interval_s = 1.0;
    c.backoff_jitter = 0.0;
    return c;
  }

  // One interval: the clock advances 1 s, a reading is submitted, the session polled.
  void tick(double energy_kwh) {
    clock.advance(1000);
    Reading r;
    r.timestamp_ms = clock.epoch_ms();
    r.uptime_ms = static_cast<int64_t>(clock.uptime_ms());
    r.energy_kwh = energy_kwh;
    r.power = 100.0;
    r.relay_count = static_cast<int8_t>(relays.count());
    r.relay_bits = relays.bits();
    session.submit(r);
    session.poll();
  }

  sim::FakeClock clock{kEpoch};
  FakeTransport transport;
  RelayBank relays;
  MqttSession session;
};

std::vector<double> backlog_times(const std::vector<Published>& messages) {
  std::vector<double> times;
  for (const Published& p : messages) {
    for (const json& item : json::parse(p.payload)) {
      times.push_back(item["timestamp"].get<double>());
    }
  }
  return times;
}
}  // namespace

TEST(Session, AnnouncesItselfOnConnect) {
  Rig rig;
  rig.session.poll();
  ASSERT_TRUE(rig.session.online());
  EXPECT_EQ(rig.transport.will.topic, "intelergy/kitchen-2/availability");
  EXPECT_EQ(rig.transport.will.payload, "offline");
  EXPECT_TRUE(rig.transport.will.retain);
  EXPECT_EQ(rig.transport.subscriptions, (std::vector<std::string>{"intelergy/kitchen-2/relay/+/set"}));
  ASSERT_EQ(rig.transport.published.size(), 3U);
  const Published& online = rig.transport.published[0];
  EXPECT_EQ(online.topic, "intelergy/kitchen-2/availability");
  EXPECT_EQ(online.payload, "online");
  EXPECT_TRUE(online.retain);
  EXPECT_EQ(online.qos, 1);
  EXPECT_EQ(rig.transport.published[1].topic, "intelergy/kitchen-2/relay/0");
  EXPECT_EQ(rig.transport.published[1].payload, "ON");
  EXPECT_TRUE(rig.transport.published[1].retain);
  EXPECT_EQ(rig.transport.published[2].topic, "intelergy/kitchen-2/relay/1");

  rig.tick(1.5);
  const auto states = rig.transport.on("/state");
  ASSERT_EQ(states.size(), 1U);
  EXPECT_FALSE(states[0].retain);
  const json j = json::parse(states[0].payload);
  EXPECT_EQ(j["device_id"], "kitchen-2");
  EXPECT_EQ(j["energy"], 1.5);
  EXPECT_EQ(j["interval"], 1);
  EXPECT_EQ(j["timestamp"].get<double>(), (kEpoch + 1000) / 1000.0);
  EXPECT_EQ(rig.session.stats().states, 1U);
}

TEST(Session, OutageIsBufferedAndReplayedInOrderBeforeStateResumes) {
  Rig rig;
  rig.session.poll();
  rig.tick(1.0);
  rig.transport.broker_up = false;
  rig.transport.drop();
  for (int i = 0; i < 20; ++i) {
    rig.tick(1.0 + 0.01 * (i + 1));
  }
  EXPECT_FALSE(rig.session.online());
  EXPECT_EQ(rig.session.buffered(), 20U);
  EXPECT_EQ(rig.transport.on("/state").size(), 1U);
  const size_t before = rig.transport.published.size();
  rig.transport.broker_up = true;
  while (!rig.session.online()) {
    rig.tick(1.2);  // the reading of the reconnecting interval is buffered too
  }
  while (rig.session.buffered() > 0) {
    rig.session.poll();
  }
  rig.tick(2.0);  // state resumes
  const std::vector<Published> after(rig.transport.published.begin() + static_cast<long>(before),
                                     rig.transport.published.end());
  ASSERT_GE(after.size(), 5U);
  EXPECT_EQ(after[0].payload, "online");
  size_t first_backlog = 0;
  size_t last_backlog = 0;
  size_t first_state = after.size();
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i].topic == "intelergy/kitchen-2/backlog") {
      first_backlog = first_backlog ? first_backlog : i;
      last_backlog = i;
    } else if (after[i].topic == "intelergy/kitchen-2/state" && first_state == after.size()) {
      first_state = i;
    }
  }
  EXPECT_GT(first_backlog, 0U);
  EXPECT_LT(last_backlog, first_state);  // every backlog message before state resumes
  const std::vector<double> times = backlog_times(rig.transport.on("/backlog"));
  ASSERT_GE(times.size(), 21U);
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_DOUBLE_EQ(times[i] - times[i - 1], 1.0) << i;  // complete and in order
  }
  EXPECT_EQ(rig.session.dropped(), 0U);
  EXPECT_EQ(rig.session.stats().backlog_readings, times.size());
}

TEST(Session, BufferOverflowDropsTheOldest) {
  SessionConfig config = Rig::base_config();
  config.buffer_capacity = 5;
  config.chunk_readings = 2;
  Rig rig(config);
  rig.transport.broker_up = false;
  for (int i = 0; i < 8; ++i) {
    rig.tick(0.1 * i);
  }
  EXPECT_EQ(rig.session.buffered(), 5U);
  EXPECT_EQ(rig.session.dropped(), 3U);
  rig.transport.broker_up = true;
  for (int i = 0; i < 200 && (!rig.session.online() || rig.session.buffered() > 0); ++i) {
    rig.clock.advance(1000);
    rig.session.poll();
  }
  const auto chunks = rig.transport.on("/backlog");
  EXPECT_EQ(chunks.size(), 3U);  // 5 readings by 2
  const std::vector<double> times = backlog_times(chunks);
  EXPECT_EQ(times, (std::vector<double>{(kEpoch + 4000) / 1000.0, (kEpoch + 5000) / 1000.0, (kEpoch + 6000) / 1000.0,
                                        (kEpoch + 7000) / 1000.0, (kEpoch + 8000) / 1000.0}));
}

TEST(Session, OfflineIntervalThinsTheBuffer) {
  SessionConfig config = Rig::base_config();
  config.offline_interval_ms = 5000;
  Rig rig(config);
  rig.transport.broker_up = false;
  for (int i = 0; i < 20; ++i) {
    rig.tick(1.0);
  }
  EXPECT_EQ(rig.session.buffered(), 4U);  // one every 5 s
}

TEST(Session, ABacklogMessageThatFailsIsKept) {
  SessionConfig config = Rig::base_config();
  config.chunk_readings = 3;
  Rig rig(config);
  rig.transport.broker_up = false;
  for (int i = 0; i < 9; ++i) {
    rig.tick(1.0);
  }
  rig.transport.broker_up = true;
  rig.transport.publishes_until_failure = 4;  // online, 2 relays, one chunk; then the link drops
  while (!rig.session.online()) {  // the poll that connects sends the first chunk
    rig.clock.advance(1000);
    rig.session.poll();
  }
  EXPECT_EQ(rig.session.buffered(), 6U);
  rig.session.poll();  // the second chunk fails: link lost, its readings kept
  EXPECT_FALSE(rig.session.online());
  EXPECT_EQ(rig.session.buffered(), 6U);
  rig.transport.publishes_until_failure = -1;
  for (int i = 0; i < 100 && (!rig.session.online() || rig.session.buffered() > 0); ++i) {
    rig.clock.advance(1000);
    rig.session.poll();
  }
  const std::vector<double> times = backlog_times(rig.transport.on("/backlog"));
  ASSERT_EQ(times.size(), 9U);
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_GT(times[i], times[i - 1]);
  }
}

TEST(Session, RelayCommandsRoundTrip) {
  Rig rig;
  rig.session.poll();
  rig.transport.published.clear();
  rig.transport.deliver("intelergy/kitchen-2/relay/0/set", "OFF");
  EXPECT_EQ(rig.relays.bits(), 0b10);
  rig.session.poll();
  ASSERT_EQ(rig.transport.published.size(), 1U);
  EXPECT_EQ(rig.transport.published[0].topic, "intelergy/kitchen-2/relay/0");
  EXPECT_EQ(rig.transport.published[0].payload, "OFF");
  EXPECT_TRUE(rig.transport.published[0].retain);
  // Anything else is ignored (and counted).
  rig.transport.deliver("intelergy/kitchen-2/relay/1/set", "bogus");
  rig.transport.deliver("intelergy/kitchen-2/relay/1/set", "TOGGLE");
  rig.transport.deliver("intelergy/kitchen-2/relay/5/set", "OFF");
  rig.transport.deliver("intelergy/kitchen-2/relay/1", "OFF");
  rig.session.poll();
  EXPECT_EQ(rig.relays.bits(), 0b10);
  EXPECT_EQ(rig.session.stats().ignored_commands, 4U);
  EXPECT_EQ(rig.transport.published.size(), 1U);
  // As the integration reads relay payloads: case and whitespace do not matter.
  rig.transport.deliver("intelergy/kitchen-2/relay/0/set", " on\n");
  rig.session.poll();
  EXPECT_EQ(rig.relays.bits(), 0b11);
  EXPECT_EQ(rig.transport.published.back().payload, "ON");
  // A custom handler (the ESP32 queues commands for its relay task).
  std::vector<std::pair<unsigned, bool>> queued;
  rig.session.set_command_handler([&](unsigned index, bool on) { queued.emplace_back(index, on); });
  rig.transport.deliver("intelergy/kitchen-2/relay/1/set", "OFF");
  EXPECT_EQ(queued, (std::vector<std::pair<unsigned, bool>>{{1, false}}));
}

TEST(Session, RelayChangesWhileOfflineArePublishedOnReconnect) {
  Rig rig;
  rig.session.poll();
  rig.transport.broker_up = false;
  rig.transport.drop();
  rig.session.poll();
  rig.relays.trip(0b01);  // the over-current cut-off, with Home Assistant unreachable
  rig.transport.published.clear();
  rig.transport.broker_up = true;
  for (int i = 0; i < 10 && !rig.session.online(); ++i) {
    rig.clock.advance(1000);
    rig.session.poll();
  }
  ASSERT_TRUE(rig.session.online());
  const auto relay0 = rig.transport.on("/relay/0");
  ASSERT_EQ(relay0.size(), 1U);  // once, not twice
  EXPECT_EQ(relay0[0].payload, "OFF");
  EXPECT_EQ(rig.transport.on("/relay/1")[0].payload, "ON");
}

TEST(Session, ReconnectBackoff) {
  SessionConfig config = Rig::base_config();
  config.backoff_initial_ms = 1000;
  config.backoff_max_ms = 8000;
  Rig rig(config);
  rig.transport.broker_up = false;
  std::vector<uint64_t> attempts_at;
  for (int ms = 0; ms <= 40000; ms += 100) {
    const unsigned before = rig.transport.attempts;
    rig.session.poll();
    if (rig.transport.attempts != before) {
      attempts_at.push_back(rig.clock.uptime_ms());
    }
    rig.clock.advance(100);
  }
  EXPECT_EQ(attempts_at, (std::vector<uint64_t>{0, 1000, 3000, 7000, 15000, 23000, 31000, 39000}));
  rig.transport.broker_up = true;
  while (!rig.session.online()) {
    rig.clock.advance(100);
    rig.session.poll();
  }
  rig.transport.drop();  // a new outage starts again from 1 s
  rig.transport.broker_up = false;
  rig.session.poll();
  EXPECT_EQ(rig.session.next_attempt_ms(), rig.clock.uptime_ms() + 1000);
  EXPECT_GE(rig.session.stats().failed_attempts, 8U);
  EXPECT_EQ(rig.session.stats().connection_losses, 1U);
}

TEST(Session, ShutdownSaysOfflineThenDisconnects) {
  Rig rig;
  rig.session.poll();
  rig.session.shutdown();
  ASSERT_FALSE(rig.transport.published.empty());
  const Published& last = rig.transport.published.back();
  EXPECT_EQ(last.topic, "intelergy/kitchen-2/availability");
  EXPECT_EQ(last.payload, "offline");
  EXPECT_TRUE(last.retain);
  EXPECT_FALSE(rig.transport.connected());
  EXPECT_FALSE(rig.session.online());
  EXPECT_EQ(rig.transport.disconnects, 1U);
}

TEST(Session, UnsendableReadingsAreDroppedNotSent) {
  Rig rig;
  rig.session.poll();
  Reading nothing;  // neither power nor energy
  rig.session.submit(nothing);
  EXPECT_EQ(rig.transport.on("/state").size(), 0U);
  EXPECT_EQ(rig.session.stats().skipped, 1U);
}

TEST(Session, DroppedAppearsInStateOnceTheBufferOverflowed) {
  SessionConfig config = Rig::base_config();
  config.buffer_capacity = 5;
  config.chunk_readings = 10;
  Rig rig(config);
  rig.session.poll();
  rig.tick(1.0);
  ASSERT_EQ(rig.transport.on("/state").size(), 1U);
  EXPECT_FALSE(json::parse(rig.transport.on("/state")[0].payload).contains("dropped"));  // nothing lost yet
  rig.transport.broker_up = false;
  rig.transport.drop();
  for (int i = 0; i < 8; ++i) {
    rig.tick(1.0);
  }
  EXPECT_EQ(rig.session.dropped(), 3U);
  rig.transport.broker_up = true;
  for (int i = 0; i < 100 && (!rig.session.online() || rig.session.buffered() > 0); ++i) {
    rig.clock.advance(1000);
    rig.session.poll();
  }
  for (const Published& p : rig.transport.on("/backlog")) {
    for (const json& item : json::parse(p.payload)) {
      EXPECT_FALSE(item.contains("dropped"));  // the count goes with state messages
    }
  }
  rig.tick(1.1);
  rig.tick(1.2);
  const auto states = rig.transport.on("/state");
  ASSERT_EQ(states.size(), 3U);
  for (size_t i = 1; i < states.size(); ++i) {
    const json j = json::parse(states[i].payload);
    ASSERT_TRUE(j.contains("dropped")) << states[i].payload;
    EXPECT_EQ(j["dropped"], 3);  // since boot, in every state message from now on
    EXPECT_TRUE(j["dropped"].is_number_unsigned());
  }
  EXPECT_FALSE(json::parse(states[1].payload).contains("boot"));  // no boot counter configured
}

TEST(Session, EveryReadingCarriesTheBootCounterAcrossRestarts) {
  sim::MemoryStorage nvs;  // all that survives a restart
  for (int64_t expected = 1; expected <= 3; ++expected) {
    BootCounter boot(nvs);
    ASSERT_TRUE(boot.begin());
    SessionConfig config = Rig::base_config();
    config.boot = boot.count();
    Rig rig(config);
    rig.session.poll();
    rig.tick(1.0);
    rig.transport.broker_up = false;
    rig.transport.drop();
    rig.tick(1.1);
    rig.tick(1.2);
    rig.transport.broker_up = true;
    for (int i = 0; i < 100 && (!rig.session.online() || rig.session.buffered() > 0); ++i) {
      rig.clock.advance(1000);
      rig.session.poll();
    }
    rig.tick(1.3);
    const auto states = rig.transport.on("/state");
    ASSERT_EQ(states.size(), 2U);
    for (const Published& p : states) {
      EXPECT_EQ(json::parse(p.payload)["boot"], expected) << p.payload;
    }
    const auto backlog = rig.transport.on("/backlog");
    ASSERT_EQ(backlog.size(), 1U);
    for (const json& item : json::parse(backlog[0].payload)) {
      EXPECT_EQ(item["boot"], expected);  // buffered readings too
    }
  }
}
