// DelegatedInodePool: pre-created empty staging files whose inode numbers are
// known ahead — the inode numbers the MDS delegates to a CephFS session — and
// pre-made empty directories, renamed into place by the first create under a
// directory that does not exist yet.
//
// A background thread keeps the pool between the low and high watermarks,
// creating files in batches; a batch's names are made durable (one directory
// fsync) before any of them is handed out, so an intent that names a
// delegated file can always find it after a crash. Acquire() never blocks on
// the filesystem: an empty pool answers nullopt and the caller falls back to
// a synchronous create.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dirops/namespace.h"
#include "dirops/staging_dirs.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::dirops {

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
  // Whether the namespace waits at start (at most fill_wait) for the pool's
  // first fill: the refiller's first pass up to the high watermark, or none
  // where a restart adopted enough files. On where creates are MDS round
  // trips (fs::Backend::RemoteMetadata): a fresh gateway's pool filling while
  // its first PUTs were answered took the MDS and the CPUs from them.
  // Measured on the dev cluster (1,500 4 KiB PUTs at 1 connection, fsync on,
  // from the moment /readyz answers, interleaved): 598-777 PUT/s with the
  // pool filling, 722-824/s with it full; per PUT the MDS spent 2.0-2.3 ms
  // against 1.0-1.3, fsgate 1.4-1.6 against 0.8-0.9. A fresh cluster fills
  // 8,192 files in 2.2 s. Off on a local disk, where the fill is cheap.
  bool fill_before_start = false;
  std::chrono::milliseconds fill_wait{10000};  // then serve, creates falling back meanwhile
  // Delegated directories: kept between these watermarks (0: none). Without
  // an ext4 journal a mkdir under a directory churned by deletes scans the
  // recently freed inodes of its block group (staging_dirs.h): measured here,
  // 143 us a mkdir in such a directory, 33 us to rename a delegated one in,
  // 33 us to make one in a staging generation. Nothing durable names them,
  // so no sync: one lost in a crash is made again by the replay's mkdir.
  size_t dir_low_watermark = 128;
  size_t dir_high_watermark = 512;
};

// Names of delegated staging files start with this.
inline constexpr std::string_view kDelegatedPrefix = "d.";
// Names of delegated directories start with this.
inline constexpr std::string_view kDelegatedDirPrefix = "dir.";

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
  // The path of an empty delegated directory, or nullopt: make one instead.
  std::optional<std::string> AcquireDir();
  // Takes back a delegated directory from AcquireDir() that was not used.
  void ReturnDir(std::string path);
  size_t available() const;
  size_t dirs_available() const;
  // Waits until the pool holds at least `n` files (tests).
  bool WaitAvailable(size_t n, std::chrono::milliseconds timeout);
  // Waits until the pool holds at least `n` directories (tests).
  bool WaitDirsAvailable(size_t n, std::chrono::milliseconds timeout);
  // Waits until the refiller has come to rest once since Start(): the pool
  // filled, or found full enough, or its filesystem refusing creates.
  bool WaitFirstFill(std::chrono::milliseconds timeout);

 private:
  void RefillLoop();
  // Creates up to `n` files and makes their names durable.
  std::deque<StagingFile> CreateBatch(size_t n);
  // Makes delegated directories up to the high watermark (the lock let go
  // meanwhile); false when the filesystem refused one.
  bool RefillDirsLocked(std::unique_lock<std::mutex>& lock);
  bool DirsLowLocked() const { return dirs_.size() < options_.dir_low_watermark; }
  void PublishLevelLocked();
  void RestLocked();

  fs::Backend& backend_;
  const DelegatedInodeOptions options_;
  metrics::Metrics& metrics_;
  StagingDirs staging_dirs_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable filled_;
  std::deque<StagingFile> files_;
  std::deque<std::string> dirs_;
  bool rested_ = false;  // the refiller has come to rest once
  bool stop_ = false;
  std::thread refiller_;
};

}  // namespace fsgate::dirops
