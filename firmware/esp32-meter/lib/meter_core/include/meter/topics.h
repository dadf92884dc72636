// Topics of the contract under `<prefix>/<device_id>/`, and relay payloads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace meter {

// 1-64 of A-Z a-z 0-9 _ - (one topic level).
bool valid_device_id(const char* device_id);
// Not empty, no wildcard (+ #), no leading or trailing '/'.
bool valid_prefix(const char* prefix);

enum class RelayPayload { on, off, invalid };
// `ON` / `OFF`, as the integration reads them (vectors.json relay_state): case
// and surrounding whitespace do not matter; anything else is invalid.
RelayPayload parse_relay_payload(const uint8_t* payload, size_t size);
// What the meter publishes on `…/relay/<n>`: "ON" or "OFF".
const char* relay_payload(bool on);

class Topics {
 public:
  Topics(const std::string& prefix, const std::string& device_id);
  const std::string& base() const { return base_; }  // "<prefix>/<device_id>"
  std::string availability() const { return base_ + "/availability"; }
  std::string state() const { return base_ + "/state"; }
  std::string backlog() const { return base_ + "/backlog"; }
  std::string ota() const { return base_ + "/ota"; }
  std::string relay(unsigned index) const { return base_ + "/relay/" + std::to_string(index); }
  std::string relay_commands() const { return base_ + "/relay/+/set"; }
  // The relay index of `<base>/relay/<n>/set` (n decimal, < relay_count), or -1.
  int relay_command_index(const std::string& topic, unsigned relay_count) const;

 private:
  std::string base_;
};

}  // namespace meter
