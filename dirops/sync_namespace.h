// SyncNamespace: the Namespace applied directly on the Backend. Every create
// and unlink is on disk before the call returns (and, with fsync on, its
// directory entries are durable). Also the applier's tool under async dirops.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dirops/attrs_keep.h"
#include "dirops/key_locks.h"
#include "dirops/namespace.h"
#include "dirops/node_attrs.h"
#include "dirops/staging_dirs.h"
#include "fs/backend.h"

namespace fsgate::dirops {

class SyncNamespace : public Namespace {
 public:
  // `dir_removed` hears of every directory PruneEmptyDirs removes (the async
  // namespace's directory cache is invalidated by it).
  using DirRemoved = std::function<void(const std::string& path)>;
  // Who calls it. kRequests: each create and unlink holds its name's lock
  // (already held when the async namespace falls back to this path). kApplier:
  // the applier's per-name queue orders its ops, and a request that goes sync
  // waits for that queue under the name's lock, so they take none; the applier
  // must never block on a name lock (key_locks.h).
  enum class Caller { kRequests, kApplier };
  // `locks` is the engine's one KeyLocks, shared with every other path;
  // staging files are made in `staging_dir`, the gateway's own.
  SyncNamespace(fs::Backend& backend, KeyLocks& locks, std::string staging_dir, bool fsync,
                NodeAttrNames attr_names, Caller caller, DirRemoved dir_removed = {})
      : backend_(backend),
        locks_(locks),
        attr_names_(std::move(attr_names)),
        fsync_(fsync),
        caller_(caller),
        dir_removed_(std::move(dir_removed)),
        staging_dirs_(backend, std::move(staging_dir), fsync) {}
  // --dirops sync: this namespace is the whole engine and owns the KeyLocks.
  static std::unique_ptr<Namespace> Standalone(fs::Backend& backend, std::string staging_dir,
                                               bool fsync, NodeAttrNames attr_names);

  Result<StagingFile> AcquireStaging() override;
  void ReleaseStaging(const StagingFile& file) override;
  Result<int64_t> Publish(const NodePath& at, StagedNode node, const WriteCheck& check,
                          OpOptions options) override;
  // Publish by (top, name) (node.h), also telling what the name holds once
  // linked: the applier checks its inode number against the delegated one.
  // `linked` is left as is for a directory node or when the name cannot be
  // read back.
  Result<int64_t> PublishLinked(const std::string& top, const std::string& name, StagedNode node,
                                const WriteCheck& check, fs::FileStat* linked,
                                bool no_replace = false);
  Status Remove(const NodePath& at, OpOptions options) override;
  Status RemoveName(const std::string& top, const std::string& name, OpOptions options);
  Result<NodeView> Find(const NodePath& at) override;
  Result<NodeView> FindName(const std::string& top, const std::string& name);
  Status WaitNode(const NodePath&) override { return Status::Ok(); }
  Status WaitTop(const std::string&) override { return Status::Ok(); }
  Status Drain() override { return Status::Ok(); }
  std::string StatusJson() override;

  // Removes empty directories from `dir` up to (not including) the top,
  // stopping at a directory node or a non-empty directory. Each directory
  // is checked and removed under its directory node name's lock; without
  // `may_wait` a busy lock stops the walk there and that directory is
  // returned, to be pruned later.
  const NodeAttrNames& attr_names() const { return attr_names_; }
  // mkdir -p of the directories above `name`, fsyncing the parents of new
  // ones when this namespace syncs. A file where a directory must be made
  // under it is a name conflict; a file at the parent itself is not seen
  // (nothing is made under it): callers check the tree first.
  Status MakeParentDirs(const std::string& top, const std::string& name) {
    return MakeParents(top, name, NodeFsPath(top, name), false);
  }

  [[nodiscard]] std::optional<std::string> PruneEmptyDirs(const std::string& top, std::string dir,
                                                          bool may_wait);

 private:
  // `linked`: what the name holds right after a replacing rename, when the
  // backend learned it with the rename (ino 0 otherwise).
  Status PublishFile(const std::string& top, const std::string& name, const StagingFile& file,
                     bool no_replace, fs::FileStat* linked);
  Status PublishDir(const std::string& top, const std::string& name, const StagedNode& node);
  // mkdir -p of the directories between the top and `path` (exclusive of
  // `path` unless `include_last`), fsyncing the parents of new ones.
  Status MakeParents(const std::string& top, const std::string& name, const std::string& path,
                     bool include_last);

  // The stripes of the name and its ancestors (KeyLocks::LockPaths) for a create
  // or unlink by this caller (none for the applier).
  std::vector<KeyLocks::Held> LockKey(const std::string& top, const std::string& name);

  fs::Backend& backend_;
  KeyLocks& locks_;
  const NodeAttrNames attr_names_;
  const bool fsync_;
  const Caller caller_;
  const DirRemoved dir_removed_;
  // Durable names when fsync is on: an async fallback's intent may name the file.
  StagingDirs staging_dirs_;
  // The blobs FindName read, for the next read of the same unchanged file.
  AttrsKeep attrs_keep_;
};

}  // namespace fsgate::dirops
