#include "meter/topics.h"

#include <cstring>

namespace meter {

bool valid_device_id(const char* id) {
  if (id == nullptr) {
    return false;
  }
  size_t size = 0;
  for (; id[size] != '\0'; ++size) {
    const char c = id[size];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok || size >= 64) {
      return false;
    }
  }
  return size >= 1;
}

bool valid_prefix(const char* prefix) {
  if (prefix == nullptr || prefix[0] == '\0' || prefix[0] == '/') {
    return false;
  }
  const size_t size = std::strlen(prefix);
  if (prefix[size - 1] == '/' || std::strpbrk(prefix, "+#") != nullptr) {
    return false;
  }
  return true;
}

static bool space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

RelayPayload parse_relay_payload(const uint8_t* payload, size_t size) {
  size_t begin = 0;
  size_t end = size;
  while (begin < end && space(payload[begin])) {
    ++begin;
  }
  while (end > begin && space(payload[end - 1])) {
    --end;
  }
  char word[4] = {0, 0, 0, 0};
  if (end - begin < 2 || end - begin > 3) {
    return RelayPayload::invalid;
  }
  for (size_t i = begin; i < end; ++i) {
    const uint8_t c = payload[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return RelayPayload::invalid;  // letters only: no NUL, no digits
    }
    word[i - begin] = static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c);
  }
  if (std::strcmp(word, "ON") == 0) {
    return RelayPayload::on;
  }
  if (std::strcmp(word, "OFF") == 0) {
    return RelayPayload::off;
  }
  return RelayPayload::invalid;
}

const char* relay_payload(bool on) { return on ? "ON" : "OFF"; }

Topics::Topics(const std::string& prefix, const std::string& device_id) : base_(prefix + "/" + device_id) {}

int Topics::relay_command_index(const std::string& topic, unsigned relay_count) const {
  const std::string head = base_ + "/relay/";
  const std::string tail = "/set";
  if (topic.size() <= head.size() + tail.size() || topic.compare(0, head.size(), head) != 0 ||
      topic.compare(topic.size() - tail.size(), tail.size(), tail) != 0) {
    return -1;
  }
  const std::string number = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  if (number.empty() || number.size() > 2 || (number.size() > 1 && number[0] == '0')) {
    return -1;
  }
  int index = 0;
  for (char c : number) {
    if (c < '0' || c > '9') {
      return -1;
    }
    index = index * 10 + (c - '0');
  }
  return static_cast<unsigned>(index) < relay_count ? index : -1;
}

}  // namespace meter
