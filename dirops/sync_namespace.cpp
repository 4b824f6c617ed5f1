#include "dirops/sync_namespace.h"

#include "fs/backend_util.h"

#include <chrono>

#include "base/clock.h"
#include "store/key_cursor.h"
#include "store/key_path.h"
#include "store/object_io.h"
#include "store/object_meta_codec.h"
#include "store/store_layout.h"

namespace fsgate::dirops {

using store::IsDirectoryKey;
using store::MakeDirKeyCursor;
using store::MaterializeInline;
using store::ObjectPath;
using store::ReadDirObjectMeta;
using store::ReadObjectMeta;
using store::RemoveDirObjectMeta;
using store::WriteDirObjectMeta;

namespace {

// Bounded retries of a create that raced a concurrent prune of its parents.
constexpr int kMaxAttempts = 16;

bool IsMissingForS3(const Status& s) {
  return fs::IsMissing(s) || s.IsErrno(EISDIR) || s.IsErrno(EINVAL);
}

// A name on the key's path that is not a directory: a file, or a symlink (the
// backend never follows one, and refuses it with ELOOP or ENOTDIR).
bool IsNotADirectory(const Status& s) { return s.IsErrno(ENOTDIR) || s.IsErrno(ELOOP); }

}  // namespace

Status CheckWriteConditions(const ObjectMeta* current, const WriteConditions& conditions) {
  if (conditions.if_none_match) {
    const std::string& want = *conditions.if_none_match;
    if (current != nullptr && (want == "*" || want == current->etag)) {
      return Status::Error(StatusCode::kFailedPrecondition, "a write condition does not hold");
    }
  }
  if (conditions.if_match) {
    if (current == nullptr) return NameNotFound();
    if (*conditions.if_match != "*" && *conditions.if_match != current->etag) {
      return Status::Error(StatusCode::kFailedPrecondition, "a write condition does not hold");
    }
  }
  return Status::Ok();
}

Result<StagingFile> SyncNamespace::AcquireStaging() {
  auto created = staging_dirs_.Create("t.");
  if (!created.ok()) return created.status();
  StagingFile staging;
  staging.path = std::move(created->path);
  staging.ino = created->ino;
  return staging;
}

void SyncNamespace::ReleaseStaging(const StagingFile& file) { (void)backend_.Unlink(file.path); }

Status SyncNamespace::MakeParents(const std::string& bucket, const std::string& key,
                                  const std::string& path, bool include_last) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::string dir = bucket;
    size_t pos = bucket.size() + 1;
    bool restart = false;
    while (pos < path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string::npos) {
        if (!include_last) break;
        end = path.size();
      }
      std::string parent = dir;
      dir = path.substr(0, end);
      pos = end + 1;
      Status s = backend_.Mkdir(dir);
      if (s.ok()) {
        if (fsync_) {
          if (Status sync = backend_.SyncDir(parent); !sync.ok()) return sync;
        }
        continue;
      }
      if (s.IsErrno(EEXIST)) continue;  // a file there shows up as ENOTDIR next
      if (IsNotADirectory(s)) return NameConflict(key);
      if (s.IsErrno(ENOENT)) {
        if (parent == bucket) {
          return BucketDirNotFound();
        }
        restart = true;  // a concurrent prune removed `parent`: walk again
        break;
      }
      return s;
    }
    if (!restart) return Status::Ok();
  }
  return Status::Errno(EAGAIN, "creating the directories of " + path);
}

Status SyncNamespace::PublishFile(const std::string& bucket, const std::string& key,
                                  const StagingFile& file) {
  const std::string path = ObjectPath(bucket, key);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Status s = backend_.Rename(file.path, path);
    if (s.ok()) return fsync_ ? backend_.SyncDir(fs::ParentPath(path)) : Status::Ok();
    if (IsNotADirectory(s) || s.IsErrno(EISDIR) || s.IsErrno(ENOTEMPTY) || s.IsErrno(EEXIST)) {
      return NameConflict(key);
    }
    if (!s.IsErrno(ENOENT)) return s;
    // The parent is missing (first key under it, or pruned meanwhile).
    if (fs::ParentPath(path) == bucket) {
      auto st = backend_.Stat(bucket);
      if (!st.ok() || !st->is_dir) {
        return BucketDirNotFound();
      }
    }
    if (Status made = MakeParents(bucket, key, path, false); !made.ok()) return made;
  }
  return Status::Errno(EAGAIN, "publishing " + path);
}

Status SyncNamespace::PublishDir(const std::string& bucket, const std::string& key,
                                 ObjectMeta& meta, const StagingFile& file) {
  const std::string path = ObjectPath(bucket, key);
  meta.size = 0;
  meta.mtime_ns = NowNs();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (Status s = MakeParents(bucket, key, path, true); !s.ok()) return s;
    auto st = backend_.Stat(path);
    if (!st.ok() && st.status().IsErrno(ENOENT)) continue;
    if (!st.ok()) return IsNotADirectory(st.status()) ? NameConflict(key) : st.status();
    if (!st->is_dir) return NameConflict(key);
    Status s = WriteDirObjectMeta(backend_, path, meta);
    if (s.IsErrno(ENOENT)) continue;
    if (!s.ok()) return s;
    ReleaseStaging(file);
    if (fsync_) {
      if (Status sync = backend_.SyncDir(path); !sync.ok()) return sync;
      return backend_.SyncDir(fs::ParentPath(path));
    }
    return Status::Ok();
  }
  return Status::Errno(EAGAIN, "publishing " + path);
}

Result<ObjectMeta> SyncNamespace::Publish(const std::string& bucket, const std::string& key,
                                          StagedObject object, const WriteConditions& conditions,
                                          OpOptions /*options: always synchronous here*/) {
  return PublishLinked(bucket, key, std::move(object), conditions, nullptr);
}

Result<ObjectMeta> SyncNamespace::PublishLinked(const std::string& bucket, const std::string& key,
                                                StagedObject object,
                                                const WriteConditions& conditions,
                                                fs::FileStat* linked) {
  auto lock = LockKey(bucket, key);
  if (conditions.if_match || conditions.if_none_match) {
    auto current = FindLocked(bucket, key);
    if (!current.ok() && !current.status().Is(StatusCode::kNotFound)) return current.status();
    if (Status s = CheckWriteConditions(current.ok() ? &current->meta : nullptr, conditions);
        !s.ok()) {
      return s;
    }
  }
  ObjectMeta meta = std::move(object.meta);
  if (object.inline_data && !IsDirectoryKey(key)) {
    if (Status s = MaterializeInline(backend_, object.file.path, *object.inline_data, meta, fsync_);
        !s.ok()) {
      return s;
    }
  }
  if (IsDirectoryKey(key)) {
    if (Status s = PublishDir(bucket, key, meta, object.file); !s.ok()) return s;
    return meta;
  }
  if (Status s = PublishFile(bucket, key, object.file); !s.ok()) return s;
  auto st = backend_.Stat(ObjectPath(bucket, key));
  if (st.ok()) {
    meta.mtime_ns = st->mtime_ns;
    if (linked) *linked = *st;
  }
  return meta;
}

std::vector<KeyLocks::Held> SyncNamespace::LockKey(const std::string& bucket,
                                                   const std::string& key) {
  if (caller_ == Caller::kApplier) return {};
  return locks_.LockPaths(bucket, {key});
}

std::optional<std::string> SyncNamespace::PruneEmptyDirs(const std::string& bucket, std::string dir,
                                                         bool may_wait) {
  while (dir.size() > bucket.size() + 1 && dir.compare(0, bucket.size() + 1, bucket + "/") == 0) {
    // Under the directory-object key's lock: a concurrent PUT of "dir/" waits,
    // or (holding it first) makes the directory one this prune leaves alone.
    const std::string dir_key = dir.substr(bucket.size() + 1) + "/";
    std::optional<KeyLocks::Held> lock;
    if (may_wait) {
      lock = locks_.Lock(bucket, dir_key);
    } else {
      lock = locks_.TryLock(bucket, dir_key);
      if (!lock) return dir;
    }
    auto meta = ReadDirObjectMeta(backend_, dir);
    if (!meta.ok() || meta->has_value()) return std::nullopt;
    if (!backend_.Rmdir(dir).ok()) return std::nullopt;  // not empty (or gone): stop
    if (dir_removed_) dir_removed_(dir);
    std::string parent = fs::ParentPath(dir);
    if (fsync_ && !backend_.SyncDir(parent).ok()) return std::nullopt;
    dir = std::move(parent);
  }
  return std::nullopt;
}

Status SyncNamespace::Remove(const std::string& bucket, const std::string& key, OpOptions options) {
  const std::string path = ObjectPath(bucket, key);
  {
    auto lock = LockKey(bucket, key);
    if (IsDirectoryKey(key)) {
      auto st = backend_.Stat(path);
      if (!st.ok() || !st->is_dir) return IsMissingForS3(st.status()) ? Status::Ok() : st.status();
      auto meta = ReadDirObjectMeta(backend_, path);
      if (!meta.ok()) return IsMissingForS3(meta.status()) ? Status::Ok() : meta.status();
      if (!meta->has_value()) return Status::Ok();
      if (Status s = RemoveDirObjectMeta(backend_, path); !s.ok()) return s;
      if (fsync_) {
        if (Status s = backend_.SyncDir(path); !s.ok()) return s;
      }
    } else {
      Status s = backend_.Unlink(path);
      if (!s.ok()) return IsMissingForS3(s) || s.IsErrno(EPERM) ? Status::Ok() : s;
      if (fsync_) {
        // A concurrent delete may have pruned the emptied parent already; its
        // removal is made durable by that pruner.
        Status sync = backend_.SyncDir(fs::ParentPath(path));
        if (!sync.ok() && !fs::IsMissing(sync)) return sync;
      }
    }
  }
  if (options.prune_now) {
    // --dirops sync prunes here holding no lock, so it waits and leaves nothing
    // over; the async namespace hands its prunes to the applier instead.
    (void)PruneEmptyDirs(bucket, IsDirectoryKey(key) ? path : fs::ParentPath(path),
                         caller_ == Caller::kRequests && !KeyLocks::ThisThreadHoldsAny());
  }
  return Status::Ok();
}

Result<ObjectVersion> SyncNamespace::Find(const std::string& bucket, const std::string& key) {
  return FindLocked(bucket, key);
}

// Reads need no lock: a rename replaces the name atomically, and the open file
// stays this version's data whatever happens to the name afterwards.
Result<ObjectVersion> SyncNamespace::FindLocked(const std::string& bucket, const std::string& key) {
  const std::string path = ObjectPath(bucket, key);
  ObjectVersion version;
  if (IsDirectoryKey(key)) {
    auto st = backend_.Stat(path);
    if (!st.ok()) return IsMissingForS3(st.status()) ? NameNotFound() : st.status();
    if (!st->is_dir) return NameNotFound();
    auto meta = ReadDirObjectMeta(backend_, path);
    if (!meta.ok()) return IsMissingForS3(meta.status()) ? NameNotFound() : meta.status();
    if (!meta->has_value()) return NameNotFound();
    version.meta = std::move(**meta);
    return version;
  }
  auto file = backend_.Open(path, fs::Backend::OpenMode::kRead);
  if (!file.ok()) return IsMissingForS3(file.status()) ? NameNotFound() : file.status();
  auto meta = ReadObjectMeta(**file);
  if (!meta.ok()) return meta.status();
  version.meta = std::move(*meta);
  version.data = std::shared_ptr<fs::File>(std::move(*file));
  return version;
}

Result<std::unique_ptr<KeyCursor>> SyncNamespace::List(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& marker) {
  return MakeDirKeyCursor(backend_, bucket, prefix, marker);
}

namespace {

// The engine of --dirops sync: the namespace and the one KeyLocks it uses,
// built before it (the base named first is constructed first).
struct OwnedKeyLocks {
  KeyLocks locks;
};
class StandaloneSyncNamespace final : private OwnedKeyLocks, public SyncNamespace {
 public:
  StandaloneSyncNamespace(fs::Backend& backend, std::string staging_dir, bool fsync)
      : SyncNamespace(backend, locks, std::move(staging_dir), fsync, Caller::kRequests) {}
};

}  // namespace

std::unique_ptr<Namespace> SyncNamespace::Standalone(fs::Backend& backend, std::string staging_dir,
                                                     bool fsync) {
  return std::make_unique<StandaloneSyncNamespace>(backend, std::move(staging_dir), fsync);
}

std::string SyncNamespace::StatusJson() {
  return R"({"dirops":"sync","pending":{"create":0,"unlink":0},"oldest_pending_seconds":0,)"
         R"("failed":[]})";
}

}  // namespace fsgate::dirops
