// The host build's OTA: what HTTPClient + WiFiClientSecure and Update do on the
// ESP32, with libcurl and a file. The decisions are the core's (OtaInstaller).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "meter/ota.h"

namespace meter {
namespace host {

// The inactive OTA partition as a file in the state directory: written as
// `ota-slot.bin.part`, made "bootable" by renaming it to `ota-slot.bin` (what
// the next start would run on an ESP32). abort() removes the partial file.
class FileSlot : public FirmwareSlot {
 public:
  FileSlot(std::string directory, size_t capacity);
  ~FileSlot() override;
  FileSlot(const FileSlot&) = delete;
  FileSlot& operator=(const FileSlot&) = delete;

  size_t capacity() override { return capacity_; }
  bool begin(size_t image_size) override;
  bool write(const uint8_t* data, size_t size) override;
  bool commit() override;
  void abort() override;
  std::string bootable_path() const { return directory_ + "/ota-slot.bin"; }

 private:
  std::string partial_path() const { return directory_ + "/ota-slot.bin.part"; }

  std::string directory_;
  size_t capacity_;
  std::FILE* file_ = nullptr;
};

struct UpdateSource {
  std::string url;     // https:// only
  std::string cafile;  // the only CA trusted for it (pinned: no system CAs)
  std::string device_id;
  std::string running_version;
  long timeout_s = 120;
};

// GETs the image with libcurl and hands the answer to `installer` as it arrives
// (TLS verified against `cafile` only, https only, no redirects). `tick` runs
// about every 200 ms meanwhile (the MQTT keep-alive). Returns the outcome.
OtaResult fetch_update(const UpdateSource& source, OtaInstaller& installer, const std::function<void()>& tick);

// curl_global_init / cleanup, once per process.
void ota_global_init();
void ota_global_cleanup();

}  // namespace host
}  // namespace meter
