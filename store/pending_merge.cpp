// MergePending: a listing's walk of the directory tree with the engine's
// pending entries merged in by key (key_cursor.h).
#include <utility>

#include "store/key_cursor.h"
#include "store/meta_record.h"

namespace fsgate::store {
namespace {

class MergedCursor final : public KeyCursor {
 public:
  MergedCursor(std::vector<dirops::PendingNode> pending, std::unique_ptr<KeyCursor> disk)
      : pending_(std::move(pending)), disk_(std::move(disk)) {}

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
      const bool have_pending = pos_ < pending_.size();
      if (!have_pending) {
        if (!disk_head_) return std::optional<ListEntry>();
        return std::optional<ListEntry>(std::exchange(disk_head_, std::nullopt));
      }
      // The engine names a pending node by its key (key_path.h ObjectNode).
      const auto& [key, view] = pending_[pos_];
      if (disk_head_ && disk_head_->key < key) {
        return std::optional<ListEntry>(std::exchange(disk_head_, std::nullopt));
      }
      // The pending entry is first, or it shadows the disk entry of the same key.
      if (disk_head_ && disk_head_->key == key) disk_head_.reset();
      ++pos_;
      if (!view) continue;  // a pending unlink
      auto record = DecodeMetaRecord(view->attrs.value_or(std::string()));
      if (!record.ok()) return record.status();
      ListEntry entry{key, std::move(record->meta)};
      entry.meta.size = view->size;
      entry.meta.mtime_ns = view->mtime_ns;
      return std::optional<ListEntry>(std::move(entry));
    }
  }

  void SkipPrefix(const std::string& prefix) override {
    while (pos_ < pending_.size() && pending_[pos_].first.starts_with(prefix)) ++pos_;
    if (disk_head_ && disk_head_->key.starts_with(prefix)) disk_head_.reset();
    disk_->SkipPrefix(prefix);
  }

 private:
  std::vector<dirops::PendingNode> pending_;
  size_t pos_ = 0;
  std::unique_ptr<KeyCursor> disk_;
  std::optional<ListEntry> disk_head_;
  bool disk_done_ = false;
};

}  // namespace

std::unique_ptr<KeyCursor> MergePending(std::vector<dirops::PendingNode> pending,
                                        std::unique_ptr<KeyCursor> disk) {
  return std::make_unique<MergedCursor>(std::move(pending), std::move(disk));
}

}  // namespace fsgate::store
