// S3 version ids and the names of a key's older versions on disk.
//
// A version id is 16 lowercase hex digits of (2^64 - 1 - stamp), where the
// stamp is the nanosecond wall-clock time the version was made (VersionClock:
// strictly increasing in one process, and past every version of the key).
// Inverted, so that ascending name order — what a sorted directory read gives
// — is newest first: ListObjectVersions pages through one key's history by
// reading that key's version directory in order, with no other index.
// URL-safe, fixed width (the bound is 1024 characters), and "null" is the id
// of the null version (written before versioning was enabled, or while it is
// Suspended), as S3 names it.
//
// An entry of a key's version directory (versions_dir.h) is named
//   <16 hex>            a version with that id
//   <16 hex>~null       the null version, which has no id of its own: the hex
//                       is its place in the history (when it stopped being
//                       the latest it was newer than everything before it)
//   …~marker            the same, for a delete marker (an empty file)
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace fsgate::store {

inline constexpr std::string_view kNullVersionId = "null";
inline constexpr size_t kVersionIdLength = 16;

std::string EncodeVersionId(uint64_t stamp_ns);
// The stamp of a well-formed id (not "null"); nullopt otherwise.
std::optional<uint64_t> DecodeVersionId(std::string_view id);
// A version id a request may name: "null" or a well-formed id.
inline bool IsValidVersionId(std::string_view id) {
  return id == kNullVersionId || DecodeVersionId(id).has_value();
}

struct VersionName {
  uint64_t stamp = 0;
  bool null = false;           // the null version ("null" to S3)
  bool delete_marker = false;  // an empty file standing for a delete marker
  std::string S3Id() const { return null ? std::string(kNullVersionId) : EncodeVersionId(stamp); }
};

std::string EncodeVersionName(const VersionName& name);
// nullopt for a name that is not a version entry.
std::optional<VersionName> DecodeVersionName(std::string_view name);

// Stamps of new versions: the wall clock, but strictly increasing, and past
// `at_least` (the key's latest version): a coarse or stepped-back clock never
// makes a new version sort behind an older one.
class VersionClock {
 public:
  uint64_t Next(uint64_t at_least);

 private:
  std::mutex mu_;
  uint64_t last_ = 0;
};

}  // namespace fsgate::store
