// BucketCache: bucket attributes by name, so that authorizing a request costs
// a stat of the bucket's directory instead of a read of its record.
//
// An entry holds only while the directory keeps the inode number it had when
// the record was read: a bucket deleted and made again elsewhere (another
// program, another gateway) is read afresh. Here, CreateBucket and
// DeleteBucket forget the name, and a lookup that began before a Forget
// does not put back what it read (the record may be gone or replaced, and
// the new directory may reuse the old inode number).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/object_store.h"

namespace fsgate::store {

class BucketCache {
 public:
  struct Lookup {
    std::optional<BucketInfo> info;  // set on a hit
    uint64_t generation = 0;         // hand back to Put on a miss
  };

  Lookup Find(const std::string& bucket, uint64_t dir_ino) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(bucket);
    if (it != entries_.end() && it->second.dir_ino == dir_ino)
      return {it->second.info, generation_};
    return {std::nullopt, generation_};
  }

  void Put(uint64_t generation, uint64_t dir_ino, const BucketInfo& info) {
    std::lock_guard lock(mu_);
    if (generation == generation_) entries_.insert_or_assign(info.name, Entry{dir_ino, info});
  }

  void Forget(const std::string& bucket) {
    std::lock_guard lock(mu_);
    entries_.erase(bucket);
    ++generation_;
  }

 private:
  struct Entry {
    uint64_t dir_ino = 0;
    BucketInfo info;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace fsgate::store
