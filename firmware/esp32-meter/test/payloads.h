// The payload dump of `meter_tests --payloads` (see payloads.cpp).
#pragma once

#include <ostream>
#include <string>

// Writes the JSON lines; `vectors_path` empty: the contract's vectors.json.
// Returns 0, or 2 when the vectors cannot be read.
int dump_payloads(std::ostream& out, const std::string& vectors_path);
