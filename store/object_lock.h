// S3 Object Lock: the bucket's lock configuration as stored with the bucket,
// and the rules that decide whether a version may be removed or its
// retention changed. Pure functions of what a version's record holds
// (ObjectMeta::lock) and the clock, so the
// gateway decides with one reading of the version and tests need no server.
//
// Retention is kept per version, in the version's metadata record
// (meta_record.h, format 6), so it moves with the version into the history
// and stays on the plain file of the latest version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/object_store.h"

namespace fsgate::store {

inline constexpr std::string_view kGovernance = "GOVERNANCE";
inline constexpr std::string_view kCompliance = "COMPLIANCE";

// A retention mode as S3 spells it, case-sensitive as AWS checks it.
bool IsRetentionMode(std::string_view mode);

// The default retention of a bucket's ObjectLockConfiguration rule: Days
// xor Years, positive.
struct DefaultRetention {
  std::string mode;
  int64_t days = 0;
  int64_t years = 0;
  // When a version written at `now_s` is retained until: a year is 365 days,
  // as Ceph RGW counts it.
  int64_t UntilFrom(int64_t now_s) const;
};

// BucketAttributes::object_lock: "Enabled" (lock on, no default rule) or
// "Enabled <MODE> <N>d|<N>y"; empty: the bucket has no object lock.
std::string EncodeBucketObjectLock(const std::optional<DefaultRetention>& rule);
// The default rule of a stored configuration (nullopt: none, or no lock).
std::optional<DefaultRetention> DecodeDefaultRetention(std::string_view stored);

// Whether the retention of `lock` holds at `now_s`.
bool RetentionActive(const ObjectLock& lock, int64_t now_s);

// May a version locked by `lock` be removed for good (DeleteObject with versionId)?
// A legal hold keeps it; so does retention until its date: COMPLIANCE
// always, GOVERNANCE unless `bypass_governance` (the header and the
// s3:BypassGovernanceRetention permission). AccessDenied otherwise.
[[nodiscard]] Status MayRemoveVersion(const ObjectLock& lock, int64_t now_s,
                                      bool bypass_governance);

// May the retention `lock` become `mode` until `until_s` (mode empty:
// removed)? While it holds, COMPLIANCE may only be lengthened, keeping its
// mode; GOVERNANCE may be lengthened or kept, anything else (shorter,
// removed, another mode) needs the bypass. AccessDenied otherwise.
[[nodiscard]] Status MayChangeRetention(const ObjectLock& lock, std::string_view mode,
                                        int64_t until_s, int64_t now_s, bool bypass_governance);

}  // namespace fsgate::store
