#include "store/dir_listing_cache.h"

namespace fsgate::store {

DirListingCache::DirListingCache(size_t max_bytes, metrics::Metrics& metrics)
    : max_bytes_(max_bytes), metrics_(metrics) {}

DirListingCache::Listing DirListingCache::Find(const std::string& dir, const fs::FileStat& stamp) {
  std::lock_guard lock(mu_);
  auto it = kept_.find(dir);
  bool hit =
      it != kept_.end() && it->second.ino == stamp.ino && it->second.mtime_ns == stamp.mtime_ns;
  metrics_.ListCacheLookup(hit);
  if (!hit) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.listing;
}

void DirListingCache::Insert(const std::string& dir, const fs::FileStat& stamp, Listing listing,
                             int64_t read_start_ns) {
  if (stamp.mtime_ns > read_start_ns - kRacyMarginNs) return;  // racy: may change unseen
  size_t bytes = BytesOf(dir, *listing);
  if (bytes > max_bytes_) return;
  std::lock_guard lock(mu_);
  if (auto it = kept_.find(dir); it != kept_.end()) {
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    kept_.erase(it);
  }
  EvictLocked(bytes);
  lru_.push_front(dir);
  kept_.emplace(dir, Kept{stamp.ino, stamp.mtime_ns, std::move(listing), bytes, lru_.begin()});
  bytes_ += bytes;
  metrics_.SetListCacheBytes(static_cast<int64_t>(bytes_));
}

std::optional<DirListingCache::FileAttrs> DirListingCache::FindEtag(const fs::FileStat& st) {
  if (st.ctime_ns == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = etags_.find(st.ino);
  if (it == etags_.end() || it->second.mtime_ns != st.mtime_ns ||
      it->second.ctime_ns != st.ctime_ns || it->second.size != st.size) {
    return std::nullopt;
  }
  return it->second.attrs;
}

void DirListingCache::KeepEtag(const fs::FileStat& st, FileAttrs attrs, int64_t read_start_ns) {
  if (st.ctime_ns == 0 || st.ctime_ns > read_start_ns - kRacyMarginNs) return;
  // The map node, the key and the value with its strings' heap blocks.
  const auto heap = [](const std::string& s) { return s.size() > 15 ? s.size() + 1 : 0; };
  const size_t bytes = 64 + sizeof(KeptEtag) + heap(attrs.etag) + heap(attrs.acl);
  if (bytes > max_bytes_ / 2) return;
  std::lock_guard lock(mu_);
  if (etag_bytes_ + bytes > max_bytes_ / 2) {
    bytes_ -= etag_bytes_;
    etag_bytes_ = 0;
    etags_.clear();
  }
  auto [it, added] = etags_.insert_or_assign(
      st.ino, KeptEtag{st.mtime_ns, st.ctime_ns, st.size, std::move(attrs)});
  if (added) {
    etag_bytes_ += bytes;
    bytes_ += bytes;
  }
  EvictLocked(0);
}

size_t DirListingCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t DirListingCache::BytesOf(const std::string& dir, const DirListing& listing) {
  // The listing, the key twice (map and LRU list) and the map's node.
  return listing.bytes() + 2 * dir.size() + 128;
}

void DirListingCache::EvictLocked(size_t need) {
  while (!lru_.empty() && bytes_ + need > max_bytes_) {
    auto it = kept_.find(lru_.back());
    bytes_ -= it->second.bytes;
    kept_.erase(it);
    lru_.pop_back();
  }
  metrics_.SetListCacheBytes(static_cast<int64_t>(bytes_));
}

}  // namespace fsgate::store
