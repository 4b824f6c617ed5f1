// The keys of a versioned bucket's history (versions_dir.h), in S3 key order,
// and the union of two key cursors: ListObjectVersions walks the bucket's
// keys merged with the keys that have older versions, one key at a time.
#include <algorithm>

#include "fs/backend_util.h"
#include "store/key_cursor.h"
#include "store/versions_dir.h"

namespace fsgate::store {
namespace {

// A key's directory holds its version entries (files) and the directories of
// the keys below it. Within one directory, key "…/n" sorts at "n" and the keys
// under it at "n/", as in DirKeyCursor; a directory is read when the walk
// reaches it, and never when it lies wholly before the marker, outside the
// prefix or under a skipped prefix.
class HistoryKeyCursor final : public KeyCursor {
 public:
  HistoryKeyCursor(fs::Backend& backend, std::string root, std::string prefix, std::string marker)
      : backend_(backend),
        root_(std::move(root)),
        prefix_(std::move(prefix)),
        marker_(std::move(marker)) {}

  Result<std::optional<ListEntry>> Next() override {
    if (!started_) {
      started_ = true;
      if (Status s = Push(root_, ""); !s.ok()) return s;
    }
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.next == top.items.size()) {
        stack_.pop_back();
        continue;
      }
      const Item item = top.items[top.next++];
      const std::string dir = top.dir + "/" + item.name;
      const std::string key = top.key.empty() ? item.name : top.key + "/" + item.name;
      if (item.subtree) {
        if (!WantSubtree(key + "/")) continue;
        if (Status s = Push(dir, key); !s.ok()) return s;
        continue;
      }
      if (!WantKey(key)) continue;
      auto names = ReadVersionNames(backend_, dir);
      if (!names.ok()) return names.status();
      if (names->empty()) continue;
      ListEntry entry;
      entry.key = key;
      return std::optional<ListEntry>(std::move(entry));
    }
    return std::optional<ListEntry>();
  }

  void SkipPrefix(const std::string& prefix) override { skipped_.push_back(prefix); }

 private:
  struct Item {
    std::string name;
    bool subtree = false;
  };
  struct Frame {
    std::string dir, key;
    std::vector<Item> items;
    size_t next = 0;
  };

  Status Push(const std::string& dir, const std::string& key) {
    auto entries = backend_.ReadDir(dir);
    if (!entries.ok()) return fs::IsMissing(entries.status()) ? Status::Ok() : entries.status();
    Frame frame{dir, key, {}, 0};
    for (const auto& e : *entries) {
      if (e.type != fs::DirEntry::Type::kDirectory && e.type != fs::DirEntry::Type::kUnknown) {
        continue;
      }
      if (e.type == fs::DirEntry::Type::kUnknown) {
        auto st = backend_.Stat(dir + "/" + e.name);
        if (!st.ok() || !st->is_dir) continue;
      }
      frame.items.push_back({e.name, false});
      frame.items.push_back({e.name, true});
    }
    std::sort(frame.items.begin(), frame.items.end(), [](const Item& a, const Item& b) {
      return (a.subtree ? a.name + "/" : a.name) < (b.subtree ? b.name + "/" : b.name);
    });
    stack_.push_back(std::move(frame));
    return Status::Ok();
  }

  bool Skipped(const std::string& s) const {
    return std::any_of(skipped_.begin(), skipped_.end(),
                       [&s](const std::string& p) { return s.starts_with(p); });
  }
  bool WantKey(const std::string& key) const {
    return key.starts_with(prefix_) && key > marker_ && !Skipped(key);
  }
  // `under` ends in '/': every key of the subtree starts with it.
  bool WantSubtree(const std::string& under) const {
    if (!under.starts_with(prefix_) && !prefix_.starts_with(under)) return false;
    if (marker_ > under && !marker_.starts_with(under)) return false;  // wholly before it
    return !Skipped(under);
  }

  fs::Backend& backend_;
  const std::string root_, prefix_, marker_;
  bool started_ = false;
  std::vector<Frame> stack_;
  std::vector<std::string> skipped_;
};

// Each key once, from whichever cursor has it (the first's entry when both do).
class UnionKeyCursor final : public KeyCursor {
 public:
  UnionKeyCursor(std::unique_ptr<KeyCursor> a, std::unique_ptr<KeyCursor> b)
      : a_(std::move(a)), b_(std::move(b)) {}

  Result<std::optional<ListEntry>> Next() override {
    if (Status s = Fill(*a_, head_a_); !s.ok()) return s;
    if (Status s = Fill(*b_, head_b_); !s.ok()) return s;
    std::optional<ListEntry> out;
    if (*head_a_ && (!*head_b_ || (*head_a_)->key <= (*head_b_)->key)) {
      if (*head_b_ && (*head_b_)->key == (*head_a_)->key) head_b_.reset();
      out = std::move(*head_a_);
      head_a_.reset();
    } else if (*head_b_) {
      out = std::move(*head_b_);
      head_b_.reset();
    }
    return out;
  }

  void SkipPrefix(const std::string& prefix) override {
    a_->SkipPrefix(prefix);
    b_->SkipPrefix(prefix);
    for (auto* head : {&head_a_, &head_b_}) {
      if (*head && **head && (**head)->key.starts_with(prefix)) head->reset();
    }
  }

 private:
  // Reads the cursor's next key into `head` unless one is waiting there.
  static Status Fill(KeyCursor& cursor, std::optional<std::optional<ListEntry>>& head) {
    if (head) return Status::Ok();
    auto next = cursor.Next();
    if (!next.ok()) return next.status();
    head = std::move(*next);
    return Status::Ok();
  }

  std::unique_ptr<KeyCursor> a_, b_;
  // nullopt: not read yet; an empty optional inside: that cursor is at its end.
  std::optional<std::optional<ListEntry>> head_a_, head_b_;
};

}  // namespace

std::unique_ptr<KeyCursor> MakeHistoryKeyCursor(fs::Backend& backend, const std::string& bucket,
                                                std::string prefix, std::string marker) {
  return std::make_unique<HistoryKeyCursor>(backend, VersionsRootOf(bucket), std::move(prefix),
                                            std::move(marker));
}

std::unique_ptr<KeyCursor> UnionKeys(std::unique_ptr<KeyCursor> a, std::unique_ptr<KeyCursor> b) {
  return std::make_unique<UnionKeyCursor>(std::move(a), std::move(b));
}

}  // namespace fsgate::store
