// --key-conflicts nest: an object "a" beside objects under "a/" (layout and
// crash reasoning: nested_key.h; locks: nest_locks.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

#include "base/log_text.h"
#include "fs/backend_util.h"
#include "store/fs_object_store.h"
#include "store/key_path.h"
#include "store/nested_key.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

// Each round of a nesting publish either lands or moves one file out of the
// way first; more rounds than a key has components mean writers racing it.
constexpr int kMaxNestRounds = 8;

bool IsNameConflict(const Status& s) { return s.Is(StatusCode::kAlreadyExists); }

// Removes the directories a move made above `temp` up to the nest root (held
// off for the bucket's other moves by its move lock), best effort: a later
// move of a key beneath ("a/b" after "a") needs a file where they stood.
void PruneTempDirs(fs::Backend& backend, const std::string& root, const std::string& temp) {
  for (std::string dir = fs::ParentPath(temp); dir.size() > root.size() && dir.starts_with(root);
       dir = fs::ParentPath(dir)) {
    if (!backend.Rmdir(dir).ok()) return;
  }
}

}  // namespace

size_t NestLocks::KeySlot(const std::string& bucket, const std::string& key) {
  return std::hash<std::string>{}(bucket + "/" + key) % 256;
}

size_t NestLocks::BucketSlot(const std::string& bucket) {
  return std::hash<std::string>{}(bucket) % 16;
}

std::vector<std::unique_lock<std::mutex>> NestLocks::LockKeys(
    const std::string& bucket, const std::vector<std::string>& keys) {
  std::vector<size_t> slots;
  slots.reserve(keys.size());
  for (const std::string& key : keys) slots.push_back(KeySlot(bucket, key));
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(slots.size());
  for (size_t slot : slots) held.emplace_back(keys_[slot]);
  return held;
}

dirops::NodePath FsObjectStore::KeyNode(const std::string& bucket, const std::string& key) {
  if (options_.nest_key_conflicts && !IsDirectoryKey(key)) {
    dirops::NodePath nested = NestedNode(bucket, key);
    if (ns_->Find(nested).ok()) return nested;
  }
  return ObjectNode(bucket, key);
}

Result<dirops::NodeView> FsObjectStore::FindNode(const std::string& bucket, const std::string& key,
                                                 dirops::NodePath& node) {
  node = ObjectNode(bucket, key);
  const uint64_t epoch = nest_locks_.MoveEpoch();
  auto view = ns_->Find(node);
  if (view.ok() || !options_.nest_key_conflicts || IsDirectoryKey(key) ||
      !view.status().Is(StatusCode::kNotFound)) {
    return view;
  }
  for (int look = 0; look < 2; ++look) {
    dirops::NodePath nested = NestedNode(bucket, key);
    if (auto found = ns_->Find(nested); found.ok() || !found.status().Is(StatusCode::kNotFound)) {
      if (found.ok()) node = std::move(nested);
      return found;
    }
    // Missed under both names: a move of the file may be between them.
    if (look == 1 || !nest_locks_.WaitMove(bucket, epoch)) break;
    if (auto again = ns_->Find(node); again.ok()) return again;
  }
  return view;
}

std::optional<std::string> FsObjectStore::FileAbove(const std::string& bucket,
                                                    const std::string& key) {
  for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
    std::string above = key.substr(0, slash);
    if (ns_->Find(ObjectNode(bucket, above)).ok()) return above;
  }
  return std::nullopt;
}

Status FsObjectStore::WaitKey(const std::string& bucket, const std::string& key) {
  if (Status s = ns_->WaitNode(ObjectNode(bucket, key)); !s.ok()) return s;
  if (!options_.nest_key_conflicts || IsDirectoryKey(key)) return Status::Ok();
  return ns_->WaitNode(NestedNode(bucket, key));
}

Result<std::vector<dirops::DisplacedView>> FsObjectStore::DisplacedOf(const std::string& bucket,
                                                                      const std::string& key) {
  auto moved = ns_->Displaced(ObjectNode(bucket, key));
  if (!moved.ok() || !options_.nest_key_conflicts || IsDirectoryKey(key)) return moved;
  auto nested = ns_->Displaced(NestedNode(bucket, key));
  if (!nested.ok()) return nested.status();
  moved->insert(moved->end(), std::make_move_iterator(nested->begin()),
                std::make_move_iterator(nested->end()));
  return moved;
}

std::unique_lock<std::mutex> FsObjectStore::LockNest(const std::string& bucket,
                                                     const std::string& key) {
  if (!options_.nest_key_conflicts || IsDirectoryKey(key)) return {};
  return nest_locks_.LockKey(bucket, key);
}

Result<int64_t> FsObjectStore::PublishNesting(const std::string& bucket, const std::string& key,
                                              const StagedNode& staged,
                                              const dirops::WriteCheck& check, OpOptions op,
                                              std::unique_lock<std::mutex>& lock) {
  const bool dir_key = IsDirectoryKey(key);
  Status conflict;
  for (int round = 0; round < kMaxNestRounds; ++round) {
    {
      if (!dir_key && !lock.owns_lock()) lock = nest_locks_.LockKey(bucket, key);
      const dirops::NodePath node = KeyNode(bucket, key);
      const bool nested = node.path != ObjectPath(bucket, key);
      auto published = ns_->Publish(node, staged, check, op);
      if (!IsNameConflict(published.status())) return published;
      conflict = published.status();
      // A file stands where the key needs a directory: move it first.
      if (auto above = FileAbove(bucket, key)) {
        if (lock.owns_lock()) lock.unlock();
        if (Status s = NestKey(bucket, *above); !s.ok()) return s;
        continue;
      }
      if (!nested && !dir_key) {
        // Objects under "key/": the key goes inside its directory.
        published = ns_->Publish(NestedNode(bucket, key), staged, check, op);
        if (!IsNameConflict(published.status())) return published;
        conflict = published.status();
      }
    }
  }
  return conflict;
}

Result<int64_t> FsObjectStore::PublishAtKey(const std::string& bucket, const std::string& key,
                                            StagedNode staged, const dirops::WriteCheck& check,
                                            OpOptions op, std::unique_lock<std::mutex>& lock) {
  if (!options_.nest_key_conflicts) {
    return ns_->Publish(ObjectNode(bucket, key), std::move(staged), check, op);
  }
  return PublishNesting(bucket, key, staged, check, op, lock);
}

Status FsObjectStore::NestKey(const std::string& bucket, const std::string& key) {
  auto key_lock = nest_locks_.LockKey(bucket, key);
  const dirops::NodePath file = ObjectNode(bucket, key);
  if (Status s = ns_->WaitNode(file); !s.ok()) return s;
  auto move = nest_locks_.LockMove(bucket);
  const std::string& path = file.path;
  auto st = backend_->Stat(path);
  if (!st.ok() || !st->is_regular) return Status::Ok();  // moved or gone meanwhile
  // The applied create of the file durable first: a replay after a power cut
  // must never find its staging name again and link it back at `path`.
  if (options_.fsync) {
    if (Status s = backend_->SyncFs(); !s.ok()) return s;
  }
  const std::string temp = NestTempPath(gateway_->dir(), bucket, key);
  if (Status s = fs::MakeDirs(*backend_, fs::ParentPath(temp), options_.fsync); !s.ok()) return s;
  if (Status s = backend_->Rename(path, temp); !s.ok()) return s;
  if (options_.fsync) {
    Status s = backend_->SyncDir(fs::ParentPath(temp));
    // The directory the file left may be empty now, and the applier's prune
    // does not wait for this move: pruned, its removal is made durable by the
    // pruner (a nesting storm's PUT answered 500 here: open, ENOENT).
    if (s.ok()) s = backend_->SyncDir(fs::ParentPath(path));
    if (!s.ok() && !fs::IsMissing(s)) return s;
  }
  StagedNode staged;
  staged.file.path = temp;
  staged.size = st->size;
  staged.mtime_ns = st->mtime_ns;
  OpOptions op;
  op.sync = true;
  op.nesting = true;
  auto linked = ns_->Publish(NestedNode(bucket, key), std::move(staged), {}, op);
  if (!linked.ok()) {
    // Back where it was; failing that, the next start's RepairNests nests it.
    if (Status back = backend_->Rename(temp, path); !back.ok()) {
      spdlog::error("key nest: {}/{} left at {}: {}", LogField(bucket), LogField(key),
                    LogField(temp), back.message());
    } else {
      PruneTempDirs(*backend_, NestTempRoot(gateway_->dir()), temp);
    }
    return linked.status();
  }
  if (options_.fsync) (void)backend_->SyncDir(fs::ParentPath(temp));
  PruneTempDirs(*backend_, NestTempRoot(gateway_->dir()), temp);
  return Status::Ok();
}

}  // namespace fsgate::store
