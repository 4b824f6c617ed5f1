// DelegatedInodePool: pre-created empty staging files whose inode numbers are
// known ahead — the inode numbers the MDS delegates to a CephFS session.
//
// A background thread keeps the pool between the low and high watermarks,
// creating files in batches; a batch's names are made durable (one directory
// fsync) before any of them is handed out, so an intent that names a
// delegated file can always find it after a crash. Acquire() never blocks on
// the filesystem: an empty pool answers nullopt and the caller falls back to
// a synchronous create.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fs/backend.h"
#include "fsclient/namespace.h"
#include "fsclient/staging_dirs.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::fsclient {

struct DelegatedInodeOptions {
  std::string dir = ".fsgate/staging";
  // An empty pool sends creates down the sync path, so the pool absorbs a
  // burst (a tree upload answers ~5,000 creates/s for seconds while request
  // threads crowd the refiller off the CPUs), refills start early and come in
  // large batches. Measured: with 512/2048 a 20,000-file tree fell back ~3,900 times.
  size_t low_watermark = 4096;
  size_t high_watermark = 8192;
  size_t batch = 512;
  bool fsync = true;
};

// Names of delegated staging files start with this.
inline constexpr std::string_view kDelegatedPrefix = "d.";

class DelegatedInodePool {
 public:
  DelegatedInodePool(fs::Backend& backend, DelegatedInodeOptions options,
                     metrics::Metrics& metrics);
  ~DelegatedInodePool();
  DelegatedInodePool(const DelegatedInodePool&) = delete;
  DelegatedInodePool& operator=(const DelegatedInodePool&) = delete;

  // Starts the refill thread (after recovery has adopted leftover files).
  void Start();
  std::optional<StagingFile> Acquire();
  // Puts a known-empty, durable delegated file (found at recovery) back.
  void Adopt(StagingFile file);
  size_t available() const;
  // Waits until the pool holds at least `n` files (tests, start-up).
  bool WaitAvailable(size_t n, std::chrono::milliseconds timeout);

 private:
  void RefillLoop();
  // Creates up to `n` files and makes their names durable.
  std::deque<StagingFile> CreateBatch(size_t n);
  void PublishLevelLocked();

  fs::Backend& backend_;
  const DelegatedInodeOptions options_;
  metrics::Metrics& metrics_;
  StagingDirs staging_dirs_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable filled_;
  std::deque<StagingFile> files_;
  bool stop_ = false;
  std::thread refiller_;
};

}  // namespace fsgate::fsclient
