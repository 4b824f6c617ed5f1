// PowerCutBackend: a Backend decorator that remembers what is not yet durable
// and can throw it away, as a power cut would — in the manner of RocksDB's
// FaultInjectionTestFS.
//
// Durable means: file data up to the size at its last File::Sync(); a name
// change (create, mkdir, rename, unlink, rmdir) once its parent directory was
// synced afterwards (the target's directory, for a rename); everything after
// SyncFs(). SimulatePowerCut() rolls the real directory back to that state:
// files are truncated to their synced size, and unsynced name changes are
// undone newest first. A file that an unsynced unlink or rename took away is
// kept, same inode, under .fsgate/powercut-trash/ until the change is durable,
// so the cut brings back the very inode. Overwrites inside the synced size are
// not undone; the model is meant for append-and-rename code such as the dirops engine's.
// Name operations and lookups are serialized, so the two renames that replace
// a file look atomic to every caller.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fs/backend_wrapper.h"

namespace fsgate::fs {

class PowerCutBackend final : public BackendWrapper {
 public:
  explicit PowerCutBackend(std::unique_ptr<Backend> inner);
  ~PowerCutBackend() override;

  // Files opened before the cut must not be used after it.
  Status SimulatePowerCut();
  // Name changes not yet durable.
  size_t unsynced_name_ops() const;

  std::string Name() const override;
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<FileStat> Stat(const std::string& path) override;
  Status Mkdir(const std::string& path) override;
  Status Rmdir(const std::string& path) override;
  Status Unlink(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  // A rename logged as any other, refused with EEXIST under the same lock.
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  // Hard links are not modelled: refused (ENOTSUP) rather than taken as durable,
  // so callers under a simulated cut take their path without links.
  Status Link(const std::string& from, const std::string& to) override {
    (void)from;
    return Status::Errno(ENOTSUP, "link " + to);
  }
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status SyncFs() override;
  // Under the lock, as every lookup. Setting and removing xattrs are
  // forwarded: they are modelled as durable at once (ext4 journals them with
  // the inode).
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;

  struct FileState {
    uint64_t synced_size = 0;
  };

 private:
  struct NameOp {
    enum class Kind { kCreate, kMkdir, kRename, kUnlink, kRmdir } kind;
    std::string path;   // the created/removed name, or a rename's target
    std::string from;   // a rename's source
    std::string trash;  // where the file an unlink or rename took away waits
  };
  Status RenameLocked(const std::string& from, const std::string& to);
  // Moves the regular file at `path` (if any) into the trash; its trash name, or "".
  Result<std::string> TrashLocked(const std::string& path);
  void MoveStateLocked(const std::string& from, const std::string& to);
  // Forgets durable changes: their trashed files are gone for good.
  void ForgetLocked(std::vector<NameOp>::iterator first, std::vector<NameOp>::iterator last);
  std::shared_ptr<FileState> StateFor(const std::string& path, uint64_t synced_size);

  mutable std::mutex mu_;
  std::vector<NameOp> log_;                                  // unsynced name changes, oldest first
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by current name
  uint64_t trash_counter_ = 0;
};

}  // namespace fsgate::fs
