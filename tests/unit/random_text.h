// Random text for the parser robustness tests, biased toward the bytes the
// request parsers care about (escapes, separators, range syntax).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace fsgate::testutil {

inline std::string RandomText(std::mt19937_64& rng, size_t max_len) {
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

}  // namespace fsgate::testutil
