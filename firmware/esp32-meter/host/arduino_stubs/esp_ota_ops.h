// Stub of esp_ota_ops.h (ESP-IDF 4.4).
#pragma once
#include <cstdint>

typedef struct {
  uint32_t address;
  uint32_t size;
} esp_partition_t;

inline const esp_partition_t* esp_ota_get_next_update_partition(const esp_partition_t*) { return nullptr; }
