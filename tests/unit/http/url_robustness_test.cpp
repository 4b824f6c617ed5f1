// The URL parsers fed random bytes (a fixed seed, many rounds): they never
// crash or read out of bounds (run under ASan to see the latter), and their
// invariants hold against simple reference models.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "http/url.h"
#include "tests/unit/random_text.h"

namespace fsgate::http {
namespace {

constexpr int kRounds = 200000;

using testutil::RandomText;

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

}  // namespace
}  // namespace fsgate::http
