#include "hal_esp32.h"

#include <Update.h>
#include <esp_ota_ops.h>
#include <esp_timer.h>
#include <sys/time.h>

#include "meter/telemetry.h"

namespace meter {
namespace esp32 {

uint64_t Esp32Clock::uptime_ms() { return static_cast<uint64_t>(esp_timer_get_time() / 1000); }

int64_t Esp32Clock::epoch_ms() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  const int64_t ms = static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
  return ms >= kClockValidFromMs ? ms : 0;
}

bool NvsStorage::begin() { return preferences_.begin("intelergy", false); }

bool NvsStorage::load(const char* key, uint8_t* data, size_t size) {
  if (!preferences_.isKey(key) || preferences_.getBytesLength(key) != size) {
    return false;
  }
  return preferences_.getBytes(key, data, size) == size;
}

bool NvsStorage::save(const char* key, const uint8_t* data, size_t size) {
  return preferences_.putBytes(key, data, size) == size;
}

void UartPort::begin(int rx_pin, int tx_pin) { serial_.begin(9600, SERIAL_8N1, rx_pin, tx_pin); }

void UartPort::discard_input() {
  while (serial_.available() > 0) {
    serial_.read();
  }
}

bool UartPort::write(const uint8_t* data, size_t size) {
  const bool ok = serial_.write(data, size) == size;
  serial_.flush();  // wait until sent: the answer follows at once
  return ok;
}

size_t UartPort::read(uint8_t* data, size_t size, uint32_t timeout_ms) {
  size_t count = 0;
  uint32_t start = millis();
  // The first byte within the timeout, the next ones within ~5 character times.
  uint32_t wait = timeout_ms;
  while (count < size && millis() - start < wait) {
    if (serial_.available() > 0) {
      data[count++] = static_cast<uint8_t>(serial_.read());
      start = millis();
      wait = 6;
    } else {
      delay(1);
    }
  }
  return count;
}

bool WireBus::write_register16(uint8_t address, uint8_t reg, uint16_t value) {
  wire_.beginTransmission(address);
  wire_.write(reg);
  wire_.write(static_cast<uint8_t>(value >> 8));
  wire_.write(static_cast<uint8_t>(value & 0xFF));
  return wire_.endTransmission() == 0;
}

bool WireBus::read_register16(uint8_t address, uint8_t reg, uint16_t& value) {
  wire_.beginTransmission(address);
  wire_.write(reg);
  if (wire_.endTransmission() != 0 || wire_.requestFrom(address, static_cast<uint8_t>(2)) != 2) {
    return false;
  }
  const uint8_t high = static_cast<uint8_t>(wire_.read());
  const uint8_t low = static_cast<uint8_t>(wire_.read());
  value = static_cast<uint16_t>((high << 8) | low);
  return true;
}

void Esp32AdcSampler::begin() {
  analogReadResolution(12);
  analogSetPinAttenuation(voltage_pin_, ADC_11db);
  analogSetPinAttenuation(current_pin_, ADC_11db);
}

bool Esp32AdcSampler::sample(uint16_t* voltage, uint16_t* current, size_t count) {
  const int64_t period_us = static_cast<int64_t>(1e6 / rate_hz_);
  const int64_t start = esp_timer_get_time();
  for (size_t k = 0; k < count; ++k) {
    const int64_t due = start + static_cast<int64_t>(k) * period_us;
    while (esp_timer_get_time() < due) {
    }
    voltage[k] = static_cast<uint16_t>(analogRead(voltage_pin_));
    current[k] = static_cast<uint16_t>(analogRead(current_pin_));
  }
  const int64_t elapsed = esp_timer_get_time() - start;
  if (count > 1 && elapsed > 0) {
    // The achieved rate (the last pair may have finished late).
    measured_hz_ = static_cast<double>(count) * 1e6 / static_cast<double>(elapsed);
  }
  return true;
}

GpioRelays::GpioRelays(const uint8_t* pins, unsigned count, bool active_low)
    : pins_(pins), count_(count), active_low_(active_low) {
  for (unsigned n = 0; n < count_; ++n) {
    pinMode(pins_[n], OUTPUT);
  }
}

void GpioRelays::write(unsigned index, bool on) {
  if (index < count_) {
    digitalWrite(pins_[index], (on != active_low_) ? HIGH : LOW);
  }
}

PubSubTransport::PubSubTransport(Client& network, const char* host, uint16_t port, const char* client_id,
                                 const char* username, const char* password, Logger* logger)
    : client_(network),
      host_(host),
      port_(port),
      client_id_(client_id),
      username_(username),
      password_(password),
      logger_(logger) {
  client_.setServer(host, port);
}

bool PubSubTransport::begin(uint16_t buffer_size, uint16_t keepalive_s, uint16_t socket_timeout_s) {
  client_.setKeepAlive(keepalive_s);
  client_.setSocketTimeout(socket_timeout_s);
  return client_.setBufferSize(buffer_size);
}

bool PubSubTransport::connect(const Will& will) {
  const bool anonymous = username_ == nullptr || username_[0] == '\0';
  if (client_.connect(client_id_, anonymous ? nullptr : username_, anonymous ? nullptr : password_,
                      will.topic.c_str(), static_cast<uint8_t>(will.qos), will.retain, will.payload.c_str(), true)) {
    last_state_ = 0;
    return true;
  }
  const int state = client_.state();
  char tls[96] = "";
  if (tls_error_ != nullptr) {
    tls_error_(tls, sizeof tls);
  }
  const char* why = state == MQTT_CONNECT_BAD_CREDENTIALS ? "refused: bad user name or password"
                    : state == MQTT_CONNECT_UNAUTHORIZED  ? "refused: not authorised"
                    : state == MQTT_CONNECT_BAD_CLIENT_ID ? "refused: client id"
                    : state == MQTT_CONNECTION_TIMEOUT    ? "no answer"
                                                          : "connection failed";
  // Once per kind of failure (the TLS layer's reason says which certificate problem).
  logf(logger_, state == last_state_ ? LogLevel::debug : LogLevel::warning, "MQTT %s:%u: %s (state %d)%s%s", host_,
       static_cast<unsigned>(port_), why, state, tls[0] != '\0' ? ", TLS: " : "", tls);
  last_state_ = state;
  return false;
}

bool PubSubTransport::connected() { return client_.connected(); }

bool PubSubTransport::publish(const std::string& topic, const char* payload, size_t size, bool retain, int) {
  return client_.publish(topic.c_str(), reinterpret_cast<const uint8_t*>(payload), static_cast<unsigned int>(size),
                         retain);
}

bool PubSubTransport::subscribe(const std::string& topic, int qos) {
  return client_.subscribe(topic.c_str(), static_cast<uint8_t>(qos > 1 ? 1 : qos));
}

void PubSubTransport::disconnect() { client_.disconnect(); }

void PubSubTransport::loop(uint32_t timeout_ms) {
  client_.loop();
  if (timeout_ms > 0) {
    delay(timeout_ms);
  }
}

void PubSubTransport::set_message_handler(MessageHandler handler) {
  client_.setCallback([handler](char* topic, uint8_t* payload, unsigned int length) {
    handler(std::string(topic), payload, static_cast<size_t>(length));
  });
}

size_t UpdateSlot::capacity() {
  const esp_partition_t* partition = esp_ota_get_next_update_partition(nullptr);
  return partition != nullptr ? partition->size : 0;
}

bool UpdateSlot::begin(size_t image_size) { return Update.begin(image_size, U_FLASH); }

bool UpdateSlot::write(const uint8_t* data, size_t size) {
  return Update.write(const_cast<uint8_t*>(data), size) == size;
}

bool UpdateSlot::commit() { return Update.end(false); }  // false: every announced byte was written

void UpdateSlot::abort() { Update.abort(); }

void SerialLogger::log(LogLevel level, const char* message) {
  static const char* const names[] = {"D", "I", "W", "E"};
  Serial.printf("[%8lu] %s %s\n", static_cast<unsigned long>(millis()), names[static_cast<int>(level)], message);
}

}  // namespace esp32
}  // namespace meter
