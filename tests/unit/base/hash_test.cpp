#include "base/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace fsgate::auth {
namespace {

constexpr std::string_view kCheck = "123456789";

std::string HexDigest(HashAlgorithm algorithm, std::string_view data) {
  return HexEncode(Digest(algorithm, data));
}

TEST(Hash, CrcCheckValues) {
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc32, kCheck), "cbf43926");
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc32c, kCheck), "e3069283");
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc64Nvme, kCheck), "ae8b14860a799888");
  EXPECT_EQ(Crc32c(kCheck), 0xE3069283u);
}

TEST(Hash, CrcsOfEmptyInput) {
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc32, ""), "00000000");
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc32c, ""), "00000000");
  EXPECT_EQ(HexDigest(HashAlgorithm::kCrc64Nvme, ""), "0000000000000000");
}

TEST(Hash, S3ChecksumHeaderValues) {
  // x-amz-checksum-* header values for "Hello, World!" (as Python zlib/hashlib give them).
  const std::string body = "Hello, World!";
  EXPECT_EQ(Base64Encode(Digest(HashAlgorithm::kCrc32, body)), "7ErD0A==");
  EXPECT_EQ(Base64Encode(Digest(HashAlgorithm::kSha256, body)),
            "3/1gIbsr1bCvZ2KQgJ7DpTGR3YHH9wpLKGiKNiGCmG8=");
}

TEST(Hash, DigestsMatchKnownValues) {
  EXPECT_EQ(HexDigest(HashAlgorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha256, ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Hash, IncrementalEqualsOneShotForEveryAlgorithm) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (auto algorithm :
       {HashAlgorithm::kMd5, HashAlgorithm::kSha1, HashAlgorithm::kSha256, HashAlgorithm::kCrc32,
        HashAlgorithm::kCrc32c, HashAlgorithm::kCrc64Nvme}) {
    Hasher hasher(algorithm);
    for (size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 % 97 + 1) {
      hasher.Update(std::string_view(data).substr(pos, step));
    }
    EXPECT_EQ(hasher.Finish(), Digest(algorithm, data)) << ChecksumAlgorithmName(algorithm);
    // Finish resets: the hasher is reusable.
    hasher.Update(kCheck);
    EXPECT_EQ(hasher.Finish(), Digest(algorithm, kCheck));
  }
}

TEST(Hash, Crc32cChainsThroughSeed) { EXPECT_EQ(Crc32c("56789", Crc32c("1234")), 0xE3069283u); }

TEST(Hash, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// The HMAC is computed by hand over a reused digest context: short keys,
// keys longer than the block (hashed first) and both digests, several times
// on one thread, give the RFCs' values.
TEST(Hash, HmacMatchesRfcVectorsForShortAndLongKeys) {
  const std::string long_data = "Test Using Larger Than Block-Size Key - Hash Key First";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'), long_data)),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    EXPECT_EQ(HexEncode(HmacSha1("Jefe", "what do ya want for nothing?")),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    EXPECT_EQ(HexEncode(HmacSha1(std::string(80, '\xaa'), long_data)),
              "aa4ae5e15272d00e95705637ce8a3b55ed402112");
  }
}

TEST(Hash, HexRoundTripAndRejects) {
  const std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(HexEncode(raw), "0001abff");
  EXPECT_EQ(HexDecode("0001ABff"), raw);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_EQ(HexDecode(""), "");
}

TEST(Hash, Base64RoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
}

TEST(Hash, Base64IsStrict) {
  EXPECT_FALSE(Base64Decode("Zm8").has_value());   // missing padding
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());  // non-zero unused bits
  EXPECT_FALSE(Base64Decode("Zm=8").has_value());  // padding in the middle
  EXPECT_FALSE(Base64Decode("Zm8=Zm8=").has_value());
  EXPECT_FALSE(Base64Decode("Zm 8=").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());
  EXPECT_FALSE(Base64Decode("Zm-_").has_value());  // base64url alphabet
}

TEST(Hash, ChecksumNames) {
  EXPECT_EQ(ChecksumAlgorithmFromName("crc32c"), HashAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromName("CRC32"), HashAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromName("Crc64Nvme"), HashAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ChecksumAlgorithmFromName("sha256"), HashAlgorithm::kSha256);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA1"), HashAlgorithm::kSha1);
  EXPECT_FALSE(ChecksumAlgorithmFromName("MD5").has_value());
  EXPECT_FALSE(ChecksumAlgorithmFromName("CRC3").has_value());
  EXPECT_FALSE(ChecksumAlgorithmFromName("").has_value());
  EXPECT_EQ(ChecksumAlgorithmName(HashAlgorithm::kCrc64Nvme), "CRC64NVME");
}

TEST(Hash, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEqual("", ""));
}

}  // namespace
}  // namespace fsgate::auth
