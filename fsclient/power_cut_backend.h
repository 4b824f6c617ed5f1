// PowerCutBackend: a Backend decorator that remembers what is not yet durable
// and can throw it away, as a power cut would — in the manner of RocksDB's
// FaultInjectionTestFS.
//
// Durable means: file data up to the size at its last File::Sync(); a name
// change (create, mkdir, rename, unlink, rmdir) once its parent directory was
// synced afterwards (the target's directory, for a rename); everything after
// SyncFs(). SimulatePowerCut() rolls the real directory back to that state:
// files are truncated to their synced size, and unsynced name changes are
// undone newest first (a replaced or unlinked file comes back from a copy kept
// in memory). Overwrites inside the synced size are not undone; the model is
// meant for append-and-rename code such as fsclient's.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fsclient/backend.h"

namespace fsgate::fsclient {

class PowerCutBackend final : public Backend {
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
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status SyncFs() override;
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;
  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;

  struct FileState {
    uint64_t synced_size = 0;
  };

 private:
  struct Copy {
    std::string data;
    std::vector<std::pair<std::string, std::string>> xattrs;
  };
  struct NameOp {
    enum class Kind { kCreate, kMkdir, kRename, kUnlink, kRmdir } kind;
    std::string path;              // the created/removed name, or a rename's target
    std::string from;              // a rename's source
    std::optional<Copy> replaced;  // the file an unlink or rename took away
  };
  std::optional<Copy> CopyOf(const std::string& path);
  Status Restore(const std::string& path, const Copy& copy);
  std::shared_ptr<FileState> StateFor(const std::string& path, uint64_t synced_size);

  std::unique_ptr<Backend> inner_;
  mutable std::mutex mu_;
  std::vector<NameOp> log_;                                  // unsynced name changes, oldest first
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by current name
};

}  // namespace fsgate::fsclient
