// Stub of esp_system.h.
#pragma once
#include <cstdint>
inline uint32_t esp_random() { return 4; }
