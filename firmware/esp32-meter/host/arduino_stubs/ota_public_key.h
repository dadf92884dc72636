// Compile-check placeholder for the header tools/sign_firmware.py generates into
// include/ota_public_key.h (the public key signed updates must verify against).
// Zeros: OtaKey::load refuses it. Only host/arduino_stubs is on the compile
// check's include path; a real build without the generated header fails.
#pragma once
#include <stdint.h>

#define OTA_PUBLIC_KEY_ID "0000000000000000"
static const uint8_t OTA_PUBLIC_KEY_DER[91] = {0};
