// CrashPointBackend: a Backend decorator that stops the world at a chosen
// mutating call, as a kill -9 or a power cut would stop a process between two
// system calls. Armed with n, it lets n mutating calls through (creates,
// writes, syncs, name changes, xattr changes) and fails that one and every
// later one with ENOTRECOVERABLE: nothing the process does afterwards reaches
// the filesystem. Reads pass. Stacked over a PowerCutBackend, a test can stop
// an operation at each of its steps in turn, cut the power, and check what a
// restart finds — every crash point, not the few a sleep happens to hit.
//
// Not EIO, which the applier retries with backoff (about 6 s an op before it
// gives up): a stopped process retries nothing, and the engine's shutdown
// waited out those retries at every crash point — a minute for one
// operation's crash points under the async engine.
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>

#include "fs/backend_wrapper.h"

namespace fsgate::fs {

class CrashPointBackend final : public BackendWrapper {
 public:
  explicit CrashPointBackend(std::unique_ptr<Backend> inner) : BackendWrapper(std::move(inner)) {}

  // The next `n` mutating calls go through; then the world stops.
  void Arm(int64_t n) { left_ = n; }
  void Disarm() { left_ = kUnarmed; }
  // Mutating calls let through since the last Arm/Disarm (counted either way).
  int64_t mutations() const { return mutations_; }
  bool stopped() const { return left_ == 0; }

  // True when the call may go through; counts it.
  bool Pass() {
    if (left_ == 0) return false;
    if (left_ > 0) --left_;
    ++mutations_;
    return true;
  }
  static Status Stopped(const std::string& what) {
    return Status::Errno(ENOTRECOVERABLE, "stopped at a crash point: " + what);
  }

  std::string Name() const override { return "crashpoint(" + target().Name() + ")"; }
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Status Mkdir(const std::string& path) override;
  Status Rmdir(const std::string& path) override;
  Status Unlink(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& path) override;
  Status SyncFs() override;
  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;

 private:
  static constexpr int64_t kUnarmed = -1;
  std::atomic<int64_t> left_{kUnarmed};
  std::atomic<int64_t> mutations_{0};
};

}  // namespace fsgate::fs
