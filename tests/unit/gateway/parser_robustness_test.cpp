// The Range header parser fed random bytes (a fixed seed, many rounds): it
// never crashes or reads out of bounds (run under ASan to see the latter), and
// its invariants hold against a simple reference model.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "gateway/conditions.h"
#include "tests/unit/random_text.h"

namespace fsgate::gateway {
namespace {

constexpr int kRounds = 200000;

using testutil::RandomText;

TEST(ParserRobustness, ParseRangeOnRandomBytes) {
  std::mt19937_64 rng(4242);
  for (int i = 0; i < kRounds; ++i) {
    std::string header = RandomText(rng, 40);
    if (rng() % 2 == 0) header = "bytes=" + header;
    uint64_t size = rng() % 4 == 0 ? rng() : rng() % 1000;
    ByteRange range{12345, 67890};
    RangeResult r = ParseRange(header, size, range);
    if (r == RangeResult::kSatisfiable) {
      ASSERT_LE(range.first, range.last) << header << " size " << size;
      ASSERT_LT(range.last, size) << header << " size " << size;
    } else {
      ASSERT_EQ(range.first, 12345u) << "range written on " << header;
      ASSERT_EQ(range.last, 67890u);
    }
    if (!header.starts_with("bytes=") || header.find(',') != std::string::npos) {
      ASSERT_EQ(r, RangeResult::kNone) << header;
    }
  }
}

// Reference model for well-formed single ranges.
TEST(ParserRobustness, ParseRangeMatchesModel) {
  std::mt19937_64 rng(31337);
  for (int i = 0; i < kRounds; ++i) {
    uint64_t size = rng() % 50;
    uint64_t a = rng() % 60;
    uint64_t b = rng() % 60;
    int shape = static_cast<int>(rng() % 3);
    std::string header = shape == 0   ? "bytes=" + std::to_string(a) + "-" + std::to_string(b)
                         : shape == 1 ? "bytes=" + std::to_string(a) + "-"
                                      : "bytes=-" + std::to_string(b);
    ByteRange range;
    RangeResult r = ParseRange(header, size, range);
    if (shape == 0 && b < a) {
      ASSERT_EQ(r, RangeResult::kNone) << header;
      continue;
    }
    if (shape == 2) {
      if (b == 0 || size == 0) {
        ASSERT_EQ(r, RangeResult::kUnsatisfiable) << header;
        continue;
      }
      ASSERT_EQ(r, RangeResult::kSatisfiable) << header;
      ASSERT_EQ(range.first, b >= size ? 0 : size - b);
      ASSERT_EQ(range.last, size - 1);
      continue;
    }
    if (a >= size) {
      ASSERT_EQ(r, RangeResult::kUnsatisfiable) << header << " size " << size;
      continue;
    }
    ASSERT_EQ(r, RangeResult::kSatisfiable) << header;
    ASSERT_EQ(range.first, a);
    ASSERT_EQ(range.last, shape == 1 ? size - 1 : std::min(b, size - 1));
  }
}

}  // namespace
}  // namespace fsgate::gateway
