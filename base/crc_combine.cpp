#include "base/crc_combine.h"

#include <array>

namespace fsgate {
namespace {

struct CrcShape {
  int width;            // 32 or 64
  uint64_t polynomial;  // reflected
};

std::optional<CrcShape> ShapeOf(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kCrc32:
      return CrcShape{32, 0xEDB88320u};
    case HashAlgorithm::kCrc32c:
      return CrcShape{32, 0x82F63B78u};
    case HashAlgorithm::kCrc64Nvme:
      return CrcShape{64, 0x9A6C9329AC4BC9B5ull};
    default:
      return std::nullopt;
  }
}

// a * b mod P, both polynomials in reflected order (x^0 in the top bit).
uint64_t MultModP(const CrcShape& shape, uint64_t a, uint64_t b) {
  uint64_t m = uint64_t{1} << (shape.width - 1);
  uint64_t p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ shape.polynomial : b >> 1;
  }
  return p;
}

// x^(n * 2^k) mod P, by squaring: x^(2^j) for each set bit of n.
uint64_t XPow2nModP(const CrcShape& shape, uint64_t n, int k) {
  uint64_t power = uint64_t{1} << (shape.width - 2);  // x^1
  for (int i = 0; i < k; ++i) power = MultModP(shape, power, power);
  uint64_t p = uint64_t{1} << (shape.width - 1);  // x^0
  while (n != 0) {
    if (n & 1) p = MultModP(shape, power, p);
    n >>= 1;
    power = MultModP(shape, power, power);
  }
  return p;
}

uint64_t LoadBigEndian(std::string_view raw) {
  uint64_t v = 0;
  for (char c : raw) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace

bool IsCombinableCrc(HashAlgorithm algorithm) { return ShapeOf(algorithm).has_value(); }

uint64_t CombineCrc(HashAlgorithm algorithm, uint64_t crc1, uint64_t crc2, uint64_t len2) {
  const CrcShape shape = *ShapeOf(algorithm);
  // crc1 shifted over len2 zero bytes (x^(8 len2)); the inversions cancel out
  // with the pre- and post-conditioning of crc2.
  return MultModP(shape, XPow2nModP(shape, len2, 3), crc1) ^ crc2;
}

std::optional<std::string> CombineCrcDigests(HashAlgorithm algorithm, std::string_view digest1,
                                             std::string_view digest2, uint64_t len2) {
  const auto shape = ShapeOf(algorithm);
  const size_t bytes = shape ? static_cast<size_t>(shape->width / 8) : 0;
  if (!shape || digest1.size() != bytes || digest2.size() != bytes) return std::nullopt;
  uint64_t crc = CombineCrc(algorithm, LoadBigEndian(digest1), LoadBigEndian(digest2), len2);
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(crc & 0xff);
    crc >>= 8;
  }
  return out;
}

}  // namespace fsgate
