#include "fsclient/key_cursor.h"
#include "base/utf8.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "fsclient/key_path.h"
#include "fsclient/object_meta_codec.h"

namespace fsgate::fsclient {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Errors that mean "this name is gone or is not an object": skipped, not reported.
bool IsVanished(const Status& s) {
  return s.IsErrno(ENOENT) || s.IsErrno(ENOTDIR) || s.IsErrno(ELOOP) || s.IsErrno(EISDIR) ||
         s.IsErrno(EINVAL);
}

class DirKeyCursor final : public KeyCursor {
 public:
  DirKeyCursor(fs::Backend& backend, std::string bucket, std::string prefix, std::string marker)
      : backend_(backend),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        marker_(std::move(marker)) {
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
      if (!frame.loaded) {
        Status s = Load(frame);
        if (!s.ok()) {
          if (IsVanished(s)) {
            stack_.pop_back();
            continue;
          }
          return s;
        }
      }
      if (frame.next == frame.items.size()) {
        stack_.pop_back();
        continue;
      }
      const Item& item = frame.items[frame.next++];
      std::string key = frame.key_prefix + item.sort_name;
      if (!skip_.empty() && StartsWith(key, skip_)) continue;
      std::string path = frame.dir + "/" + item.Name();
      if (item.is_dir) {
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
      auto entry = FileEntry(path, std::move(key));
      if (!entry.ok() || entry->has_value()) return entry;
    }
    return std::optional<ListEntry>();
  }

  void SkipPrefix(const std::string& prefix) override {
    skip_ = prefix;
    while (!stack_.empty() && StartsWith(stack_.back().key_prefix, prefix)) stack_.pop_back();
  }

 private:
  struct Item {
    std::string sort_name;  // the name, plus "/" for a directory
    bool is_dir = false;
    std::string Name() const {
      return is_dir ? sort_name.substr(0, sort_name.size() - 1) : sort_name;
    }
  };
  struct Frame {
    std::string dir;         // backend path
    std::string key_prefix;  // key of the directory plus "/", "" at the bucket
    std::vector<Item> items;
    size_t next = 0;
    bool loaded = false;
  };

  // Reads and sorts one directory, keeping only entries that can hold keys in
  // range: inside the prefix and not wholly at or before the marker.
  Status Load(Frame& frame) {
    frame.loaded = true;
    auto entries = backend_.ReadDir(frame.dir);
    if (!entries.ok()) return entries.status();
    for (auto& entry : *entries) {
      if (frame.key_prefix.empty() && entry.name == kInternalDir) continue;
      if (!IsValidUtf8(entry.name)) continue;
      bool is_dir;
      switch (entry.type) {
        case fs::DirEntry::Type::kRegular:
          is_dir = false;
          break;
        case fs::DirEntry::Type::kDirectory:
          is_dir = true;
          break;
        case fs::DirEntry::Type::kUnknown: {
          auto st = backend_.Stat(frame.dir + "/" + entry.name);
          if (!st.ok() || (!st->is_dir && !st->is_regular)) continue;
          is_dir = st->is_dir;
          break;
        }
        default:
          continue;  // symlinks and special files are not objects
      }
      std::string key = frame.key_prefix + entry.name + (is_dir ? "/" : "");
      if (key.size() > kMaxKeyBytes && !is_dir) continue;
      bool in_prefix = StartsWith(key, prefix_) || (is_dir && StartsWith(prefix_, key));
      if (!in_prefix) continue;
      // A subtree "a/" holds keys after the marker unless it sorts wholly before it.
      bool after_marker = key > marker_ || (is_dir && StartsWith(marker_, key));
      if (!after_marker) continue;
      frame.items.push_back(Item{entry.name + (is_dir ? "/" : ""), is_dir});
    }
    std::sort(frame.items.begin(), frame.items.end(),
              [](const Item& a, const Item& b) { return a.sort_name < b.sort_name; });
    return Status::Ok();
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

  Result<std::optional<ListEntry>> FileEntry(const std::string& path, std::string key) {
    auto file = backend_.Open(path, fs::Backend::OpenMode::kRead);
    if (!file.ok()) {
      if (IsVanished(file.status())) return std::optional<ListEntry>();
      return file.status();
    }
    auto st = (*file)->Stat();
    if (!st.ok()) return st.status();
    auto etag = ReadObjectEtag(**file, *st);
    if (!etag.ok()) return etag.status();
    ListEntry entry;
    entry.key = std::move(key);
    entry.meta.etag = std::move(*etag);
    entry.meta.size = st->size;
    entry.meta.mtime_ns = st->mtime_ns;
    return std::optional<ListEntry>(std::move(entry));
  }

  fs::Backend& backend_;
  const std::string bucket_;
  const std::string prefix_;
  const std::string marker_;
  std::string skip_;
  std::vector<Frame> stack_;
  bool check_start_dir_ = false;
};

}  // namespace

std::unique_ptr<KeyCursor> MakeDirKeyCursor(fs::Backend& backend, std::string bucket,
                                            std::string prefix, std::string marker) {
  return std::make_unique<DirKeyCursor>(backend, std::move(bucket), std::move(prefix),
                                        std::move(marker));
}

}  // namespace fsgate::fsclient
