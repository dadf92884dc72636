#include "ota_host.h"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace meter {
namespace host {

FileSlot::FileSlot(std::string directory, size_t capacity) : directory_(std::move(directory)), capacity_(capacity) {}

FileSlot::~FileSlot() { abort(); }

bool FileSlot::begin(size_t image_size) {
  abort();
  if (image_size > capacity_) {
    return false;
  }
  file_ = std::fopen(partial_path().c_str(), "wb");
  return file_ != nullptr;
}

bool FileSlot::write(const uint8_t* data, size_t size) {
  return file_ != nullptr && std::fwrite(data, 1, size, file_) == size;
}

bool FileSlot::commit() {
  if (file_ == nullptr) {
    return false;
  }
  const bool written = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!written || !closed || std::rename(partial_path().c_str(), bootable_path().c_str()) != 0) {
    std::remove(partial_path().c_str());
    return false;
  }
  return true;
}

void FileSlot::abort() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
    std::remove(partial_path().c_str());
  }
}

namespace {

struct Transfer {
  CURL* curl;
  OtaInstaller& installer;
  const std::function<void()>& tick;
  bool started = false;
  std::chrono::steady_clock::time_point last_tick = std::chrono::steady_clock::now();

  // The answer's status and length, once (the body's first bytes, or its end).
  bool start() {
    started = true;
    long status = 0;
    curl_off_t length = -1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    return installer.start(static_cast<int>(status), static_cast<int64_t>(length));
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (!transfer->started && !transfer->start()) {
    return 0;  // decided on the status: stop (CURLE_WRITE_ERROR)
  }
  const size_t bytes = size * count;
  return transfer->installer.feed(reinterpret_cast<const uint8_t*>(data), bytes) ? bytes : 0;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (transfer->tick && now - transfer->last_tick > std::chrono::milliseconds(200)) {
    transfer->last_tick = now;
    transfer->tick();
  }
  return 0;
}

}  // namespace

void ota_global_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }

void ota_global_cleanup() { curl_global_cleanup(); }

OtaResult fetch_update(const UpdateSource& source, OtaInstaller& installer, const std::function<void()>& tick) {
  if (source.url.compare(0, 8, "https://") != 0) {
    return installer.fail("the update URL is not https://");
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return installer.fail("curl_easy_init failed");
  }
  char error[CURL_ERROR_SIZE] = {};
  const std::string version_header = "x-ESP32-version: " + source.running_version;
  const std::string device_header = "X-Intelergy-Device: " + source.device_id;
  curl_slist* headers = curl_slist_append(nullptr, version_header.c_str());
  headers = curl_slist_append(headers, device_header.c_str());
  Transfer transfer{curl, installer, tick};
  curl_easy_setopt(curl, CURLOPT_URL, source.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // Pinned: the CA in `cafile` and nothing else (no system store).
  curl_easy_setopt(curl, CURLOPT_CAINFO, source.cafile.c_str());
  curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "intelergy-meter");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, source.timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 20L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(curl);
  const char* why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  OtaResult result;
  if (installer.decided()) {
    result = installer.finish();  // decided while reading (curl stopped on our word)
  } else if (rc == CURLE_OK) {
    if (!transfer.started) {
      transfer.start();  // no body at all (304, an empty 200)
    }
    result = installer.finish();
  } else if (!transfer.started) {
    char detail[128];
    std::snprintf(detail, sizeof detail, "%s%s", rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR
                                                        ? "TLS: "
                                                        : "",
                  why);
    result = installer.fail(detail);
  } else {
    result = installer.finish(why);  // the body ended early
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

}  // namespace host
}  // namespace meter
