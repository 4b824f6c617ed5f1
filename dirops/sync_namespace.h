// SyncNamespace: the Namespace applied directly on the Backend. Every create
// and unlink is on disk before the call returns (and, with fsync on, its
// directory entries are durable). Also the applier's tool under async dirops.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dirops/key_locks.h"
#include "dirops/namespace.h"
#include "dirops/staging_dirs.h"
#include "fs/backend.h"

namespace fsgate::dirops {

class SyncNamespace : public Namespace {
 public:
  // `dir_removed` hears of every directory PruneEmptyDirs removes (the async
  // namespace's directory cache is invalidated by it).
  using DirRemoved = std::function<void(const std::string& path)>;
  // Who calls it. kRequests: each create and unlink holds its key's lock
  // (already held when the async namespace falls back to this path). kApplier:
  // the applier's per-key queue orders its ops, and a request that goes sync
  // waits for that queue under the key's lock, so they take none; the applier
  // must never block on a key lock (key_locks.h).
  enum class Caller { kRequests, kApplier };
  // `locks` is the engine's one KeyLocks, shared with every other path;
  // staging files are made in `staging_dir`, the gateway's own.
  SyncNamespace(fs::Backend& backend, KeyLocks& locks, std::string staging_dir, bool fsync,
                Caller caller, DirRemoved dir_removed = {})
      : backend_(backend),
        locks_(locks),
        fsync_(fsync),
        caller_(caller),
        dir_removed_(std::move(dir_removed)),
        staging_dirs_(backend, std::move(staging_dir), fsync) {}
  // --dirops sync: this namespace is the whole engine and owns the KeyLocks.
  static std::unique_ptr<Namespace> Standalone(fs::Backend& backend, std::string staging_dir,
                                               bool fsync);

  Result<StagingFile> AcquireStaging() override;
  void ReleaseStaging(const StagingFile& file) override;
  Result<ObjectMeta> Publish(const std::string& bucket, const std::string& key, StagedObject object,
                             const WriteConditions& conditions, OpOptions options) override;
  // Publish, also telling what the object's name holds once linked: the
  // applier checks its inode number against the delegated one. `linked` is
  // left as is for a directory object or when the name cannot be read back.
  // (Not an overload of Publish: `{}` would fit both last parameters.)
  Result<ObjectMeta> PublishLinked(const std::string& bucket, const std::string& key,
                                   StagedObject object, const WriteConditions& conditions,
                                   fs::FileStat* linked);
  Status Remove(const std::string& bucket, const std::string& key, OpOptions options) override;
  Result<ObjectVersion> Find(const std::string& bucket, const std::string& key) override;
  Result<std::unique_ptr<KeyCursor>> List(const std::string& bucket, const std::string& prefix,
                                          const std::string& marker) override;
  Status WaitKey(const std::string&, const std::string&) override { return Status::Ok(); }
  Status WaitBucket(const std::string&) override { return Status::Ok(); }
  Status Drain() override { return Status::Ok(); }
  std::string StatusJson() override;

  // Removes empty directories from `dir` up to (not including) the bucket,
  // stopping at a directory object or a non-empty directory. Each directory
  // is checked and removed under its directory-object key's lock; without
  // `may_wait` a busy lock stops the walk there and that directory is
  // returned, to be pruned later.
  [[nodiscard]] std::optional<std::string> PruneEmptyDirs(const std::string& bucket,
                                                          std::string dir, bool may_wait);

 private:
  Result<ObjectVersion> FindLocked(const std::string& bucket, const std::string& key);
  Status PublishFile(const std::string& bucket, const std::string& key, const StagingFile& file);
  Status PublishDir(const std::string& bucket, const std::string& key, ObjectMeta& meta,
                    const StagingFile& file);
  // mkdir -p of the directories between the bucket and `path` (exclusive of
  // `path` unless `include_last`), fsyncing the parents of new ones.
  Status MakeParents(const std::string& bucket, const std::string& key, const std::string& path,
                     bool include_last);

  // The stripes of the key and its ancestors (KeyLocks::LockPaths) for a create
  // or unlink by this caller (none for the applier).
  std::vector<KeyLocks::Held> LockKey(const std::string& bucket, const std::string& key);

  fs::Backend& backend_;
  KeyLocks& locks_;
  const bool fsync_;
  const Caller caller_;
  const DirRemoved dir_removed_;
  // Durable names when fsync is on: an async fallback's intent may name the file.
  StagingDirs staging_dirs_;
};

// Checks S3 write conditions against the current version (nullptr: absent).
Status CheckWriteConditions(const ObjectMeta* current, const WriteConditions& conditions);

}  // namespace fsgate::dirops
