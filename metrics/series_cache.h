// SeriesCache: the labelled series of one family, looked up without touching
// prometheus-cpp's Family::Add (which takes the family's lock and hashes a whole
// std::map of labels) once a label set has been seen.
//
// Lookups take a shared lock; only the first use of a label set takes the
// exclusive one. Values are plain pointers into the family, which never removes
// a series, so they stay valid for the life of the registry.
#pragma once

#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace fsgate::metrics {

// Hash/equality that let a std::string-keyed map be searched by string_view
// without building a std::string (C++20 heterogeneous lookup).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename Key, typename Value, typename Hash = std::hash<Key>,
          typename Equal = std::equal_to<>>
class SeriesCache {
 public:
  // Returns the cached value for `key`, or stores and returns make() for it.
  template <typename K, typename Make>
  Value Get(const K& key, Make&& make) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = map_.find(key); it != map_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(Key(key), make()).first;
    return it->second;
  }

 private:
  std::shared_mutex mutex_;
  std::unordered_map<Key, Value, Hash, Equal> map_;
};

}  // namespace fsgate::metrics
