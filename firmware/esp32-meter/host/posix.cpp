#include "posix.h"

#include <mosquitto.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

namespace meter {
namespace host {

namespace {
uint64_t now_ms(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000U + static_cast<uint64_t>(ts.tv_nsec) / 1000000U;
}
}  // namespace

PosixClock::PosixClock() : start_ms_(now_ms(CLOCK_MONOTONIC)) {}

uint64_t PosixClock::uptime_ms() { return now_ms(CLOCK_MONOTONIC) - start_ms_; }

int64_t PosixClock::epoch_ms() { return static_cast<int64_t>(now_ms(CLOCK_REALTIME)); }

bool FileStorage::load(const char* key, uint8_t* data, size_t size) {
  std::ifstream file(directory_ + "/" + key + ".bin", std::ios::binary);
  if (!file) {
    return false;
  }
  file.read(reinterpret_cast<char*>(data), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(file.gcount()) != size) {
    return false;
  }
  char extra = 0;
  return !file.read(&extra, 1);  // exactly `size` bytes
}

bool FileStorage::save(const char* key, const uint8_t* data, size_t size) {
  const std::string path = directory_ + "/" + key + ".bin";
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size)) || !file.flush()) {
      return false;
    }
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

void StderrLogger::log(LogLevel level, const char* message) {
  static const char* const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
  if (!verbose_ && (level == LogLevel::debug || level == LogLevel::info)) {
    return;
  }
  char stamp[32];
  const time_t now = time(nullptr);
  tm local{};
  localtime_r(&now, &local);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  std::fprintf(stderr, "%s %s %s\n", stamp, names[static_cast<int>(level)], message);
  std::fflush(stderr);
}

MosquittoTransport::MosquittoTransport(const BrokerOptions& options, Logger* logger)
    : options_(options), logger_(logger) {}

MosquittoTransport::~MosquittoTransport() {
  if (mosq_ != nullptr) {
    mosquitto_destroy(mosq_);
  }
}

void MosquittoTransport::on_connect(struct mosquitto*, void* self, int rc) {
  auto* transport = static_cast<MosquittoTransport*>(self);
  transport->connack_ = rc;
  transport->connected_ = rc == 0;
}

void MosquittoTransport::on_disconnect(struct mosquitto*, void* self, int) {
  static_cast<MosquittoTransport*>(self)->connected_ = false;
}

void MosquittoTransport::on_publish(struct mosquitto*, void* self, int mid) {
  static_cast<MosquittoTransport*>(self)->unacknowledged_.erase(mid);
}

void MosquittoTransport::on_message(struct mosquitto*, void* self, const struct mosquitto_message* message) {
  auto* transport = static_cast<MosquittoTransport*>(self);
  if (transport->handler_) {
    transport->handler_(message->topic, static_cast<const uint8_t*>(message->payload),
                        static_cast<size_t>(message->payloadlen));
  }
}

void MosquittoTransport::on_log(struct mosquitto*, void* self, int level, const char* text) {
  if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) != 0 && text != nullptr) {
    static_cast<MosquittoTransport*>(self)->last_error_ = text;
  }
}

void MosquittoTransport::failed(const std::string& why) {
  if (why == last_reported_) {
    logf(logger_, LogLevel::debug, "%s", why.c_str());
    return;
  }
  last_reported_ = why;
  logf(logger_, LogLevel::warning, "%s", why.c_str());
}

bool MosquittoTransport::connect(const Will& will) {
  if (mosq_ == nullptr) {
    mosq_ = mosquitto_new(options_.client_id.c_str(), true, this);
    if (mosq_ == nullptr) {
      logf(logger_, LogLevel::error, "mosquitto_new failed (errno %d)", errno);
      return false;
    }
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(mosq_, on_connect);
    mosquitto_disconnect_callback_set(mosq_, on_disconnect);
    mosquitto_publish_callback_set(mosq_, on_publish);
    mosquitto_message_callback_set(mosq_, on_message);
    mosquitto_log_callback_set(mosq_, on_log);
    if (!options_.username.empty()) {
      mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                options_.password.empty() ? nullptr : options_.password.c_str());
    }
    if (!options_.cafile.empty()) {
      const int rc = mosquitto_tls_set(mosq_, options_.cafile.c_str(), nullptr, nullptr, nullptr, nullptr);
      if (rc != MOSQ_ERR_SUCCESS) {
        logf(logger_, LogLevel::error, "TLS: %s", mosquitto_strerror(rc));
        return false;
      }
    }
  }
  mosquitto_will_set(mosq_, will.topic.c_str(), static_cast<int>(will.payload.size()), will.payload.data(), will.qos,
                     will.retain);
  connack_ = -1;
  connected_ = false;
  last_error_.clear();
  const std::string where = std::string(options_.cafile.empty() ? "mqtt://" : "mqtts://") + options_.host + ":" +
                            std::to_string(options_.port);
  // What went wrong, with OpenSSL's reason when TLS refused the broker.
  const auto why = [this, &where](int code) {
    std::string text = "connection to " + where + " failed: " +
                       (code == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(code));
    if (!last_error_.empty()) {
      text += " (" + last_error_ + ")";
    }
    return text;
  };
  int rc = mosquitto_connect(mosq_, options_.host.c_str(), options_.port, options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    failed(why(rc));
    return false;
  }
  // Wait for the CONNACK.
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (connack_ < 0) {
    rc = mosquitto_loop(mosq_, 50, 1);
    if (rc != MOSQ_ERR_SUCCESS && connack_ < 0) {
      failed(why(rc));
      return false;
    }
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long elapsed = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
    if (elapsed > static_cast<long>(options_.connect_timeout_ms)) {
      mosquitto_disconnect(mosq_);
      failed("connection to " + where + ": no answer (CONNACK) within " +
             std::to_string(options_.connect_timeout_ms) + " ms");
      return false;
    }
  }
  if (connack_ != 0) {
    failed("broker " + where + " refused the connection: " + mosquitto_connack_string(connack_));
  } else {
    last_reported_.clear();
  }
  return connected_;
}

bool MosquittoTransport::publish(const std::string& topic, const char* payload, size_t size, bool retain, int qos) {
  if (!connected_) {
    return false;
  }
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(size), payload, qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    connected_ = false;
    return false;
  }
  if (qos > 0) {
    unacknowledged_.insert(mid);
  }
  return true;
}

bool MosquittoTransport::subscribe(const std::string& topic, int qos) {
  return connected_ && mosquitto_subscribe(mosq_, nullptr, topic.c_str(), qos) == MOSQ_ERR_SUCCESS;
}

void MosquittoTransport::loop(uint32_t timeout_ms) {
  if (mosq_ == nullptr) {
    return;
  }
  const int rc = mosquitto_loop(mosq_, static_cast<int>(timeout_ms), 1);
  if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO || rc == MOSQ_ERR_PROTOCOL) {
    connected_ = false;
  }
}

void MosquittoTransport::disconnect() {
  if (mosq_ == nullptr) {
    return;
  }
  if (connected_) {
    // What was published goes out first (`offline`, acknowledged), within 2 s.
    for (int i = 0; i < 40 && connected_ && (!unacknowledged_.empty() || mosquitto_want_write(mosq_)); ++i) {
      loop(50);
    }
  }
  mosquitto_disconnect(mosq_);
  connected_ = false;
}

}  // namespace host
}  // namespace meter
