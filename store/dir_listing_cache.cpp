#include "store/dir_listing_cache.h"

namespace fsgate::store {

DirListingCache::DirListingCache(size_t max_bytes, metrics::Metrics& metrics)
    : max_bytes_(max_bytes), metrics_(metrics) {}

DirListingCache::Listing DirListingCache::Find(const std::string& dir, const fs::FileStat& stamp,
                                               Etags* etags) {
  std::lock_guard lock(mu_);
  auto it = kept_.find(dir);
  bool hit =
      it != kept_.end() && it->second.ino == stamp.ino && it->second.mtime_ns == stamp.mtime_ns;
  metrics_.ListCacheLookup(hit);
  if (!hit) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  if (etags != nullptr) *etags = it->second.etags;
  return it->second.listing;
}

DirListingCache::Etags DirListingCache::Insert(const std::string& dir, const fs::FileStat& stamp,
                                               Listing listing, int64_t read_start_ns) {
  if (stamp.mtime_ns > read_start_ns - fs::kRacyMarginNs)
    return nullptr;  // racy: may change unseen
  const size_t bytes = BytesOf(dir, *listing);
  if (bytes > max_bytes_) return nullptr;
  const bool with_etags = bytes + EtagKeep::BytesFor(listing->size()) <= max_bytes_;
  std::lock_guard lock(mu_);
  // The listing this one replaces, whose ETags it carries over.
  Kept old;
  if (auto it = kept_.find(dir); it != kept_.end()) {
    old = it->second;
    EraseLocked(it, /*drop=*/false);
  }
  Etags etags = with_etags ? std::make_shared<EtagKeep>(listing->size()) : nullptr;
  EvictLocked(bytes + (etags ? etags->bytes() : 0));
  if (etags && old.etags) etags->CarryFrom(*old.listing, *old.etags, *listing);
  if (old.etags) old.etags->Drop();
  lru_.push_front(dir);
  Kept& kept = kept_[dir];
  kept = Kept{stamp.ino, stamp.mtime_ns, std::move(listing), etags, bytes, lru_.begin()};
  bytes_ += BytesOf(kept);
  EvictLocked(0);  // strings the carried ETags added
  return etags;
}

std::optional<FileAttrs> DirListingCache::FindEtag(const Etags& etags, size_t slot,
                                                   const fs::FileStat& st) {
  if (etags == nullptr) return std::nullopt;
  std::lock_guard lock(mu_);
  return etags->Find(slot, st);
}

void DirListingCache::KeepEtag(const Etags& etags, size_t slot, const fs::FileStat& st,
                               const FileAttrs& attrs, int64_t read_start_ns) {
  if (etags == nullptr || !fs::CtimeSettled(st, read_start_ns)) return;
  std::lock_guard lock(mu_);
  if (slot >= etags->slots()) return;  // dropped with its listing
  const size_t growth = etags->GrowthOf(attrs);
  if (growth > 0) {
    EvictLocked(growth);
    if (slot >= etags->slots()) return;  // its own listing was the one to go
  }
  etags->Keep(slot, st, attrs);
  bytes_ += growth;
  metrics_.SetListCacheBytes(static_cast<int64_t>(bytes_));
}

size_t DirListingCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t DirListingCache::BytesOf(const std::string& dir, const DirListing& listing) {
  // The listing, the key twice (map and LRU list) and the map's node.
  return listing.bytes() + 2 * dir.size() + 128;
}

size_t DirListingCache::BytesOf(const Kept& kept) {
  return kept.bytes + (kept.etags ? kept.etags->bytes() : 0);
}

void DirListingCache::EraseLocked(std::unordered_map<std::string, Kept>::iterator it, bool drop) {
  bytes_ -= BytesOf(it->second);
  if (drop && it->second.etags) it->second.etags->Drop();
  lru_.erase(it->second.lru);
  kept_.erase(it);
}

void DirListingCache::EvictLocked(size_t need) {
  while (!lru_.empty() && bytes_ + need > max_bytes_) EraseLocked(kept_.find(lru_.back()));
  metrics_.SetListCacheBytes(static_cast<int64_t>(bytes_));
}

}  // namespace fsgate::store
