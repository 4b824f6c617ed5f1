// BucketGate: DeleteBucket against the writes into that bucket.
//
// Writes (PutObject, CopyObject, CreateMultipartUpload, CompleteMultipartUpload,
// DeleteObject) hold their bucket's gate shared while they publish; DeleteBucket
// holds it exclusively from its drain of pending ops to the removal of the
// bucket's multipart uploads. So no write is answered in between, where it
// would be lost with the directory: it lands before (and the bucket is not
// empty, or the upload is discarded with it) or after (and there is no bucket).
// Striped like KeyLocks: buckets sharing a stripe only wait for each other
// while a DeleteBucket runs.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string_view>

namespace fsgate::store {

class BucketGate {
 public:
  std::shared_lock<std::shared_mutex> Write(std::string_view bucket) {
    return std::shared_lock<std::shared_mutex>(Stripe(bucket));
  }
  std::unique_lock<std::shared_mutex> Delete(std::string_view bucket) {
    return std::unique_lock<std::shared_mutex>(Stripe(bucket));
  }

 private:
  std::shared_mutex& Stripe(std::string_view bucket) {
    return stripes_[std::hash<std::string_view>{}(bucket) % stripes_.size()];
  }
  std::array<std::shared_mutex, 64> stripes_;
};

}  // namespace fsgate::store
