#include "store/version_id.h"

#include <algorithm>

#include "base/clock.h"

namespace fsgate::store {
namespace {

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kNullSuffix = "~null";
constexpr std::string_view kMarkerSuffix = "~marker";

bool ConsumeSuffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

}  // namespace

std::string EncodeVersionId(uint64_t stamp_ns) {
  uint64_t inverted = UINT64_MAX - stamp_ns;
  std::string id(kVersionIdLength, '0');
  for (size_t i = kVersionIdLength; i-- > 0; inverted >>= 4) id[i] = kHex[inverted & 0xf];
  return id;
}

std::optional<uint64_t> DecodeVersionId(std::string_view id) {
  if (id.size() != kVersionIdLength) return std::nullopt;
  uint64_t inverted = 0;
  for (char c : id) {
    size_t digit = kHex.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    inverted = (inverted << 4) | digit;
  }
  return UINT64_MAX - inverted;
}

std::string EncodeVersionName(const VersionName& name) {
  std::string out = EncodeVersionId(name.stamp);
  if (name.null) out += kNullSuffix;
  if (name.delete_marker) out += kMarkerSuffix;
  return out;
}

std::optional<VersionName> DecodeVersionName(std::string_view name) {
  VersionName v;
  v.delete_marker = ConsumeSuffix(name, kMarkerSuffix);
  v.null = ConsumeSuffix(name, kNullSuffix);
  auto stamp = DecodeVersionId(name);
  if (!stamp) return std::nullopt;
  v.stamp = *stamp;
  return v;
}

uint64_t VersionClock::Next(uint64_t at_least) {
  std::lock_guard lock(mu_);
  last_ = std::max({static_cast<uint64_t>(NowNs()), last_ + 1, at_least});
  return last_;
}

}  // namespace fsgate::store
