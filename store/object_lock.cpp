#include "store/object_lock.h"

#include <charconv>

#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

constexpr std::string_view kEnabled = "Enabled";
constexpr int64_t kDaySeconds = 24 * 3600;

Status Locked() {
  return S3Error(s3err::kAccessDenied, "Access Denied because object protected by object lock.");
}

}  // namespace

bool IsRetentionMode(std::string_view mode) { return mode == kGovernance || mode == kCompliance; }

int64_t DefaultRetention::UntilFrom(int64_t now_s) const {
  return now_s + (days > 0 ? days : years * 365) * kDaySeconds;
}

std::string EncodeBucketObjectLock(const std::optional<DefaultRetention>& rule) {
  std::string out(kEnabled);
  if (!rule) return out;
  out += " " + rule->mode + " ";
  out += rule->days > 0 ? std::to_string(rule->days) + "d" : std::to_string(rule->years) + "y";
  return out;
}

std::optional<DefaultRetention> DecodeDefaultRetention(std::string_view stored) {
  if (!stored.starts_with(kEnabled) || stored.size() <= kEnabled.size() + 1) return std::nullopt;
  stored.remove_prefix(kEnabled.size() + 1);
  const size_t space = stored.find(' ');
  if (space == std::string_view::npos || stored.size() < space + 3) return std::nullopt;
  DefaultRetention rule;
  rule.mode = std::string(stored.substr(0, space));
  std::string_view period = stored.substr(space + 1);
  const char unit = period.back();
  period.remove_suffix(1);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(period.data(), period.data() + period.size(), n);
  if (ec != std::errc() || ptr != period.data() + period.size() || n <= 0 ||
      !IsRetentionMode(rule.mode)) {
    return std::nullopt;
  }
  if (unit == 'd') {
    rule.days = n;
  } else if (unit == 'y') {
    rule.years = n;
  } else {
    return std::nullopt;
  }
  return rule;
}

bool RetentionActive(const ObjectLock& lock, int64_t now_s) {
  return !lock.mode.empty() && lock.until_s > now_s;
}

Status MayRemoveVersion(const ObjectLock& lock, int64_t now_s, bool bypass_governance) {
  if (lock.legal_hold) return Locked();
  if (!RetentionActive(lock, now_s)) return Status::Ok();
  if (lock.mode == kGovernance && bypass_governance) return Status::Ok();
  return Locked();
}

Status MayChangeRetention(const ObjectLock& lock, std::string_view mode, int64_t until_s,
                          int64_t now_s, bool bypass_governance) {
  if (!RetentionActive(lock, now_s)) return Status::Ok();
  const bool kept_or_longer = mode == lock.mode && until_s >= lock.until_s;
  if (kept_or_longer) return Status::Ok();
  if (lock.mode == kGovernance && bypass_governance) return Status::Ok();
  return Locked();
}

}  // namespace fsgate::store
