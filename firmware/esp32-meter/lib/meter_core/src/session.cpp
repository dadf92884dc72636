#include "meter/session.h"

#include <algorithm>
#include <cstring>

namespace meter {

MqttSession::MqttSession(const SessionConfig& config, MqttTransport& transport, RelayBank& relays, Clock& clock,
                         Logger* logger)
    : config_(config),
      transport_(transport),
      relays_(relays),
      clock_(clock),
      logger_(logger),
      topics_(config.prefix, config.device_id),
      backoff_(config.backoff_initial_ms, config.backoff_max_ms, config.backoff_jitter, config.seed),
      buffer_(config.buffer_capacity) {
  config_.chunk_bytes = std::max<size_t>(std::min(config_.chunk_bytes, kMaxBacklogBytes), 64);
  config_.chunk_readings = std::max<size_t>(std::min(config_.chunk_readings, kMaxBacklogReadings), 1);
  chunk_.reset(new char[config_.chunk_bytes + 1]);
  state_[0] = '\0';
  handler_ = [this](unsigned index, bool on) { relays_.set(index, on); };
  transport_.set_message_handler(
      [this](const std::string& topic, const uint8_t* payload, size_t size) { on_message(topic, payload, size); });
}

bool MqttSession::publish(const std::string& topic, const char* payload, bool retain) {
  return transport_.publish(topic, payload, std::strlen(payload), retain, config_.qos);
}

void MqttSession::poll(uint32_t timeout_ms) {
  if (online_) {
    transport_.loop(timeout_ms);
    if (!transport_.connected()) {
      lost("connection lost");
    }
  }
  if (!online_) {
    if (clock_.uptime_ms() < next_attempt_ms_) {
      return;
    }
    Will will;
    will.topic = topics_.availability();
    will.payload = "offline";
    will.qos = config_.qos;
    will.retain = true;
    if (!transport_.connect(will)) {
      ++stats_.failed_attempts;
      const uint32_t delay = backoff_.next_delay_ms();
      next_attempt_ms_ = clock_.uptime_ms() + delay;
      logf(logger_, LogLevel::info, "%s: broker unreachable, next attempt in %u ms (%u readings buffered)",
           config_.device_id.c_str(), static_cast<unsigned>(delay), static_cast<unsigned>(buffer_.size()));
      return;
    }
    connected_now();
    if (!online_) {
      return;
    }
  }
  const uint16_t pending = relays_.take_pending();
  if (pending != 0 && !publish_relays(pending)) {
    relays_.mark_all_pending();
    lost("relay state not published");
    return;
  }
  if (!buffer_.empty()) {
    send_backlog_chunk();
  }
}

void MqttSession::connected_now() {
  online_ = true;
  backoff_.reset();
  ++stats_.connects;
  relays_.take_pending();  // every relay is published below
  if (!publish(topics_.availability(), "online", true) || !transport_.subscribe(topics_.relay_commands(), config_.qos) ||
      !publish_relays(static_cast<uint16_t>(0xFFFFU)) ||
      (!ota_report_.empty() && !publish(topics_.ota(), ota_report_.c_str(), true))) {
    lost("connection lost while announcing");
    return;
  }
  logf(logger_, LogLevel::info, "%s: connected, %u readings to send as backlog", config_.device_id.c_str(),
       static_cast<unsigned>(buffer_.size()));
}

void MqttSession::lost(const char* why) {
  online_ = false;
  ++stats_.connection_losses;
  transport_.disconnect();
  const uint32_t delay = backoff_.next_delay_ms();
  next_attempt_ms_ = clock_.uptime_ms() + delay;
  logf(logger_, LogLevel::warning, "%s: %s, buffering readings; next attempt in %u ms", config_.device_id.c_str(), why,
       static_cast<unsigned>(delay));
}

bool MqttSession::publish_relays(uint16_t mask) {
  const uint16_t bits = relays_.bits();
  for (unsigned n = 0; n < relays_.count(); ++n) {
    if (((mask >> n) & 1U) && !publish(topics_.relay(n), relay_payload((bits >> n) & 1U), true)) {
      return false;
    }
  }
  return true;
}

void MqttSession::submit(const Reading& taken) {
  const uint64_t now = clock_.uptime_ms();
  Reading reading = taken;
  if (config_.boot >= 0) {
    reading.boot = config_.boot;
  }
  if (online_ && buffer_.empty()) {
    Reading state = reading;
    if (buffer_.dropped() > 0) {
      state.dropped = buffer_.dropped();  // since boot: every state message from the first loss on
    }
    const size_t size = serialize_reading(state, config_.device_id.c_str(), config_.interval_s, state_, sizeof state_);
    if (size == 0) {
      ++stats_.skipped;
      logf(logger_, LogLevel::warning, "%s: a reading without power or energy was not sent", config_.device_id.c_str());
      return;
    }
    if (transport_.publish(topics_.state(), state_, size, false, config_.qos)) {
      ++stats_.states;
      return;
    }
    lost("state not published");
  }
  // Offline (or still sending the backlog, which keeps readings in order).
  if (!online_ && config_.offline_interval_ms > 0 && buffered_any_ && now - last_buffered_ms_ < config_.offline_interval_ms &&
      !buffer_.empty()) {
    return;
  }
  buffer_.push(reading);
  buffered_any_ = true;
  last_buffered_ms_ = now;
  if (buffer_.dropped() != dropped_reported_ && (dropped_reported_ == 0 || buffer_.dropped() % 100 == 0)) {
    dropped_reported_ = buffer_.dropped();
    logf(logger_, LogLevel::warning, "%s: offline buffer full (%u readings), %u oldest dropped so far",
         config_.device_id.c_str(), static_cast<unsigned>(buffer_.capacity()), static_cast<unsigned>(buffer_.dropped()));
  }
}

void MqttSession::set_ota_report(const std::string& payload) {
  ota_report_ = payload;
  if (online_ && !ota_report_.empty() && !publish(topics_.ota(), ota_report_.c_str(), true)) {
    lost("OTA report not published");  // sent again after the next connect
  }
}

void MqttSession::send_backlog_chunk() {
  const BacklogChunk chunk = build_backlog_chunk(buffer_, clock_.epoch_ms(), static_cast<int64_t>(clock_.uptime_ms()),
                                                 config_.chunk_readings, chunk_.get(), config_.chunk_bytes + 1);
  stats_.skipped += static_cast<uint32_t>(chunk.skipped);
  if (chunk.readings == 0) {
    buffer_.pop_front(chunk.consumed);
    return;
  }
  if (!transport_.publish(topics_.backlog(), chunk_.get(), chunk.length, false, config_.qos)) {
    lost("backlog not published");
    return;
  }
  buffer_.pop_front(chunk.consumed);
  ++stats_.backlog_messages;
  stats_.backlog_readings += static_cast<uint32_t>(chunk.readings);
  logf(logger_, LogLevel::info, "%s: backlog of %u readings sent (%u bytes), %u left", config_.device_id.c_str(),
       static_cast<unsigned>(chunk.readings), static_cast<unsigned>(chunk.length), static_cast<unsigned>(buffer_.size()));
}

void MqttSession::on_message(const std::string& topic, const uint8_t* payload, size_t size) {
  const int index = topics_.relay_command_index(topic, relays_.count());
  const RelayPayload command = parse_relay_payload(payload, size);
  if (index < 0 || command == RelayPayload::invalid) {
    ++stats_.ignored_commands;
    char text[24];
    size_t n = 0;
    for (; n < size && n < sizeof text - 1; ++n) {
      text[n] = payload[n] >= 0x20 && payload[n] < 0x7F ? static_cast<char>(payload[n]) : '?';
    }
    text[n] = '\0';
    logf(logger_, LogLevel::warning, "%s: ignored command '%s' on %s", config_.device_id.c_str(), text, topic.c_str());
    return;
  }
  const bool on = command == RelayPayload::on;
  logf(logger_, LogLevel::info, "%s: relay %d %s (command)", config_.device_id.c_str(), index, relay_payload(on));
  handler_(static_cast<unsigned>(index), on);
}

void MqttSession::shutdown() {
  if (online_ && transport_.connected()) {
    publish(topics_.availability(), "offline", true);
  }
  transport_.disconnect();
  online_ = false;
}

}  // namespace meter
