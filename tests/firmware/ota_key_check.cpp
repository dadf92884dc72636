// The ESP32's way of trusting a key, on the host: the public key compiled in from
// the header tools/sign_firmware.py generates (include/ota_public_key.h), then the
// core's OtaInstaller on each image named on the command line. Prints
// "<path> <result>" per image. Built and run by tests/firmware/test_signed_ota.py.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "meter/ota.h"
#include "ota_public_key.h"

namespace {

class MemorySlot : public meter::FirmwareSlot {
 public:
  size_t capacity() override { return 1310720; }
  bool begin(size_t) override { return true; }
  bool write(const uint8_t*, size_t) override { return true; }
  bool commit() override { return true; }
  void abort() override {}
};

}  // namespace

int main(int argc, char** argv) {
  meter::OtaKey key;
  if (!key.load(OTA_PUBLIC_KEY_DER, sizeof OTA_PUBLIC_KEY_DER)) {
    std::puts("the compiled-in key does not load");
    return 2;
  }
  char id[2 * meter::kOtaKeyIdSize + 1];
  for (size_t i = 0; i < meter::kOtaKeyIdSize; ++i) {
    std::snprintf(id + 2 * i, 3, "%02x", key.id()[i]);
  }
  if (std::strcmp(id, OTA_PUBLIC_KEY_ID) != 0) {
    std::printf("key id %s, the header says %s\n", id, OTA_PUBLIC_KEY_ID);
    return 2;
  }
  for (int n = 1; n < argc; ++n) {
    std::ifstream file(argv[n], std::ios::binary);
    const std::vector<uint8_t> body((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    MemorySlot slot;
    meter::OtaPolicy policy;
    policy.key = &key;
    policy.running_version = "0.1.0";
    meter::OtaInstaller installer(policy, slot, nullptr);
    if (installer.start(200, static_cast<int64_t>(body.size()))) {
      installer.feed(body.data(), body.size());
    }
    std::printf("%s %s\n", argv[n], meter::ota_result_name(installer.finish()));
  }
  return 0;
}
