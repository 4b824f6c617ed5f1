// Striped per-key locks: operations on one bucket/key (and the pruning of one
// directory, locked under its directory-object key "dir/") are serialized, so a
// conditional write's check and its rename are one atomic step and a prune
// never removes a directory a concurrent PUT just made into a directory object.
//
// Hold at most one stripe at a time (never nest): stripes are shared by
// unrelated keys, so nesting could deadlock.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace fsgate::fsclient {

class KeyLocks {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view bucket, std::string_view key) {
    size_t h = std::hash<std::string_view>{}(bucket)*31 + std::hash<std::string_view>{}(key);
    return std::unique_lock<std::mutex>(stripes_[h % stripes_.size()]);
  }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace fsgate::fsclient
