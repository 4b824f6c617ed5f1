#include "store/key_cursor.h"
#include "base/utf8.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "store/key_path.h"
#include "store/nested_key.h"
#include "store/object_meta_codec.h"

namespace fsgate::store {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Errors that mean "this name is gone or is not an object": skipped, not reported.
bool IsVanished(const Status& s) {
  return s.IsErrno(ENOENT) || s.IsErrno(ENOTDIR) || s.IsErrno(ELOOP) || s.IsErrno(EISDIR) ||
         s.IsErrno(EINVAL);
}

using Entry = DirListing::Entry;

int64_t RealtimeNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DirKeyCursor final : public KeyCursor {
 public:
  DirKeyCursor(fs::Backend& backend, std::string bucket, std::string prefix, std::string marker,
               DirListingCache* cache, bool nested_keys)
      : backend_(backend),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        marker_(std::move(marker)),
        cache_(cache),
        nested_keys_(nested_keys) {
    // Start in the deepest directory the prefix names: "photos/ja" -> "photos/".
    std::string start = prefix_.substr(0, prefix_.rfind('/') + 1);
    if (!start.empty() && !ValidateKey(start).ok()) return;  // no valid key lies under it
    Frame frame;
    frame.dir = start.empty() ? bucket_ : ObjectPath(bucket_, start);
    frame.key_prefix = start;
    stack_.push_back(std::move(frame));
    // The start directory may itself be a directory object ("photos/" for prefix "photos/").
    check_start_dir_ = !start.empty() && start == prefix_ && start > marker_;
  }

  Result<std::optional<ListEntry>> Next() override {
    if (check_start_dir_) {
      check_start_dir_ = false;
      auto st = backend_.Stat(stack_.front().dir);
      if (!st.ok() || !st->is_dir) return std::optional<ListEntry>();
      auto entry = DirObjectEntry(stack_.front().dir, stack_.front().key_prefix);
      if (!entry.ok() || entry->has_value()) return entry;
    }
    while (!stack_.empty()) {
      Frame& frame = stack_.back();
      if (frame.handle == nullptr) {
        Status s = Load(frame);
        if (!s.ok()) {
          if (IsVanished(s)) {
            stack_.pop_back();
            continue;
          }
          return s;
        }
      }
      if (frame.next == frame.entries->size()) {
        stack_.pop_back();
        continue;
      }
      const size_t slot = frame.next++;
      const Entry item = (*frame.entries)[slot];
      if (!StartsWith(item.sort_name, frame.rel_prefix)) {
        frame.next = frame.entries->size();  // sorted: no later entry is in the prefix
        continue;
      }
      std::string key = frame.key_prefix;
      key += item.sort_name;
      if (!InRange(key, item.is_dir)) continue;
      if (!skip_.empty() && StartsWith(key, skip_)) continue;
      if (item.nested) {
        // The directory's own object, at "a" in key order ("a" < "a!" < "a/").
        auto dir = backend_.OpenDir(frame.dir + "/" + std::string(item.sort_name));
        if (!dir.ok()) {
          if (IsVanished(dir.status())) continue;
          return dir.status();
        }
        auto entry =
            FileEntry(**dir, std::string(kNestedObjectName), std::move(key), frame.etags, slot);
        if (!entry.ok() || entry->has_value()) return entry;
        continue;
      }
      std::string name(item.is_dir ? item.sort_name.substr(0, item.sort_name.size() - 1)
                                   : item.sort_name);
      if (item.is_dir) {
        std::string path = frame.dir + "/" + name;
        // `frame` is invalidated by the push below.
        bool emit_dir = StartsWith(key, prefix_) && key > marker_;
        Frame child;
        child.dir = path;
        child.key_prefix = key;
        stack_.push_back(std::move(child));
        if (!emit_dir) continue;
        auto entry = DirObjectEntry(path, key);
        if (!entry.ok() || entry->has_value()) return entry;
        continue;
      }
      auto entry = FileEntry(*frame.handle, name, std::move(key), frame.etags, slot);
      if (!entry.ok() || entry->has_value()) return entry;
    }
    return std::optional<ListEntry>();
  }

  void SkipPrefix(const std::string& prefix) override {
    skip_ = prefix;
    while (!stack_.empty() && StartsWith(stack_.back().key_prefix, prefix)) stack_.pop_back();
  }

 private:
  struct Frame {
    std::string dir;                  // backend path
    std::string key_prefix;           // key of the directory plus "/", "" at the bucket
    std::unique_ptr<fs::Dir> handle;  // null until loaded
    DirListingCache::Listing entries;
    DirListingCache::Etags etags;  // of `entries`, by index; null when not kept
    size_t next = 0;
    std::string rel_prefix;  // what every listed name here starts with
  };

  // Whether a key (a subtree "a/" when is_dir) can hold keys in range: inside
  // the prefix and not wholly at or before the marker.
  bool InRange(const std::string& key, bool is_dir) const {
    bool in_prefix = StartsWith(key, prefix_) || (is_dir && StartsWith(prefix_, key));
    if (!in_prefix) return false;
    return key > marker_ || (is_dir && StartsWith(marker_, key));
  }

  // Opens a directory and finds its sorted entries (kept, or read and kept),
  // then places the frame at the first entry that can be in range: a page
  // deep into a large directory costs a binary search, not a scan.
  Status Load(Frame& frame) {
    auto handle = backend_.OpenDir(frame.dir);
    if (!handle.ok()) return handle.status();
    frame.handle = std::move(*handle);
    auto stamp = frame.handle->Stat();
    if (!stamp.ok()) return stamp.status();
    if (cache_ != nullptr) frame.entries = cache_->Find(frame.dir, *stamp, &frame.etags);
    if (frame.entries == nullptr) {
      int64_t read_start = RealtimeNs();
      auto entries = ReadSorted(frame);
      if (!entries.ok()) return entries.status();
      frame.entries = std::move(*entries);
      if (cache_ != nullptr)
        frame.etags = cache_->Insert(frame.dir, *stamp, frame.entries, read_start);
    }
    if (StartsWith(prefix_, frame.key_prefix))
      frame.rel_prefix = prefix_.substr(frame.key_prefix.size());
    // The first name that can sort after the marker: its component in this
    // directory, with its "/" when it goes deeper ("a/" for marker "a/b").
    std::string from = frame.rel_prefix;
    if (StartsWith(marker_, frame.key_prefix)) {
      std::string rel = marker_.substr(frame.key_prefix.size());
      size_t slash = rel.find('/');
      if (slash != std::string::npos) rel.resize(slash + 1);
      from = std::max(from, rel);
    } else if (marker_ > frame.key_prefix) {
      frame.next = frame.entries->size();  // the whole directory is at or before the marker
      return Status::Ok();
    }
    frame.next = frame.entries->LowerBound(from);
    return Status::Ok();
  }

  // Every entry of the directory that may be an object or hold objects,
  // sorted by sort_name (the whole directory, whatever this listing's
  // prefix and marker: the kept listing serves every later page).
  Result<DirListingCache::Listing> ReadSorted(const Frame& frame) {
    DirListing::Builder entries;
    Status read = frame.handle->ForEach([&](std::string_view name, fs::DirEntry::Type type) {
      if (frame.key_prefix.empty() && name == kInternalDir) return;
      if (name == kNestedObjectName) return;  // listed as its directory's key
      if (!IsValidUtf8(name)) return;
      bool is_dir;
      switch (type) {
        case fs::DirEntry::Type::kRegular:
          is_dir = false;
          break;
        case fs::DirEntry::Type::kDirectory:
          is_dir = true;
          break;
        case fs::DirEntry::Type::kUnknown: {
          auto st = frame.handle->StatAt(std::string(name));
          if (!st.ok() || (!st->is_dir && !st->is_regular)) return;
          is_dir = st->is_dir;
          break;
        }
        default:
          return;  // symlinks and special files are not objects
      }
      if (!is_dir && frame.key_prefix.size() + name.size() > kMaxKeyBytes) return;
      // A directory may hold the object of its own name (nested_key.h): a
      // place for it, found or not when the walk reaches it (one stat).
      if (is_dir && nested_keys_) entries.Add(name, false, true);
      entries.Add(name, is_dir);
    });
    if (!read.ok()) return read;
    return std::move(entries).Finish();
  }

  Result<std::optional<ListEntry>> DirObjectEntry(const std::string& path, const std::string& key) {
    if (key.size() > kMaxKeyBytes) return std::optional<ListEntry>();
    auto meta = ReadDirObjectMeta(backend_, path);
    if (!meta.ok()) {
      if (IsVanished(meta.status())) return std::optional<ListEntry>();
      return meta.status();
    }
    if (!meta->has_value()) return std::optional<ListEntry>();
    return std::optional<ListEntry>(ListEntry{key, std::move(**meta)});
  }

  // Size and mtime from a stat of the name now, the ETag kept (in `slot` of
  // `etags`) for exactly that stat or read from its xattr: nothing listed
  // here can be stale.
  Result<std::optional<ListEntry>> FileEntry(fs::Dir& dir, const std::string& name, std::string key,
                                             const DirListingCache::Etags& etags, size_t slot) {
    auto st = dir.StatAt(name);
    if (!st.ok()) {
      if (IsVanished(st.status())) return std::optional<ListEntry>();
      return st.status();
    }
    if (!st->is_regular) return std::optional<ListEntry>();  // replaced by a directory or link
    ListEntry entry;
    if (auto kept = cache_ != nullptr ? cache_->FindEtag(etags, slot, *st) : std::nullopt) {
      entry.meta.etag = std::move(kept->etag);
      entry.meta.acl = std::move(kept->acl);
    } else {
      int64_t read_start = RealtimeNs();
      if (Status s = ReadEntryEtag(dir, name, *st, entry.meta); !s.ok()) {
        if (IsVanished(s)) return std::optional<ListEntry>();
        return s;
      }
      if (cache_ != nullptr) {
        cache_->KeepEtag(etags, slot, *st, {entry.meta.etag, entry.meta.acl}, read_start);
      }
    }
    entry.key = std::move(key);
    entry.meta.size = st->size;
    entry.meta.mtime_ns = st->mtime_ns;
    return std::optional<ListEntry>(std::move(entry));
  }

  fs::Backend& backend_;
  const std::string bucket_;
  const std::string prefix_;
  const std::string marker_;
  DirListingCache* const cache_;
  const bool nested_keys_;
  std::string skip_;
  std::vector<Frame> stack_;
  bool check_start_dir_ = false;
};

}  // namespace

std::unique_ptr<KeyCursor> MakeDirKeyCursor(fs::Backend& backend, std::string bucket,
                                            std::string prefix, std::string marker,
                                            DirListingCache* cache, bool nested_keys) {
  return std::make_unique<DirKeyCursor>(backend, std::move(bucket), std::move(prefix),
                                        std::move(marker), cache, nested_keys);
}

}  // namespace fsgate::store
