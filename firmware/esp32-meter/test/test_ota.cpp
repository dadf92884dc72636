// Signed OTA images (meter/ota.h): what the meter installs and what it refuses,
// before anything is made bootable. The attacks: a flipped byte anywhere, an
// image signed with another key, a forged one naming the trusted key, a
// truncated download, an older version, sizes that contradict each other.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "meter/ota.h"
#include "meter/sim.h"
#include "ota_support.h"

using namespace meter;
using test::MemorySlot;
using test::SigningKey;

namespace {

constexpr int64_t kLength = -2;  // install(): the body's own length as Content-Length

// The trusted key (compiled in on the ESP32) and another one.
SigningKey& trusted() {
  static SigningKey key(1);
  return key;
}
SigningKey& other() {
  static SigningKey key(2);
  return key;
}

struct Install {
  OtaResult result;
  std::string detail;
  std::string target;
};

// A download of `body` in pieces of `chunk` bytes; the connection ends after
// `deliver` bytes (default: all) with `error`.
Install install(const std::vector<uint8_t>& body, MemorySlot& slot, const char* running = "0.1.0",
                int64_t content_length = kLength, size_t chunk = 1000, bool allow_downgrade = false,
                size_t deliver = static_cast<size_t>(-1), const char* error = nullptr) {
  OtaKey key;
  EXPECT_TRUE(key.load(trusted().public_der().data(), trusted().public_der().size()));
  OtaPolicy policy;
  policy.key = &key;
  policy.running_version = running;
  policy.allow_downgrade = allow_downgrade;
  OtaInstaller ota(policy, slot, nullptr);
  const size_t end = deliver < body.size() ? deliver : body.size();
  if (ota.start(200, content_length == kLength ? static_cast<int64_t>(body.size()) : content_length)) {
    for (size_t at = 0; at < end;) {
      const size_t n = end - at < chunk ? end - at : chunk;
      if (!ota.feed(body.data() + at, n)) {
        break;
      }
      at += n;
    }
  }
  const OtaResult result = ota.finish(error);
  EXPECT_TRUE(ota.decided());
  EXPECT_EQ(result, ota.result());
  EXPECT_NE(std::string(ota.detail()), "");
  return {result, ota.detail(), ota.target()};
}

}  // namespace

TEST(Ota, AGoodImageIsVerifiedWrittenAndThenMadeBootable) {
  const std::vector<uint8_t> firmware = test::firmware_bytes(100000);
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", firmware);
  // However the body is cut into pieces (TLS records, TCP segments).
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{255}, size_t{256}, size_t{257}, size_t{4096}, body.size()}) {
    MemorySlot slot;
    const Install done = install(body, slot, "0.1.0", kLength, chunk);
    EXPECT_EQ(done.result, OtaResult::ok) << chunk << ": " << done.detail;
    EXPECT_EQ(done.target, "0.2.0");
    EXPECT_TRUE(slot.bootable);
    EXPECT_EQ(slot.begins, 1U);
    EXPECT_EQ(slot.commits, 1U);
    EXPECT_EQ(slot.aborts, 0U);
    EXPECT_EQ(slot.data, firmware);  // the image only: the header is not written
  }
  // The body's length need not be known (chunked transfer).
  MemorySlot slot;
  EXPECT_EQ(install(body, slot, "0.1.0", -1).result, OtaResult::ok);
  EXPECT_TRUE(slot.bootable);
}

TEST(Ota, AFlippedByteAnywhereIsRefusedAndNothingBecomesBootable) {
  const std::vector<uint8_t> firmware = test::firmware_bytes(3000, 3);
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", firmware);
  std::vector<size_t> positions;
  for (size_t at = 0; at < kOtaHeaderSize; ++at) {
    positions.push_back(at);  // every byte of the header
  }
  for (size_t at = kOtaHeaderSize; at < body.size(); at += 97) {
    positions.push_back(at);
  }
  positions.push_back(body.size() - 1);  // the image's last byte
  for (size_t at : positions) {
    for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::vector<uint8_t> changed = body;
      changed[at] ^= bit;
      MemorySlot slot;
      const Install done = install(changed, slot);
      ASSERT_NE(done.result, OtaResult::ok) << "byte " << at << " bit " << int{bit};
      EXPECT_FALSE(slot.bootable) << at;
      EXPECT_EQ(slot.commits, 0U) << at;
      EXPECT_EQ(slot.begins, slot.aborts) << at;  // whatever was written is forgotten
      if (at >= kOtaHeaderSize || (at >= 65 && at < size_t{65} + body[64])) {
        // The image or the signature itself: the signature does not match.
        EXPECT_EQ(done.result, OtaResult::bad_signature) << at << ": " << done.detail;
      }
    }
  }
  // A changed version that is still a newer version: signed, so refused.
  std::vector<uint8_t> newer = body;
  newer[24 + 2] = '3';  // "0.3.0"
  MemorySlot slot;
  const Install done = install(newer, slot);
  EXPECT_EQ(done.result, OtaResult::bad_signature) << done.detail;
  EXPECT_EQ(done.target, "0.3.0");
  EXPECT_EQ(slot.begins, 1U);
  EXPECT_EQ(slot.aborts, 1U);
}

TEST(Ota, AnImageSignedWithAnotherKeyIsRefusedBeforeAnythingIsWritten) {
  const std::vector<uint8_t> body = test::signed_image(other(), "0.2.0", test::firmware_bytes(5000));
  MemorySlot slot;
  const Install done = install(body, slot);
  EXPECT_EQ(done.result, OtaResult::wrong_key);
  EXPECT_EQ(slot.begins, 0U);
  EXPECT_FALSE(slot.bootable);
  // The log line names both keys.
  char ours[17];
  char theirs[17];
  for (size_t i = 0; i < kOtaKeyIdSize; ++i) {
    std::snprintf(ours + 2 * i, 3, "%02x", trusted().id()[i]);
    std::snprintf(theirs + 2 * i, 3, "%02x", other().id()[i]);
  }
  EXPECT_NE(done.detail.find(ours), std::string::npos) << done.detail;
  EXPECT_NE(done.detail.find(theirs), std::string::npos) << done.detail;
}

TEST(Ota, AForgedImageNamingTheTrustedKeyFailsItsSignature) {
  // Signed with another key, but claiming the trusted key's id.
  const std::vector<uint8_t> firmware = test::firmware_bytes(5000);
  const std::vector<uint8_t> body = test::signed_image(other(), "9.9.9", firmware, trusted().id());
  MemorySlot slot;
  const Install done = install(body, slot);
  EXPECT_EQ(done.result, OtaResult::bad_signature);
  EXPECT_EQ(slot.begins, 1U);  // written while it arrived, never committed
  EXPECT_EQ(slot.aborts, 1U);
  EXPECT_EQ(slot.commits, 0U);
  EXPECT_TRUE(slot.data.empty());
  // The signature of another image (a valid one, same key, same version) does not fit either.
  std::vector<uint8_t> spliced = test::signed_image(trusted(), "0.2.0", test::firmware_bytes(5000, 9));
  const std::vector<uint8_t> genuine = test::signed_image(trusted(), "0.2.0", firmware);
  std::copy(genuine.begin() + kOtaHeaderSize, genuine.end(), spliced.begin() + kOtaHeaderSize);
  EXPECT_EQ(install(spliced, slot).result, OtaResult::bad_signature);
  EXPECT_FALSE(slot.bootable);
}

TEST(Ota, ATruncatedDownloadIsRefused) {
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", test::firmware_bytes(20000));
  for (size_t deliver : {size_t{0}, size_t{1}, size_t{100}, size_t{255}, size_t{256}, size_t{257}, size_t{10000},
                         body.size() - 1}) {
    for (int64_t length : {kLength, int64_t{-1}}) {  // the server said the full length / nothing
      MemorySlot slot;
      const int64_t announced = length == kLength ? static_cast<int64_t>(body.size()) : length;
      const Install done = install(body, slot, "0.1.0", announced, 1000, false, deliver, "connection reset");
      EXPECT_EQ(done.result, OtaResult::truncated) << deliver << ": " << done.detail;
      EXPECT_FALSE(slot.bootable);
      EXPECT_EQ(slot.commits, 0U);
      EXPECT_NE(done.detail.find("connection reset"), std::string::npos) << done.detail;
    }
  }
  // A file cut short and served with its own (shorter) length: the signed size says otherwise.
  std::vector<uint8_t> cut(body.begin(), body.end() - 1);
  MemorySlot slot;
  const Install done = install(cut, slot);
  EXPECT_EQ(done.result, OtaResult::wrong_size) << done.detail;
  EXPECT_EQ(slot.begins, 0U);
}

TEST(Ota, AnOlderVersionIsRefusedUnlessDowngradesAreAllowed) {
  const std::vector<uint8_t> firmware = test::firmware_bytes(4000);
  const std::vector<uint8_t> old = test::signed_image(trusted(), "0.0.9", firmware);
  MemorySlot slot;
  Install done = install(old, slot, "0.1.0");
  EXPECT_EQ(done.result, OtaResult::downgrade);
  EXPECT_EQ(done.target, "0.0.9");
  EXPECT_EQ(slot.begins, 0U);  // decided on the header: not downloaded
  done = install(old, slot, "0.1.0", kLength, 1000, true);
  EXPECT_EQ(done.result, OtaResult::ok) << done.detail;
  EXPECT_TRUE(slot.bootable);
  // Numbers, not text: 0.10.0 is newer than 0.9.0; "0.1" is "0.1.0".
  MemorySlot newer;
  EXPECT_EQ(install(test::signed_image(trusted(), "0.10.0", firmware), newer, "0.9.0").result, OtaResult::ok);
  MemorySlot same;
  done = install(test::signed_image(trusted(), "0.1", firmware), same, "0.1.0");
  EXPECT_EQ(done.result, OtaResult::up_to_date);
  EXPECT_FALSE(ota_reported(done.result));
  EXPECT_EQ(same.begins, 0U);
}

TEST(Ota, SizesThatContradictTheSignedSizeAreRefused) {
  const std::vector<uint8_t> firmware = test::firmware_bytes(6000);
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", firmware);
  // The server announces another length than header + signed size.
  for (int64_t length : {static_cast<int64_t>(body.size()) + 1, static_cast<int64_t>(body.size()) - 1, int64_t{0}}) {
    MemorySlot slot;
    const Install done = install(body, slot, "0.1.0", length);
    EXPECT_EQ(done.result, OtaResult::wrong_size) << length;
    EXPECT_EQ(slot.begins, 0U);
  }
  // More bytes than signed, without a length: refused as they arrive.
  std::vector<uint8_t> longer = body;
  longer.push_back(0);
  MemorySlot slot;
  Install done = install(longer, slot, "0.1.0", -1);
  EXPECT_EQ(done.result, OtaResult::wrong_size) << done.detail;
  EXPECT_EQ(slot.aborts, 1U);
  EXPECT_FALSE(slot.bootable);
  // Larger than the partition.
  MemorySlot small;
  small.size = firmware.size() - 1;
  done = install(body, small);
  EXPECT_EQ(done.result, OtaResult::wrong_size);
  EXPECT_NE(done.detail.find("partition"), std::string::npos);
  EXPECT_EQ(small.begins, 0U);
  // An empty image.
  MemorySlot empty;
  EXPECT_EQ(install(test::signed_image(trusted(), "0.2.0", {}), empty).result, OtaResult::wrong_size);
}

TEST(Ota, WhatIsNoSignedImageIsRefused) {
  const std::vector<uint8_t> signed_body = test::signed_image(trusted(), "0.2.0", test::firmware_bytes(3000));
  const std::string html = "<html><body>Not here</body></html>" + std::string(400, ' ');
  std::vector<std::vector<uint8_t>> bodies = {
      test::firmware_bytes(3000),                    // a plain firmware.bin
      std::vector<uint8_t>(html.begin(), html.end()),  // a captive portal's page
  };
  auto variant = [&](size_t at, uint8_t value) {
    std::vector<uint8_t> changed = signed_body;
    changed[at] = value;
    bodies.push_back(changed);
  };
  variant(8, 2);              // format 2
  variant(10, 1);             // reserved byte
  variant(60, 1);             // reserved byte
  variant(64, 0);             // no signature
  variant(64, 73);            // a signature longer than any
  variant(255, 1);            // padding
  variant(24 + 1, '/');       // "0/2.0"
  variant(24 + 5, 'x');       // garbage after the version's NUL
  variant(24, 0);             // an empty version
  for (size_t n = 0; n < bodies.size(); ++n) {
    MemorySlot slot;
    const Install done = install(bodies[n], slot);
    EXPECT_EQ(done.result, OtaResult::not_signed) << n << ": " << done.detail;
    EXPECT_EQ(slot.begins, 0U);
  }
  MemorySlot slot;
  EXPECT_NE(install(bodies[0], slot).detail.find("e9"), std::string::npos);  // shows how it starts
}

TEST(Ota, HttpAnswersAndFailuresBeforeTheBody) {
  OtaKey key;
  ASSERT_TRUE(key.load(trusted().public_der().data(), trusted().public_der().size()));
  OtaPolicy policy;
  policy.key = &key;
  for (int status : {304, 404}) {
    MemorySlot slot;
    OtaInstaller ota(policy, slot, nullptr);
    EXPECT_FALSE(ota.start(status, 0));
    EXPECT_EQ(ota.finish(), OtaResult::up_to_date);  // nothing offered: not reported
  }
  for (int status : {500, 403, 302, 0, -1}) {
    MemorySlot slot;
    OtaInstaller ota(policy, slot, nullptr);
    EXPECT_FALSE(ota.start(status, -1));
    EXPECT_EQ(ota.finish(), OtaResult::download_failed);
    EXPECT_NE(std::string(ota.detail()).find("HTTP"), std::string::npos);
  }
  MemorySlot slot;
  OtaInstaller refused(policy, slot, nullptr);
  EXPECT_EQ(refused.fail("TLS: certificate verify failed"), OtaResult::download_failed);
  EXPECT_STREQ(refused.detail(), "TLS: certificate verify failed");
  EXPECT_FALSE(refused.feed(reinterpret_cast<const uint8_t*>("x"), 1));
  EXPECT_EQ(refused.finish(), OtaResult::download_failed);  // the first outcome stays
  OtaInstaller cut(policy, slot, nullptr);
  EXPECT_EQ(cut.finish("timed out"), OtaResult::download_failed);  // no answer at all
  // Without a key nothing is installed.
  OtaPolicy keyless;
  OtaInstaller nothing(keyless, slot, nullptr);
  EXPECT_FALSE(nothing.start(200, -1));
  EXPECT_EQ(nothing.finish(), OtaResult::wrong_key);
  EXPECT_EQ(slot.begins, 0U);
}

TEST(Ota, APartitionThatFailsIsReported) {
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", test::firmware_bytes(9000));
  MemorySlot no_begin;
  no_begin.fail_begin = true;
  EXPECT_EQ(install(body, no_begin).result, OtaResult::write_failed);
  MemorySlot no_write;
  no_write.fail_write_at = 3;
  EXPECT_EQ(install(body, no_write).result, OtaResult::write_failed);
  EXPECT_EQ(no_write.aborts, 1U);
  MemorySlot no_commit;
  no_commit.fail_commit = true;
  const Install done = install(body, no_commit);
  EXPECT_EQ(done.result, OtaResult::write_failed);
  EXPECT_EQ(no_commit.aborts, 1U);
  EXPECT_NE(done.detail.find("verified"), std::string::npos);
}

TEST(Ota, OnlyAP256PublicKeyIsTrusted) {
  OtaKey key;
  const std::vector<uint8_t>& der = trusted().public_der();
  ASSERT_EQ(der.size(), 91U);
  EXPECT_TRUE(key.load(der.data(), der.size()));
  EXPECT_TRUE(key.loaded());
  EXPECT_EQ(std::memcmp(key.id(), trusted().id(), kOtaKeyIdSize), 0);  // SHA-256(DER)[0..8)
  std::vector<uint8_t> off_curve = der;
  off_curve[60] ^= 0x01;  // a point not on the curve
  EXPECT_FALSE(key.load(off_curve.data(), off_curve.size()));
  EXPECT_FALSE(key.loaded());
  EXPECT_FALSE(key.load(der.data(), der.size() - 1));
  EXPECT_FALSE(key.load(nullptr, 0));
  const uint8_t garbage[91] = {0x30, 0x59};
  EXPECT_FALSE(key.load(garbage, sizeof garbage));
  SigningKey p384(3, MBEDTLS_ECP_DP_SECP384R1);
  EXPECT_FALSE(key.load(p384.public_der().data(), p384.public_der().size()));
  SigningKey k256(4, MBEDTLS_ECP_DP_SECP256K1);  // 256 bits too, another curve
  EXPECT_FALSE(key.load(k256.public_der().data(), k256.public_der().size()));
  uint8_t hash[32] = {};
  const uint8_t signature[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
  EXPECT_FALSE(key.verify(hash, signature, sizeof signature));
}

TEST(Ota, Versions) {
  struct Case {
    const char* text;
    bool valid;
  };
  for (const Case& c : {Case{"0.1.0", true}, Case{"1", true}, Case{"1.2.3.4", true}, Case{"999999999.0", true},
                        Case{"", false}, Case{"1.", false}, Case{".1", false}, Case{"1..2", false},
                        Case{"1.2.3.4.5", false}, Case{"v1.0", false}, Case{"1.0-rc1", false},
                        Case{"1234567890", false}, Case{"1 .0", false}}) {
    FirmwareVersion version;
    EXPECT_EQ(parse_version(c.text, version), c.valid) << c.text;
    EXPECT_EQ(valid_version_literal(c.text), c.valid) << c.text;
  }
  static_assert(valid_version_literal("0.1.0") && !valid_version_literal("0.1.0-dev"), "constexpr");
  const auto order = [](const char* a, const char* b) {
    FirmwareVersion x;
    FirmwareVersion y;
    EXPECT_TRUE(parse_version(a, x) && parse_version(b, y));
    return compare_versions(x, y);
  };
  EXPECT_LT(order("0.9.0", "0.10.0"), 0);
  EXPECT_GT(order("1.0", "0.99.99.99"), 0);
  EXPECT_EQ(order("1.2", "1.2.0.0"), 0);
  EXPECT_LT(order("1.2.0", "1.2.0.1"), 0);
  FirmwareVersion ignored;
  EXPECT_FALSE(parse_version(nullptr, ignored));
}

TEST(Ota, TheRecordSurvivesTheRestartIntoTheNewFirmware) {
  sim::MemoryStorage storage;
  EXPECT_EQ(OtaRecord::load(storage).result, OtaResult::none);  // nothing stored yet
  const std::vector<uint8_t> body = test::signed_image(trusted(), "0.2.0", test::firmware_bytes(2000));
  OtaKey key;
  ASSERT_TRUE(key.load(trusted().public_der().data(), trusted().public_der().size()));
  OtaPolicy policy;
  policy.key = &key;
  MemorySlot slot;
  OtaInstaller ota(policy, slot, nullptr);
  ASSERT_TRUE(ota.start(200, static_cast<int64_t>(body.size())));
  ASSERT_TRUE(ota.feed(body.data(), body.size()));
  ASSERT_EQ(ota.finish(), OtaResult::ok);
  OtaRecord record = OtaRecord::from(ota, 1795428000123LL);
  EXPECT_EQ(record.at_s, 1795428000);
  ASSERT_TRUE(record.save(storage));
  OtaRecord loaded = OtaRecord::load(storage);  // after the restart
  EXPECT_EQ(loaded.result, OtaResult::ok);
  EXPECT_STREQ(loaded.target, "0.2.0");
  EXPECT_EQ(loaded.at_s, 1795428000);
  EXPECT_STREQ(loaded.detail, record.detail);
  OtaRecord same = loaded;
  EXPECT_FALSE(same.check_boot("0.2.0"));  // the new firmware runs: still ok
  EXPECT_FALSE(same.check_boot("0.3.0"));  // a newer one flashed since
  EXPECT_EQ(same.result, OtaResult::ok);
  EXPECT_TRUE(loaded.check_boot("0.1.0"));  // the old one came back: rolled back
  EXPECT_EQ(loaded.result, OtaResult::rolled_back);
  EXPECT_STREQ(loaded.detail, "0.2.0 was installed, but 0.1.0 started");
  // Before the clock is set: no time.
  EXPECT_EQ(OtaRecord::from(ota, 5000).at_s, 0);
  // A damaged record is no record.
  storage.values["ota"][20] ^= 0x01;
  EXPECT_EQ(OtaRecord::load(storage).result, OtaResult::none);
  storage.values["ota"].resize(10);
  EXPECT_EQ(OtaRecord::load(storage).result, OtaResult::none);
}

TEST(Ota, EveryResultHasItsContractName) {
  const char* names[] = {"none",      "ok",         "up_to_date", "not_signed",      "wrong_key",    "bad_signature",
                         "downgrade", "wrong_size", "truncated",  "download_failed", "write_failed", "rolled_back"};
  for (size_t n = 0; n < sizeof names / sizeof names[0]; ++n) {
    EXPECT_STREQ(ota_result_name(static_cast<OtaResult>(n)), names[n]);
  }
  EXPECT_STREQ(ota_result_name(static_cast<OtaResult>(200)), "none");
}

TEST(Ota, TheHeaderEncoderRefusesWhatIsNoVersion) {
  uint8_t out[kOtaSignedHeaderSize];
  const uint8_t id[kOtaKeyIdSize] = {};
  EXPECT_TRUE(encode_ota_signed_header("1.2.3", 7, id, out));
  EXPECT_EQ(std::memcmp(out, kOtaMagic, 8), 0);
  EXPECT_FALSE(encode_ota_signed_header("1.2.x", 7, id, out));
  EXPECT_FALSE(encode_ota_signed_header(nullptr, 7, id, out));
  EXPECT_FALSE(encode_ota_signed_header("1.1.1.1111111111111111111111111111", 7, id, out));
}
