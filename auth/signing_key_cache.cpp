#include "auth/signing_key_cache.h"

#include "auth/sigv4_canonical.h"

namespace fsgate::auth {

std::string SigningKeyCache::Get(std::string_view secret_key, std::string_view date,
                                 std::string_view region, std::string_view service) {
  const ScopeView scope(secret_key, date, region, service);
  {
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(scope); it != keys_.end()) return it->second;
  }
  // Derived outside the lock: two threads missing at once both derive the
  // same key, and the second insert finds the first's.
  std::string key = sigv4::SigningKey(secret_key, date, region, service);
  std::lock_guard lock(mutex_);
  if (keys_.size() >= kCapacity) keys_.clear();
  keys_.emplace(Scope(secret_key, date, region, service), key);
  return key;
}

size_t SigningKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

SigningKeyCache& SigningKeyCache::Shared() {
  // Never destroyed: a connection thread may still verify a request while
  // the process exits.
  static SigningKeyCache* const cache = new SigningKeyCache;
  return *cache;
}

}  // namespace fsgate::auth
