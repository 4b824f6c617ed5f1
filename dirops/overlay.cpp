#include "dirops/overlay.h"

#include <mutex>
#include <shared_mutex>

#include "dirops/inline_file.h"

namespace fsgate::dirops {

ObjectVersion OverlayEntry::Version() const {
  ObjectVersion v;
  v.meta = meta;
  if (inline_data) {
    v.data = MakeInlineFile(inline_data, meta.mtime_ns);
  } else {
    v.data = file;
  }
  return v;
}

void Overlay::Put(const std::string& bucket, const std::string& key, OverlayEntry entry) {
  // The entry replaced is dropped after the lock is released: it may hold the
  // last reference to an open staging file, and closing it is a syscall.
  OverlayEntryPtr published = std::make_shared<const OverlayEntry>(std::move(entry));
  std::lock_guard lock(mu_);
  auto [it, inserted] = buckets_[bucket].try_emplace(key);
  std::swap(it->second, published);
  if (inserted) ++size_;
}

OverlayEntryPtr Overlay::Get(const std::string& bucket, const std::string& key) const {
  std::shared_lock lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return nullptr;
  auto it = b->second.find(key);
  if (it == b->second.end()) return nullptr;
  return it->second;
}

void Overlay::Resolve(const std::string& bucket, const std::string& key, uint64_t seq) {
  OverlayEntryPtr resolved;  // dropped after the lock is released, as in Put()
  std::lock_guard lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return;
  auto it = b->second.find(key);
  if (it == b->second.end() || it->second->seq != seq) return;
  resolved = std::move(it->second);
  b->second.erase(it);
  --size_;
  if (b->second.empty()) buckets_.erase(b);
}

OverlayRange Overlay::Range(const std::string& bucket, const std::string& prefix,
                            const std::string& marker) const {
  OverlayRange out;
  std::shared_lock lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return out;
  const auto& keys = b->second;
  auto it = marker > prefix ? keys.upper_bound(marker) : keys.lower_bound(prefix);
  for (; it != keys.end() && it->first.starts_with(prefix); ++it) out.emplace_back(*it);
  return out;
}

bool Overlay::HasCreateUnder(const std::string& bucket, const std::string& prefix) const {
  std::shared_lock lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return false;
  for (auto it = b->second.lower_bound(prefix);
       it != b->second.end() && it->first.starts_with(prefix); ++it) {
    if (!it->second->tombstone) return true;
  }
  return false;
}

size_t Overlay::size() const {
  std::shared_lock lock(mu_);
  return size_;
}

namespace {

class MergedCursor final : public KeyCursor {
 public:
  MergedCursor(OverlayRange overlay, std::unique_ptr<KeyCursor> disk)
      : overlay_(std::move(overlay)), disk_(std::move(disk)) {}

  Result<std::optional<ListEntry>> Next() override {
    for (;;) {
      if (!disk_head_ && !disk_done_) {
        auto next = disk_->Next();
        if (!next.ok()) return next.status();
        if (*next) {
          disk_head_ = std::move(*next);
        } else {
          disk_done_ = true;
        }
      }
      const bool have_overlay = pos_ < overlay_.size();
      if (!have_overlay) {
        if (!disk_head_) return std::optional<ListEntry>();
        return std::optional<ListEntry>(std::exchange(disk_head_, std::nullopt));
      }
      const auto& [key, entry] = overlay_[pos_];
      if (disk_head_ && disk_head_->key < key) {
        return std::optional<ListEntry>(std::exchange(disk_head_, std::nullopt));
      }
      // The overlay's entry is first, or it shadows the disk entry of the same key.
      if (disk_head_ && disk_head_->key == key) disk_head_.reset();
      ++pos_;
      if (entry->tombstone) continue;
      return std::optional<ListEntry>(ListEntry{key, entry->meta});
    }
  }

  void SkipPrefix(const std::string& prefix) override {
    while (pos_ < overlay_.size() && overlay_[pos_].first.starts_with(prefix)) ++pos_;
    if (disk_head_ && disk_head_->key.starts_with(prefix)) disk_head_.reset();
    disk_->SkipPrefix(prefix);
  }

 private:
  OverlayRange overlay_;
  size_t pos_ = 0;
  std::unique_ptr<KeyCursor> disk_;
  std::optional<ListEntry> disk_head_;
  bool disk_done_ = false;
};

}  // namespace

std::unique_ptr<KeyCursor> MergeOverlay(OverlayRange overlay, std::unique_ptr<KeyCursor> disk) {
  return std::make_unique<MergedCursor>(std::move(overlay), std::move(disk));
}

}  // namespace fsgate::dirops
