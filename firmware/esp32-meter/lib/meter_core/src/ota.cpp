#include "meter/ota.h"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "meter/energy.h"  // crc32
#include "meter/le32.h"
#include "meter/telemetry.h"  // kClockValidFromMs

namespace meter {

namespace {

constexpr size_t kVersionOffset = 24;
constexpr size_t kSizeOffset = 12;
constexpr size_t kKeyIdOffset = 16;
constexpr size_t kSignatureLengthOffset = 64;
constexpr uint8_t kRecordMagic[4] = {'I', 'O', 'T', '1'};
// DER SubjectPublicKeyInfo of a P-256 key (91 bytes) up to the 64 bytes of its point:
// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 04 X Y } }.
constexpr uint8_t kP256PublicKeyPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

void hex(const uint8_t* bytes, size_t size, char* out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0F];
  }
  out[2 * size] = '\0';
}

// At most `capacity` - 1 characters of `text`, NUL-terminated.
void copy(char* out, size_t capacity, const char* text) {
  size_t n = 0;
  for (; text != nullptr && text[n] != '\0' && n + 1 < capacity; ++n) {
    out[n] = text[n];
  }
  out[n] = '\0';
}

bool all_zero(const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* ota_result_name(OtaResult result) {
  switch (result) {
    case OtaResult::none:
      return "none";
    case OtaResult::ok:
      return "ok";
    case OtaResult::up_to_date:
      return "up_to_date";
    case OtaResult::not_signed:
      return "not_signed";
    case OtaResult::wrong_key:
      return "wrong_key";
    case OtaResult::bad_signature:
      return "bad_signature";
    case OtaResult::downgrade:
      return "downgrade";
    case OtaResult::wrong_size:
      return "wrong_size";
    case OtaResult::truncated:
      return "truncated";
    case OtaResult::download_failed:
      return "download_failed";
    case OtaResult::write_failed:
      return "write_failed";
    case OtaResult::rolled_back:
      return "rolled_back";
  }
  return "none";
}

bool ota_reported(OtaResult result) { return result != OtaResult::up_to_date; }

// --- versions -----------------------------------------------------------------

bool parse_version(const char* text, size_t size, FirmwareVersion& out) {
  FirmwareVersion version;
  size_t part = 0;
  size_t digits = 0;
  uint32_t value = 0;
  for (size_t i = 0; i <= size; ++i) {
    const char c = i < size ? text[i] : '.';
    if (c >= '0' && c <= '9') {
      if (++digits > 9) {
        return false;
      }
      value = value * 10U + static_cast<uint32_t>(c - '0');
    } else if (c == '.') {
      if (digits == 0 || part >= 4) {
        return false;
      }
      version.parts[part++] = value;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  out = version;
  return true;
}

bool parse_version(const char* text, FirmwareVersion& out) {
  return text != nullptr && parse_version(text, std::strlen(text), out);
}

int compare_versions(const FirmwareVersion& a, const FirmwareVersion& b) {
  for (int i = 0; i < 4; ++i) {
    if (a.parts[i] != b.parts[i]) {
      return a.parts[i] < b.parts[i] ? -1 : 1;
    }
  }
  return 0;
}

// --- the header -----------------------------------------------------------------

bool parse_ota_header(const uint8_t* bytes, OtaHeader& out, char* why, size_t why_size) {
  if (std::memcmp(bytes, kOtaMagic, sizeof kOtaMagic) != 0) {
    char start[2 * 8 + 1];
    hex(bytes, 8, start);
    std::snprintf(why, why_size, "no signed header (the body starts with %s)", start);
    return false;
  }
  if (bytes[8] != kOtaFormat) {
    std::snprintf(why, why_size, "unknown signed image format %u", static_cast<unsigned>(bytes[8]));
    return false;
  }
  OtaHeader header;
  const size_t signature_size = bytes[kSignatureLengthOffset];
  if (!all_zero(bytes + 9, 3) || !all_zero(bytes + 56, 8) || signature_size < kOtaMinSignature ||
      signature_size > kOtaMaxSignature ||
      !all_zero(bytes + kSignatureLengthOffset + 1 + signature_size,
                kOtaHeaderSize - kSignatureLengthOffset - 1 - signature_size)) {
    std::snprintf(why, why_size, "malformed signed header");
    return false;
  }
  const char* version = reinterpret_cast<const char*>(bytes + kVersionOffset);
  size_t length = 0;
  while (length < kOtaVersionSize && version[length] != '\0') {
    ++length;
  }
  if (length == kOtaVersionSize || !all_zero(bytes + kVersionOffset + length, kOtaVersionSize - length) ||
      !parse_version(version, length, header.parsed_version)) {
    std::snprintf(why, why_size, "malformed version in the signed header");
    return false;
  }
  std::memcpy(header.version, version, length);
  header.version[length] = '\0';
  header.image_size = get32(bytes + kSizeOffset);
  std::memcpy(header.key_id, bytes + kKeyIdOffset, kOtaKeyIdSize);
  header.signature_size = signature_size;
  std::memcpy(header.signature, bytes + kSignatureLengthOffset + 1, signature_size);
  out = header;
  return true;
}

bool encode_ota_signed_header(const char* version, uint32_t image_size, const uint8_t (&key_id)[kOtaKeyIdSize],
                              uint8_t (&out)[kOtaSignedHeaderSize]) {
  FirmwareVersion parsed;
  const size_t length = version == nullptr ? 0 : std::strlen(version);
  if (length >= kOtaVersionSize || !parse_version(version, length, parsed)) {
    return false;
  }
  std::memset(out, 0, sizeof out);
  std::memcpy(out, kOtaMagic, sizeof kOtaMagic);
  out[8] = kOtaFormat;
  put32(out + kSizeOffset, image_size);
  std::memcpy(out + kKeyIdOffset, key_id, kOtaKeyIdSize);
  std::memcpy(out + kVersionOffset, version, length);
  return true;
}

// --- crypto (mbedTLS) -------------------------------------------------------------

struct Sha256::Context {
  mbedtls_md_context_t md;
  bool ok = false;
};

Sha256::Sha256() : context_(new Context) {
  mbedtls_md_init(&context_->md);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  context_->ok = info != nullptr && mbedtls_md_setup(&context_->md, info, 0) == 0 &&
                 mbedtls_md_starts(&context_->md) == 0;
}

Sha256::~Sha256() { mbedtls_md_free(&context_->md); }

void Sha256::update(const uint8_t* data, size_t size) {
  if (context_->ok && size > 0) {
    context_->ok = mbedtls_md_update(&context_->md, data, size) == 0;
  }
}

void Sha256::finish(uint8_t (&out)[32]) {
  // A failed hash is all zeros, which no signature matches.
  if (!context_->ok || mbedtls_md_finish(&context_->md, out) != 0) {
    std::memset(out, 0, sizeof out);
  }
  context_->ok = false;
}

struct OtaKey::Context {
  mbedtls_pk_context pk;
};

OtaKey::OtaKey() : context_(new Context) { mbedtls_pk_init(&context_->pk); }

OtaKey::~OtaKey() { mbedtls_pk_free(&context_->pk); }

bool OtaKey::load(const uint8_t* der, size_t size) {
  mbedtls_pk_free(&context_->pk);
  mbedtls_pk_init(&context_->pk);
  loaded_ = false;
  // ECDSA P-256 only, as `openssl pkey -pubout -outform DER` writes it: the
  // SubjectPublicKeyInfo of id-ecPublicKey / prime256v1 with an uncompressed point
  // (checked on the bytes: the same in mbedTLS 2.28 and 3.x), then parsed (the
  // point must be on the curve).
  if (der == nullptr || size != sizeof kP256PublicKeyPrefix + 64 ||
      std::memcmp(der, kP256PublicKeyPrefix, sizeof kP256PublicKeyPrefix) != 0 ||
      mbedtls_pk_parse_public_key(&context_->pk, der, size) != 0 || !mbedtls_pk_can_do(&context_->pk, MBEDTLS_PK_ECDSA)) {
    mbedtls_pk_free(&context_->pk);
    mbedtls_pk_init(&context_->pk);
    return false;
  }
  Sha256 sha;
  sha.update(der, size);
  uint8_t digest[32];
  sha.finish(digest);
  std::memcpy(id_, digest, kOtaKeyIdSize);
  loaded_ = true;
  return true;
}

bool OtaKey::verify(const uint8_t (&hash)[32], const uint8_t* signature, size_t size) const {
  return loaded_ && mbedtls_pk_verify(&context_->pk, MBEDTLS_MD_SHA256, hash, sizeof hash, signature, size) == 0;
}

// --- the installer ------------------------------------------------------------------

OtaInstaller::OtaInstaller(const OtaPolicy& policy, FirmwareSlot& slot, Logger* logger)
    : policy_(policy), slot_(slot), logger_(logger) {}

OtaInstaller::~OtaInstaller() {
  if (slot_open_) {
    slot_.abort();
  }
}

bool OtaInstaller::decide(OtaResult result, const char* format, ...) {
  if (decided_) {
    return false;
  }
  decided_ = true;
  result_ = result;
  va_list args;
  va_start(args, format);
  std::vsnprintf(detail_, sizeof detail_, format, args);
  va_end(args);
  if (slot_open_ && result != OtaResult::ok) {
    slot_.abort();
    slot_open_ = false;
  }
  const LogLevel level = result == OtaResult::ok           ? LogLevel::info
                         : result == OtaResult::up_to_date ? LogLevel::debug
                                                           : LogLevel::warning;
  logf(logger_, level, "OTA: %s%s%s: %s", ota_result_name(result), header_done_ ? " " : "",
       header_done_ ? header_.version : "", detail_);
  return false;
}

bool OtaInstaller::start(int http_status, int64_t content_length) {
  if (decided_ || started_) {
    return false;
  }
  started_ = true;
  content_length_ = content_length;
  if (http_status == 304 || http_status == 404) {
    return decide(OtaResult::up_to_date, "nothing offered (HTTP %d)", http_status);
  }
  if (http_status != 200) {
    return decide(OtaResult::download_failed, "HTTP %d", http_status);
  }
  if (policy_.key == nullptr || !policy_.key->loaded()) {
    return decide(OtaResult::wrong_key, "no public key to verify updates with");
  }
  FirmwareVersion running;
  if (!parse_version(policy_.running_version, running)) {
    return decide(OtaResult::download_failed, "the meter's own version '%s' is no version", policy_.running_version);
  }
  return true;
}

bool OtaInstaller::header_complete() {
  char why[80];
  if (!parse_ota_header(header_bytes_, header_, why, sizeof why)) {
    return decide(OtaResult::not_signed, "%s", why);
  }
  header_done_ = true;
  hash_.update(header_bytes_, kOtaSignedHeaderSize);
  const OtaKey& key = *policy_.key;
  if (std::memcmp(header_.key_id, key.id(), kOtaKeyIdSize) != 0) {
    char theirs[2 * kOtaKeyIdSize + 1];
    char ours[2 * kOtaKeyIdSize + 1];
    hex(header_.key_id, kOtaKeyIdSize, theirs);
    hex(key.id(), kOtaKeyIdSize, ours);
    return decide(OtaResult::wrong_key, "signed with key %s, this meter trusts %s", theirs, ours);
  }
  FirmwareVersion running;
  parse_version(policy_.running_version, running);
  const int order = compare_versions(header_.parsed_version, running);
  if (order == 0) {
    return decide(OtaResult::up_to_date, "%s is running", policy_.running_version);
  }
  if (order < 0 && !policy_.allow_downgrade) {
    return decide(OtaResult::downgrade, "older than the running %s", policy_.running_version);
  }
  const uint64_t announced = static_cast<uint64_t>(header_.image_size);
  if (announced == 0) {
    return decide(OtaResult::wrong_size, "an empty image");
  }
  if (content_length_ >= 0 && static_cast<uint64_t>(content_length_) != kOtaHeaderSize + announced) {
    return decide(OtaResult::wrong_size, "the body has %" PRId64 " bytes, the header announces %u + %" PRIu64,
                  content_length_, static_cast<unsigned>(kOtaHeaderSize), announced);
  }
  const size_t capacity = slot_.capacity();
  if (announced > capacity) {
    return decide(OtaResult::wrong_size, "%" PRIu64 " bytes do not fit the %u-byte partition", announced,
                  static_cast<unsigned>(capacity));
  }
  if (!slot_.begin(header_.image_size)) {
    return decide(OtaResult::write_failed, "the partition could not be prepared for %" PRIu64 " bytes", announced);
  }
  slot_open_ = true;
  logf(logger_, LogLevel::info, "OTA: downloading %s (%" PRIu64 " bytes)", header_.version, announced);
  return true;
}

bool OtaInstaller::feed(const uint8_t* data, size_t size) {
  if (decided_ || !started_) {
    return false;
  }
  while (size > 0 && !header_done_) {
    const size_t n = size < kOtaHeaderSize - header_filled_ ? size : kOtaHeaderSize - header_filled_;
    std::memcpy(header_bytes_ + header_filled_, data, n);
    header_filled_ += n;
    data += n;
    size -= n;
    if (header_filled_ == kOtaHeaderSize && !header_complete()) {
      return false;
    }
  }
  if (size == 0) {
    return true;
  }
  const uint64_t left = header_.image_size - image_bytes_;
  if (size > left) {
    return decide(OtaResult::wrong_size, "more than the %u image bytes the header announces",
                  static_cast<unsigned>(header_.image_size));
  }
  if (!slot_.write(data, size)) {
    return decide(OtaResult::write_failed, "the partition refused %u bytes at %" PRIu64,
                  static_cast<unsigned>(size), image_bytes_);
  }
  hash_.update(data, size);
  image_bytes_ += size;
  return true;
}

OtaResult OtaInstaller::finish(const char* transport_error) {
  if (decided_) {
    return result_;
  }
  const char* because = transport_error != nullptr ? transport_error : "the connection closed";
  if (!started_) {
    decide(OtaResult::download_failed, "%s", because);
    return result_;
  }
  if (!header_done_) {
    decide(OtaResult::truncated, "the body ended after %u of the header's %u bytes (%s)",
           static_cast<unsigned>(header_filled_), static_cast<unsigned>(kOtaHeaderSize), because);
    return result_;
  }
  if (image_bytes_ < header_.image_size) {
    decide(OtaResult::truncated, "%" PRIu64 " of %u image bytes arrived (%s)", image_bytes_,
           static_cast<unsigned>(header_.image_size), because);
    return result_;
  }
  uint8_t digest[32];
  hash_.finish(digest);
  if (!policy_.key->verify(digest, header_.signature, header_.signature_size)) {
    char id[2 * kOtaKeyIdSize + 1];
    hex(header_.key_id, kOtaKeyIdSize, id);
    decide(OtaResult::bad_signature, "the signature does not match the image (key %s)", id);
    return result_;
  }
  slot_open_ = false;
  if (!slot_.commit()) {
    slot_.abort();
    decide(OtaResult::write_failed, "verified, but the partition could not be made bootable");
    return result_;
  }
  decide(OtaResult::ok, "verified (%" PRIu64 " bytes), boots next", image_bytes_);
  return result_;
}

OtaResult OtaInstaller::fail(const char* why) {
  decide(OtaResult::download_failed, "%s", why != nullptr ? why : "no answer");
  return result_;
}

// --- the record and the report ----------------------------------------------------

OtaRecord OtaRecord::load(Storage& storage) {
  OtaRecord record;
  uint8_t bytes[kRecordSize];
  if (!storage.load(kKey, bytes, sizeof bytes) || std::memcmp(bytes, kRecordMagic, 4) != 0 ||
      get32(bytes + kRecordSize - 4) != crc32(bytes, kRecordSize - 4) ||
      bytes[4] > static_cast<uint8_t>(OtaResult::rolled_back)) {
    return record;
  }
  record.result = static_cast<OtaResult>(bytes[4]);
  const uint64_t at = static_cast<uint64_t>(get32(bytes + 5)) | (static_cast<uint64_t>(get32(bytes + 9)) << 32);
  record.at_s = static_cast<int64_t>(at);
  std::memcpy(record.target, bytes + 13, kOtaVersionSize);
  record.target[kOtaVersionSize - 1] = '\0';
  std::memcpy(record.detail, bytes + 13 + kOtaVersionSize, sizeof record.detail);
  record.detail[sizeof record.detail - 1] = '\0';
  FirmwareVersion ignored;
  if (record.target[0] != '\0' && !parse_version(record.target, ignored)) {
    record.target[0] = '\0';
  }
  return record;
}

bool OtaRecord::save(Storage& storage) const {
  uint8_t bytes[kRecordSize] = {};
  std::memcpy(bytes, kRecordMagic, 4);
  bytes[4] = static_cast<uint8_t>(result);
  const uint64_t at = static_cast<uint64_t>(at_s);
  put32(bytes + 5, static_cast<uint32_t>(at));
  put32(bytes + 9, static_cast<uint32_t>(at >> 32));
  copy(reinterpret_cast<char*>(bytes + 13), kOtaVersionSize, target);
  copy(reinterpret_cast<char*>(bytes + 13 + kOtaVersionSize), sizeof detail, detail);
  put32(bytes + kRecordSize - 4, crc32(bytes, kRecordSize - 4));
  return storage.save(kKey, bytes, sizeof bytes);
}

OtaRecord OtaRecord::from(const OtaInstaller& installer, int64_t epoch_ms) {
  OtaRecord record;
  record.result = installer.result();
  copy(record.target, sizeof record.target, installer.target());
  record.at_s = epoch_ms >= kClockValidFromMs ? epoch_ms / 1000 : 0;
  copy(record.detail, sizeof record.detail, installer.detail());
  return record;
}

bool OtaRecord::check_boot(const char* running_version) {
  FirmwareVersion running;
  FirmwareVersion installed;
  if (result != OtaResult::ok || !parse_version(running_version, running) || !parse_version(target, installed) ||
      compare_versions(running, installed) >= 0) {
    return false;
  }
  result = OtaResult::rolled_back;
  std::snprintf(detail, sizeof detail, "%s was installed, but %s started", target, running_version);
  return true;
}

namespace {

// Appends `text` as a JSON string; printable ASCII only (anything else: '?').
bool append_string(char* out, size_t capacity, size_t& at, const char* text) {
  if (at + 1 >= capacity) {
    return false;
  }
  out[at++] = '"';
  for (const char* c = text; *c != '\0'; ++c) {
    const unsigned char u = static_cast<unsigned char>(*c);
    const char plain = u >= 0x20 && u < 0x7F ? *c : '?';
    const bool escape = plain == '"' || plain == '\\';
    if (at + (escape ? 2 : 1) + 1 >= capacity) {
      return false;
    }
    if (escape) {
      out[at++] = '\\';
    }
    out[at++] = plain;
  }
  out[at++] = '"';
  return true;
}

bool append(char* out, size_t capacity, size_t& at, const char* text) {
  const size_t n = std::strlen(text);
  if (at + n + 1 > capacity) {
    return false;
  }
  std::memcpy(out + at, text, n);
  at += n;
  return true;
}

}  // namespace

size_t serialize_ota_report(const char* running_version, const OtaRecord& record, char* out, size_t capacity) {
  if (out == nullptr || capacity == 0) {
    return 0;
  }
  size_t at = 0;
  bool ok = append(out, capacity, at, "{\"version\":") && append_string(out, capacity, at, running_version) &&
            append(out, capacity, at, ",\"result\":") &&
            append_string(out, capacity, at, ota_result_name(record.result));
  if (ok && record.target[0] != '\0') {
    ok = append(out, capacity, at, ",\"target\":") && append_string(out, capacity, at, record.target);
  }
  if (ok && record.at_s <= 10000000000LL && record.at_s * 1000 >= kClockValidFromMs) {
    char number[24];
    std::snprintf(number, sizeof number, ",\"at\":%" PRId64, record.at_s);
    ok = append(out, capacity, at, number);
  }
  if (ok && record.detail[0] != '\0') {
    ok = append(out, capacity, at, ",\"detail\":") && append_string(out, capacity, at, record.detail);
  }
  ok = ok && append(out, capacity, at, "}");
  if (!ok) {
    out[0] = '\0';
    return 0;
  }
  out[at] = '\0';
  return at;
}

}  // namespace meter
