// Hashes and checksums: MD5/SHA-1/SHA-256/HMAC through OpenSSL EVP, CRC32,
// CRC32C and CRC64NVME through ISA-L; hex and base64 codecs. Incremental, so
// bodies are hashed as they stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fsgate {

enum class HashAlgorithm { kMd5, kSha1, kSha256, kCrc32, kCrc32c, kCrc64Nvme };

// Incremental digest; Finish() returns the raw digest bytes (CRCs big-endian,
// as S3's x-amz-checksum-* headers carry them once base64-encoded).
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void Update(std::string_view data);
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Digest(HashAlgorithm algorithm, std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
// SigV2's (presigned URLs of older clients, POST policies signed with V2).
std::string HmacSha1(std::string_view key, std::string_view data);
// Raw 32-bit CRC32C (Castagnoli), for journal records.
uint32_t Crc32c(std::string_view data, uint32_t seed = 0);

std::string HexEncode(std::string_view raw);  // lower case
// Random lower-case hex of `bytes` random bytes (upload ids, staging names).
std::string RandomHex(size_t bytes);
std::optional<std::string> HexDecode(std::string_view hex);
// 0..15 for a hex digit (either case), -1 otherwise.
int HexDigitValue(char c);
std::string Base64Encode(std::string_view raw);
std::optional<std::string> Base64Decode(std::string_view text);  // strict: padding required

// "CRC32" / "CRC32C" / "CRC64NVME" / "SHA1" / "SHA256" (any case) -> algorithm.
std::optional<HashAlgorithm> ChecksumAlgorithmFromName(std::string_view name);
std::string_view ChecksumAlgorithmName(HashAlgorithm algorithm);  // upper case
// "crc32" for "CRC32": how S3's header names and messages spell an algorithm.
std::string LowerChecksumName(std::string_view name);

// Constant-time comparison.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace fsgate
