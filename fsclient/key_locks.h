// Striped per-key locks: operations on one bucket/key (and the pruning of one
// directory, locked under its directory-object key "dir/") are serialized, so a
// conditional write's check and its rename are one atomic step and a prune
// never removes a directory a concurrent PUT just made into a directory object.
//
// Hold one stripe with Lock(), or a set of stripes taken all at once with
// LockMany(); never take a stripe while holding another. Stripes are shared by
// unrelated keys, and a holder may wait for the applier, which takes stripes
// to prune: nesting could deadlock. LockMany never blocks while it holds any.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fsgate::fsclient {

class KeyLocks {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view bucket, std::string_view key) {
    return std::unique_lock<std::mutex>(stripes_[Stripe(bucket, key)]);
  }

  // The stripes of every key in `keys`, held until the returned locks go.
  std::vector<std::unique_lock<std::mutex>> LockMany(std::string_view bucket,
                                                     const std::vector<std::string>& keys);

 private:
  static size_t Stripe(std::string_view bucket, std::string_view key) {
    size_t h = std::hash<std::string_view>{}(bucket)*31 + std::hash<std::string_view>{}(key);
    return h % kStripes;
  }
  static constexpr size_t kStripes = 256;
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace fsgate::fsclient
