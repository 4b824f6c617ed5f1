// The pure request parsers fed random bytes (a fixed seed, many rounds): they
// never crash or read out of bounds (run under ASan to see the latter), and
// their invariants hold against simple reference models.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "gateway/conditions.h"
#include "gateway/url.h"

namespace fsgate::gateway {
namespace {

constexpr int kRounds = 200000;

// Random text, biased toward the bytes the parsers care about.
std::string RandomText(std::mt19937_64& rng, size_t max_len) {
  static constexpr std::string_view kInteresting = "%?&=+/-,0123456789abcdefABCDEFGbytes= \t.";
  std::uniform_int_distribution<size_t> len_dist(0, max_len);
  size_t len = len_dist(rng);
  std::string out;
  out.reserve(len);
  for (size_t i = 0; i < len; ++i) {
    uint64_t r = rng();
    if (r % 3 == 0) {
      out.push_back(static_cast<char>(r >> 8));  // any byte, NUL and 0xFF included
    } else {
      out.push_back(kInteresting[(r >> 8) % kInteresting.size()]);
    }
  }
  return out;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Reference: the number of bytes PercentDecode must produce.
size_t DecodedLength(std::string_view in) {
  size_t n = 0;
  for (size_t i = 0; i < in.size(); ++i, ++n) {
    if (in[i] == '%' && i + 2 < in.size() && IsHex(in[i + 1]) && IsHex(in[i + 2])) i += 2;
  }
  return n;
}

TEST(ParserRobustness, PercentDecodeOnRandomBytes) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < kRounds; ++i) {
    std::string in = RandomText(rng, 64);
    std::string out = PercentDecode(in);
    ASSERT_EQ(out.size(), DecodedLength(in)) << in;
    if (in.find('%') == std::string::npos) {
      ASSERT_EQ(out, in);
    }
    std::string spaced = PercentDecode(in, true);
    ASSERT_EQ(spaced.size(), out.size());
    // Well-formed escapes are exactly what UriEncode produces.
    ASSERT_TRUE(HasValidEscapes(UriEncode(in, true)));
    ASSERT_TRUE(HasValidEscapes(UriEncode(in, false)));
    if (HasValidEscapes(in)) {
      // Every '%' starts an escape: two bytes shorter per escape.
      ASSERT_TRUE(in.find('%') == std::string::npos || out.size() < in.size()) << in;
    } else {
      ASSERT_NE(in.find('%'), std::string::npos);
    }
  }
}

TEST(ParserRobustness, UriEncodeRoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < kRounds; ++i) {
    std::string in = RandomText(rng, 64);
    ASSERT_EQ(PercentDecode(UriEncode(in, true)), in);
    ASSERT_EQ(PercentDecode(UriEncode(in, false)), in);
    ASSERT_EQ(PercentDecode(UriEncode(in, true), true), in);
  }
}

TEST(ParserRobustness, SplitTargetOnRandomBytes) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < kRounds; ++i) {
    std::string target = RandomText(rng, 96);
    std::string path;
    std::vector<std::pair<std::string, std::string>> query{{"stale", "entry"}};
    SplitTarget(target, path, query);
    auto q = target.find('?');
    ASSERT_EQ(path, PercentDecode(std::string_view(target).substr(0, q)));
    if (q == std::string::npos) {
      ASSERT_TRUE(query.empty());
      continue;
    }
    size_t parts = 1;
    for (size_t k = q + 1; k < target.size(); ++k) parts += target[k] == '&';
    ASSERT_LE(query.size(), parts);
  }
}

TEST(ParserRobustness, SplitTargetRoundTripsEncodedParameters) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < kRounds / 4; ++i) {
    std::string raw_path = "/" + RandomText(rng, 40);
    std::vector<std::pair<std::string, std::string>> want;
    std::string target = UriEncode(raw_path, false);
    size_t n = rng() % 5;
    for (size_t k = 0; k < n; ++k) {
      std::string name = RandomText(rng, 12);
      if (name.empty()) name = "n";
      std::string value = RandomText(rng, 20);
      target += (k == 0 ? "?" : "&") + UriEncode(name, true) + "=" + UriEncode(value, true);
      want.emplace_back(name, value);
    }
    std::string path;
    std::vector<std::pair<std::string, std::string>> query;
    SplitTarget(target, path, query);
    ASSERT_EQ(path, raw_path);
    ASSERT_EQ(query, want) << target;
  }
}

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
