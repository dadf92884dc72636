// Signed firmware updates (OTA): the image format, its verification, and the
// outcome the meter reports on `<prefix>/<device_id>/ota` (docs/mqtt-contract.md).
//
// A signed image is a 256-byte header followed by the firmware exactly as the
// build made it (firmware.bin). tools/sign_firmware.py writes it:
//
//   offset size
//        0    8  magic "INTLGOTA"
//        8    1  format, 1
//        9    3  zero
//       12    4  image size in bytes (little-endian): what follows the header
//       16    8  key id: the first 8 bytes of SHA-256 of the signing key's public
//                key (DER SubjectPublicKeyInfo)
//       24   32  firmware version, ASCII ("0.2.0": 1-4 decimal numbers), NUL-padded
//       56    8  zero
//       64    1  signature length n (8..72)
//       65    n  ECDSA P-256 signature (DER) of SHA-256(bytes 0..63 of the header,
//                then the image)
//   65 + n  ...  zero up to 256
//
// Signed are the version, the size and the image together: no byte of either can
// change, and an old image cannot be passed off as a new one. OtaInstaller takes
// the download as it arrives: the header first, checked before anything is
// written (format, key, version: no downgrade unless allowed, size against the
// HTTP body and the partition), then the image, written to the inactive
// partition (FirmwareSlot) and hashed on the way; only once the signature
// verifies is the slot committed, i.e. made the one to boot next.
//
// The crypto is mbedTLS (the ESP32's own; Debian's libmbedtls-dev on the host):
// ECDSA P-256 and SHA-256 through the pk and md APIs, the same in mbedTLS 2.28
// (Arduino-ESP32 2.0.x, ESP-IDF 4.4; Debian 12) and 3.x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "meter/hal.h"

namespace meter {

constexpr size_t kOtaHeaderSize = 256;
constexpr size_t kOtaSignedHeaderSize = 64;  // the header's bytes the signature covers
constexpr size_t kOtaKeyIdSize = 8;
constexpr size_t kOtaVersionSize = 32;  // the field; a version has at most 31 characters
constexpr size_t kOtaMinSignature = 8;
constexpr size_t kOtaMaxSignature = 72;  // DER ECDSA P-256: 70-72 bytes, rarely fewer
constexpr uint8_t kOtaFormat = 1;
constexpr char kOtaMagic[8] = {'I', 'N', 'T', 'L', 'G', 'O', 'T', 'A'};

// What became of an update, as reported in `…/ota` ("result").
enum class OtaResult : uint8_t {
  none,             // no update attempted (yet)
  ok,               // verified, written, the new firmware boots next
  up_to_date,       // nothing newer offered (HTTP 304 / 404, or the running version): not reported
  not_signed,       // no signed header (a plain firmware.bin, an HTML page, an unknown format)
  wrong_key,        // signed with another key than the one compiled in
  bad_signature,    // the signature does not match: a changed byte, a forged image
  downgrade,        // older than the running firmware (and downgrades not allowed)
  wrong_size,       // the body's size contradicts the signed size, or it does not fit the partition
  truncated,        // the download ended before the whole image arrived
  download_failed,  // no answer, TLS refused (wrong CA), an HTTP error
  write_failed,     // the partition refused a write or could not be made bootable
  rolled_back,      // an update said ok, but an older firmware started (the new one did not come up)
};

// "ok", "bad_signature", ... (the contract's names); "none" for anything unknown.
const char* ota_result_name(OtaResult result);
// Whether `result` is stored and reported (everything but up_to_date).
bool ota_reported(OtaResult result);

// A firmware version: 1-4 decimal numbers of at most 9 digits, separated by dots
// ("0.2.0"). Missing numbers count as 0: "1.2" == "1.2.0".
struct FirmwareVersion {
  uint32_t parts[4] = {0, 0, 0, 0};
};
bool parse_version(const char* text, size_t size, FirmwareVersion& out);
bool parse_version(const char* text, FirmwareVersion& out);
// <0, 0, >0 as a is older than, the same as, newer than b.
int compare_versions(const FirmwareVersion& a, const FirmwareVersion& b);

// For a static_assert on the build's FIRMWARE_VERSION (same rules as parse_version).
constexpr bool valid_version_literal(const char* text) {
  int parts = 0;
  int digits = 0;
  for (const char* c = text;; ++c) {
    if (*c >= '0' && *c <= '9') {
      if (++digits > 9) {
        return false;
      }
    } else if (*c == '.' || *c == '\0') {
      if (digits == 0 || ++parts > 4) {
        return false;
      }
      digits = 0;
      if (*c == '\0') {
        return true;
      }
    } else {
      return false;
    }
  }
}

struct OtaHeader {
  uint32_t image_size = 0;
  uint8_t key_id[kOtaKeyIdSize] = {};
  char version[kOtaVersionSize] = {};  // NUL-terminated
  FirmwareVersion parsed_version;
  uint8_t signature[kOtaMaxSignature] = {};
  size_t signature_size = 0;
};

// Reads and checks a header (magic, format, zero fields, version, signature
// length). False with a one-line reason in `why` (capacity `why_size`) when the
// bytes are not a signed header.
bool parse_ota_header(const uint8_t* bytes, OtaHeader& out, char* why, size_t why_size);
// Writes the signed part of a header (bytes 0..63) for `version` and `image_size`
// (the signer's side; tools/sign_firmware.py does the same). False when the
// version is not one.
bool encode_ota_signed_header(const char* version, uint32_t image_size, const uint8_t (&key_id)[kOtaKeyIdSize],
                              uint8_t (&out)[kOtaSignedHeaderSize]);

// The public key updates must be signed with: ECDSA P-256, DER
// SubjectPublicKeyInfo (`openssl pkey -pubout -outform DER`; the header that
// tools/sign_firmware.py generates holds these bytes).
class OtaKey {
 public:
  OtaKey();
  ~OtaKey();
  OtaKey(const OtaKey&) = delete;
  OtaKey& operator=(const OtaKey&) = delete;

  // False when `der` is no P-256 public key (the key is then not loaded).
  bool load(const uint8_t* der, size_t size);
  bool loaded() const { return loaded_; }
  const uint8_t (&id() const)[kOtaKeyIdSize] { return id_; }
  // Whether `signature` (DER) is this key's ECDSA signature of the SHA-256 `hash`.
  bool verify(const uint8_t (&hash)[32], const uint8_t* signature, size_t size) const;

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  uint8_t id_[kOtaKeyIdSize] = {};
  bool loaded_ = false;
};

// SHA-256 over pieces (mbedTLS's md API; hardware-accelerated on the ESP32).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const uint8_t* data, size_t size);
  void finish(uint8_t (&out)[32]);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Where a new image goes: the inactive OTA partition on the ESP32 (Update), a
// file on the host. Nothing here makes it bootable but commit().
class FirmwareSlot {
 public:
  virtual ~FirmwareSlot() = default;
  virtual size_t capacity() = 0;  // the largest image the slot holds
  virtual bool begin(size_t image_size) = 0;
  virtual bool write(const uint8_t* data, size_t size) = 0;
  // Makes the written image the one to boot next; called only for a verified one.
  virtual bool commit() = 0;
  // Forgets what was written (the running firmware stays the one to boot).
  virtual void abort() = 0;
};

struct OtaPolicy {
  const OtaKey* key = nullptr;
  const char* running_version = "0.0.0";
  bool allow_downgrade = false;
};

// One download, from the HTTP answer to the decision. Feed it what arrives:
//
//   OtaInstaller ota(policy, slot, logger);
//   if (ota.start(status, content_length)) {      // false: nothing (more) to read
//     while (body has bytes && ota.feed(bytes, n)) {}  // false: decided, stop reading
//   }
//   OtaResult result = ota.finish(error);          // verifies; commits only when ok
//
// or, when no answer came at all, ota.fail("why").
class OtaInstaller {
 public:
  OtaInstaller(const OtaPolicy& policy, FirmwareSlot& slot, Logger* logger);
  ~OtaInstaller();
  OtaInstaller(const OtaInstaller&) = delete;
  OtaInstaller& operator=(const OtaInstaller&) = delete;

  // The HTTP status and the body's length (-1: unknown). 200: read the body;
  // 304 / 404: nothing offered (up_to_date); anything else: download_failed.
  bool start(int http_status, int64_t content_length);
  // Body bytes, in pieces of any size. False once the outcome is decided.
  bool feed(const uint8_t* data, size_t size);
  // The body ended (`transport_error`: why it ended early, or nullptr). Verifies
  // the signature over what arrived and commits the slot only if it matches.
  OtaResult finish(const char* transport_error = nullptr);
  // No usable answer (connection refused, TLS handshake failed, ...).
  OtaResult fail(const char* why);

  bool decided() const { return decided_; }
  // Whether every byte the header announced has arrived (stop reading: a
  // kept-alive connection would not end the body).
  bool complete() const { return header_done_ && image_bytes_ == header_.image_size; }
  OtaResult result() const { return result_; }
  const char* detail() const { return detail_; }
  // The version the image announces ("" before its header arrived).
  const char* target() const { return header_done_ ? header_.version : ""; }
  uint64_t image_bytes() const { return image_bytes_; }

 private:
  bool header_complete();
  bool decide(OtaResult result, const char* format, ...) __attribute__((format(printf, 3, 4)));

  OtaPolicy policy_;
  FirmwareSlot& slot_;
  Logger* logger_;
  Sha256 hash_;
  uint8_t header_bytes_[kOtaHeaderSize] = {};
  size_t header_filled_ = 0;
  bool header_done_ = false;
  OtaHeader header_;
  bool started_ = false;
  bool slot_open_ = false;
  int64_t content_length_ = -1;
  uint64_t image_bytes_ = 0;
  bool decided_ = false;
  OtaResult result_ = OtaResult::none;
  char detail_[96] = {};
};

// The last update's outcome, kept in Storage (NVS) across the restart into the
// new firmware, and reported on `…/ota` at every connection.
struct OtaRecord {
  OtaResult result = OtaResult::none;
  char target[kOtaVersionSize] = {};  // the version offered ("" when unknown)
  int64_t at_s = 0;                   // epoch seconds of the attempt (0: the clock was not set)
  char detail[96] = {};

  static constexpr const char* kKey = "ota";
  static constexpr size_t kRecordSize = 4 + 1 + 8 + kOtaVersionSize + 96 + 4;
  // Reads the stored record; none when there is none or it is damaged.
  static OtaRecord load(Storage& storage);
  bool save(Storage& storage) const;
  // From an installer's outcome, at `epoch_ms` (below kClockValidFromMs: not set).
  static OtaRecord from(const OtaInstaller& installer, int64_t epoch_ms);
  // At boot: an update said ok, but `running_version` is older than its target
  // (the bootloader rolled back, or an older firmware was flashed): rolled_back.
  bool check_boot(const char* running_version);
};

// The `…/ota` payload: {"version": running, "result": ..., "target": ..., "at": ...,
// "detail": ...} (target, at and detail only when known). Returns the length, 0
// when it does not fit.
size_t serialize_ota_report(const char* running_version, const OtaRecord& record, char* out, size_t capacity);

}  // namespace meter
