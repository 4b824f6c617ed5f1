// FaultBackend: a Backend decorator that injects failures, for tests and for
// the binary's hidden fault flag. Rules pick an operation kind and a path
// substring; a matching call waits `delay`, then fails with `err` (or, with
// err == 0, goes through slowly). A rule fires after `skip` matches, `count`
// times (-1: forever). Separately, an inode can be swapped under a name after
// a rename onto it: the file is replaced by a copy, so the name now holds a
// different inode number, as when another client raced the create.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fs/backend_wrapper.h"

namespace fsgate::fs {

enum class FaultOp {
  kOpen,
  kStat,
  kMkdir,
  kRmdir,
  kUnlink,
  kRename,
  kReadDir,
  kSyncDir,
  kSyncFs,
  kGetXattr,
  kSetXattr,
  kRemoveXattr,
  kRead,
  kWrite,
  kTruncate,
  kFileSync,
};

struct FaultRule {
  FaultOp op = FaultOp::kWrite;
  std::string path_contains;  // "" matches every path
  int err = EIO;              // 0: only delay
  int count = 1;              // -1: every match
  int skip = 0;               // matches let through before firing
  std::chrono::milliseconds delay{0};
};

class FaultBackend final : public BackendWrapper {
 public:
  explicit FaultBackend(std::unique_ptr<Backend> inner);

  void AddRule(FaultRule rule);
  // "op[:ERRNO|:delay=MS][:path=S][:count=N][:skip=N]", e.g. "rename:delay=50:count=-1"
  // (a slow applier) or "write:ENOSPC:path=journal"; or "swap[:path=S][:count=N]"
  // for SwapInodeAfterRename, "swap:every=N[:path=S]" for SwapInodeEvery. Ops: open stat mkdir
  // rmdir unlink rename readdir syncdir syncfs getxattr setxattr removexattr read write truncate
  // fsync. Returns false for a malformed spec.
  bool AddRuleSpec(std::string_view spec);
  void ClearRules();
  // After the next `count` renames onto a path containing `pattern`, the target
  // is replaced by a copy with a new inode number.
  void SwapInodeAfterRename(std::string pattern, int count = 1);
  // Swaps the inode after every `every`-th rename onto a path containing
  // `pattern` (0 turns it off) — the binary's --test-swap-inode-every.
  void SwapInodeEvery(int every, std::string pattern = "");
  // How many calls failed by a rule so far.
  int injected() const;

  std::string Name() const override;
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<FileStat> Stat(const std::string& path) override;
  Status Mkdir(const std::string& path) override;
  Status Rmdir(const std::string& path) override;
  Status Unlink(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status SyncFs() override;
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;
  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;

  // Applies the rules to one call; Ok when it may proceed. Used by FaultFile too.
  Status Check(FaultOp op, const std::string& path);

 private:
  struct ArmedRule {
    FaultRule rule;
    int seen = 0;
    int fired = 0;
  };
  Status ReplaceWithCopy(const std::string& path);

  mutable std::mutex mu_;
  std::vector<ArmedRule> rules_;
  std::string swap_pattern_;
  int swap_count_ = 0;
  int swap_every_ = 0;
  int swap_seen_ = 0;
  int injected_ = 0;
};

}  // namespace fsgate::fs
