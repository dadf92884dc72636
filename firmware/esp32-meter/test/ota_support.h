// Test support for the signed OTA images: P-256 key pairs and signatures made
// with mbedTLS (deterministic, seeded), signed images in the format of
// meter/ota.h (as tools/sign_firmware.py writes them), and a firmware slot in
// memory that records what happened to it.
#pragma once

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "meter/ota.h"

namespace meter {
namespace test {

inline int seeded_random(void* state, unsigned char* out, size_t size) {
  auto& generator = *static_cast<std::mt19937*>(state);
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<unsigned char>(generator() & 0xFF);
  }
  return 0;
}

inline std::vector<uint8_t> sha256(const std::vector<uint8_t>& data) {
  Sha256 sha;
  sha.update(data.data(), data.size());
  uint8_t digest[32];
  sha.finish(digest);
  return std::vector<uint8_t>(digest, digest + 32);
}

// An ECDSA key pair on `curve` (P-256 unless said otherwise), made from `seed`.
class SigningKey {
 public:
  explicit SigningKey(uint32_t seed, mbedtls_ecp_group_id curve = MBEDTLS_ECP_DP_SECP256R1) : random_(seed) {
    mbedtls_pk_init(&pk_);
    if (mbedtls_pk_setup(&pk_, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(pk_), seeded_random, &random_) != 0) {
      throw std::runtime_error("key generation failed");
    }
    unsigned char buffer[256];
    const int size = mbedtls_pk_write_pubkey_der(&pk_, buffer, sizeof buffer);  // at the buffer's end
    if (size <= 0) {
      throw std::runtime_error("public key export failed");
    }
    public_der_.assign(buffer + sizeof buffer - size, buffer + sizeof buffer);
    const std::vector<uint8_t> digest = sha256(public_der_);
    std::memcpy(id_, digest.data(), kOtaKeyIdSize);
  }
  ~SigningKey() { mbedtls_pk_free(&pk_); }
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::vector<uint8_t>& public_der() const { return public_der_; }
  const uint8_t (&id() const)[kOtaKeyIdSize] { return id_; }

  // The DER ECDSA signature of SHA-256(data).
  std::vector<uint8_t> sign(const std::vector<uint8_t>& data) {
    const std::vector<uint8_t> digest = sha256(data);
    unsigned char signature[MBEDTLS_ECDSA_MAX_LEN];
    size_t size = 0;
#if MBEDTLS_VERSION_MAJOR >= 3
    const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA256, digest.data(), digest.size(), signature, sizeof signature,
                                   &size, seeded_random, &random_);
#else
    const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA256, digest.data(), digest.size(), signature, &size,
                                   seeded_random, &random_);
#endif
    if (rc != 0) {
      throw std::runtime_error("signing failed");
    }
    return std::vector<uint8_t>(signature, signature + size);
  }

 private:
  mbedtls_pk_context pk_;
  std::mt19937 random_;
  std::vector<uint8_t> public_der_;
  uint8_t id_[kOtaKeyIdSize] = {};
};

// `size` bytes that look like an ESP32 application image (magic 0xE9).
inline std::vector<uint8_t> firmware_bytes(size_t size, uint32_t seed = 1) {
  std::mt19937 generator(seed);
  std::vector<uint8_t> bytes(size);
  for (uint8_t& b : bytes) {
    b = static_cast<uint8_t>(generator() & 0xFF);
  }
  if (!bytes.empty()) {
    bytes[0] = 0xE9;
  }
  return bytes;
}

// A signed image: header (signed by `key`, naming `key_id`, or the key's own id) + `image`.
inline std::vector<uint8_t> signed_image(SigningKey& key, const char* version, const std::vector<uint8_t>& image,
                                         const uint8_t* key_id = nullptr) {
  uint8_t id[kOtaKeyIdSize];
  std::memcpy(id, key_id != nullptr ? key_id : key.id(), kOtaKeyIdSize);
  uint8_t signed_part[kOtaSignedHeaderSize];
  if (!encode_ota_signed_header(version, static_cast<uint32_t>(image.size()), id, signed_part)) {
    throw std::runtime_error("bad version");
  }
  std::vector<uint8_t> message(signed_part, signed_part + sizeof signed_part);
  message.insert(message.end(), image.begin(), image.end());
  const std::vector<uint8_t> signature = key.sign(message);
  std::vector<uint8_t> out(kOtaHeaderSize, 0);
  std::memcpy(out.data(), signed_part, sizeof signed_part);
  out[kOtaSignedHeaderSize] = static_cast<uint8_t>(signature.size());
  std::memcpy(out.data() + kOtaSignedHeaderSize + 1, signature.data(), signature.size());
  out.insert(out.end(), image.begin(), image.end());
  return out;
}

// The inactive partition, in memory.
class MemorySlot : public FirmwareSlot {
 public:
  size_t size = 1310720;  // the ESP32 default partition table's app slot
  bool fail_begin = false;
  long fail_write_at = -1;  // the write() call (0-based) that fails
  bool fail_commit = false;
  unsigned begins = 0;
  unsigned writes = 0;
  unsigned commits = 0;
  unsigned aborts = 0;
  bool bootable = false;
  std::vector<uint8_t> data;

  size_t capacity() override { return size; }
  bool begin(size_t image_size) override {
    ++begins;
    data.clear();
    data.reserve(image_size);
    return !fail_begin;
  }
  bool write(const uint8_t* bytes, size_t count) override {
    if (static_cast<long>(writes++) == fail_write_at) {
      return false;
    }
    data.insert(data.end(), bytes, bytes + count);
    return true;
  }
  bool commit() override {
    ++commits;
    bootable = !fail_commit;
    return bootable;
  }
  void abort() override {
    ++aborts;
    data.clear();
  }
};

}  // namespace test
}  // namespace meter
