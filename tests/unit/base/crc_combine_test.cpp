#include "base/crc_combine.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace fsgate {
namespace {

constexpr HashAlgorithm kCrcs[] = {HashAlgorithm::kCrc32, HashAlgorithm::kCrc32c,
                                   HashAlgorithm::kCrc64Nvme};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Known check values split anywhere: "1234" + "56789" combine to the CRC of
// "123456789" that the CRC catalogue lists.
TEST(CrcCombine, CheckValuesFromAnySplit) {
  const std::string check = "123456789";
  const std::pair<HashAlgorithm, std::string> expected[] = {
      {HashAlgorithm::kCrc32, "cbf43926"},
      {HashAlgorithm::kCrc32c, "e3069283"},
      {HashAlgorithm::kCrc64Nvme, "ae8b14860a799888"}};
  for (const auto& [algorithm, hex] : expected) {
    for (size_t cut = 0; cut <= check.size(); ++cut) {
      auto combined = CombineCrcDigests(algorithm, Digest(algorithm, check.substr(0, cut)),
                                        Digest(algorithm, check.substr(cut)), check.size() - cut);
      ASSERT_TRUE(combined);
      EXPECT_EQ(HexEncode(*combined), hex) << ChecksumAlgorithmName(algorithm) << " cut " << cut;
    }
  }
}

// Parts of the sizes multipart uploads have (an empty one, odd sizes, over
// a MiB) fold into the CRC of their concatenation, as ISA-L computes it.
TEST(CrcCombine, PartsFoldIntoTheWholeObject) {
  const size_t sizes[] = {0, 1, 7, 4096, 1000003, 0, 65537};
  std::string whole;
  std::vector<std::string> parts;
  uint32_t seed = 1;
  for (size_t n : sizes) {
    parts.push_back(RandomBytes(n, seed++));
    whole += parts.back();
  }
  for (HashAlgorithm algorithm : kCrcs) {
    std::string acc = Digest(algorithm, parts[0]);
    for (size_t i = 1; i < parts.size(); ++i) {
      acc = *CombineCrcDigests(algorithm, acc, Digest(algorithm, parts[i]), parts[i].size());
    }
    EXPECT_EQ(HexEncode(acc), HexEncode(Digest(algorithm, whole)))
        << ChecksumAlgorithmName(algorithm);
  }
}

// Lengths past 4 GiB: only the length of the second part is needed, and any
// split of the same bytes gives the same CRC.
TEST(CrcCombine, LongSecondPartByLengthAlone) {
  // crc(A || zeros(n)) = combine(crc(A), crc(zeros(n)), n); crc of zeros by doubling.
  for (HashAlgorithm algorithm : kCrcs) {
    const std::string a = "prefix";
    std::string zeros_crc = Digest(algorithm, std::string(1, '\0'));
    uint64_t len = 1;
    for (int i = 0; i < 32; ++i) {  // 2^32 bytes of zeros
      zeros_crc = *CombineCrcDigests(algorithm, zeros_crc, zeros_crc, len);
      len *= 2;
    }
    const std::string big = *CombineCrcDigests(algorithm, Digest(algorithm, a), zeros_crc, len);
    // The same by another split: (a + 2^31 zeros) + 2^31 zeros.
    std::string half = Digest(algorithm, std::string(1, '\0'));
    for (int i = 0; i < 31; ++i) half = *CombineCrcDigests(algorithm, half, half, uint64_t{1} << i);
    std::string left = *CombineCrcDigests(algorithm, Digest(algorithm, a), half, len / 2);
    EXPECT_EQ(HexEncode(*CombineCrcDigests(algorithm, left, half, len / 2)), HexEncode(big));
  }
}

TEST(CrcCombine, RefusesWrongSizesAndNonCrcs) {
  EXPECT_FALSE(CombineCrcDigests(HashAlgorithm::kCrc32, "abc", "abcd", 1));
  EXPECT_FALSE(CombineCrcDigests(HashAlgorithm::kCrc64Nvme, "abcd", "abcd", 1));
  EXPECT_FALSE(
      CombineCrcDigests(HashAlgorithm::kSha256, std::string(32, 'a'), std::string(32, 'b'), 1));
  EXPECT_FALSE(IsCombinableCrc(HashAlgorithm::kSha1));
  EXPECT_TRUE(IsCombinableCrc(HashAlgorithm::kCrc64Nvme));
}

}  // namespace
}  // namespace fsgate
