#include "auth/policy_cache.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace fsgate::auth {

Result<std::shared_ptr<const BucketPolicy>> CachedBucketPolicy(std::string_view text,
                                                               std::string_view bucket) {
  // The bucket is part of the key: a policy's Resources are checked against it.
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<const BucketPolicy>> cache;
  std::string key;
  key.reserve(bucket.size() + 1 + text.size());
  key.append(bucket).append(1, '\0').append(text);
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto parsed = ParseBucketPolicy(text, bucket);
  if (!parsed.ok()) return parsed.status();
  auto policy = std::make_shared<const BucketPolicy>(std::move(*parsed));
  std::lock_guard lock(mutex);
  if (cache.size() >= kMaxCachedPolicies) cache.clear();
  cache.emplace(std::move(key), policy);
  return policy;
}

}  // namespace fsgate::auth
