#include "dirops/delegated_inodes.h"

#include <spdlog/spdlog.h>

#include <set>

#include "base/thread_priority.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {

DelegatedInodePool::DelegatedInodePool(fs::Backend& backend, DelegatedInodeOptions options,
                                       metrics::Metrics& metrics)
    : backend_(backend),
      options_(std::move(options)),
      metrics_(metrics),
      staging_dirs_(backend, options_.dir, options_.fsync) {}

DelegatedInodePool::~DelegatedInodePool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (refiller_.joinable()) refiller_.join();
  // Files left in the pool stay on disk: recovery adopts them at the next start.
}

void DelegatedInodePool::Start() {
  if (options_.high_watermark == 0) return;
  refiller_ = std::thread([this] { RefillLoop(); });
}

std::optional<StagingFile> DelegatedInodePool::Acquire() {
  std::optional<StagingFile> file;
  {
    std::lock_guard lock(mu_);
    if (!files_.empty()) {
      file = std::move(files_.front());
      files_.pop_front();
    }
    if (files_.size() < options_.low_watermark) wake_.notify_one();
    PublishLevelLocked();
  }
  return file;
}

std::optional<std::string> DelegatedInodePool::AcquireDir() {
  std::lock_guard lock(mu_);
  if (DirsLowLocked()) wake_.notify_one();
  if (dirs_.empty()) return std::nullopt;
  std::string dir = std::move(dirs_.front());
  dirs_.pop_front();
  return dir;
}

void DelegatedInodePool::ReturnDir(std::string path) {
  std::lock_guard lock(mu_);
  dirs_.push_front(std::move(path));
}

size_t DelegatedInodePool::dirs_available() const {
  std::lock_guard lock(mu_);
  return dirs_.size();
}

void DelegatedInodePool::Adopt(StagingFile file) {
  file.delegated = true;
  {
    std::lock_guard lock(mu_);
    files_.push_back(std::move(file));
    PublishLevelLocked();
  }
  filled_.notify_all();
}

size_t DelegatedInodePool::available() const {
  std::lock_guard lock(mu_);
  return files_.size();
}

bool DelegatedInodePool::WaitAvailable(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return filled_.wait_for(lock, timeout, [&] { return files_.size() >= n; });
}

bool DelegatedInodePool::WaitDirsAvailable(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return filled_.wait_for(lock, timeout, [&] { return dirs_.size() >= n; });
}

bool DelegatedInodePool::WaitFirstFill(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return filled_.wait_for(lock, timeout, [&] { return rested_; });
}

void DelegatedInodePool::RestLocked() {
  if (!rested_) {
    rested_ = true;
    filled_.notify_all();
  }
}

// Under mu_, so the gauge never lags behind a waiter that saw the new level.
void DelegatedInodePool::PublishLevelLocked() {
  metrics_.SetDelegatedInodesAvailable(static_cast<int64_t>(files_.size()));
}

std::deque<StagingFile> DelegatedInodePool::CreateBatch(size_t n) {
  std::deque<StagingFile> batch;
  std::set<std::string> dirs;
  for (size_t i = 0; i < n; ++i) {
    auto created = staging_dirs_.Create(kDelegatedPrefix);
    if (!created.ok()) {
      spdlog::warn("delegated inodes: cannot create one: {}", created.status().message());
      break;
    }
    dirs.insert(std::move(created->dir));
    batch.push_back({std::move(created->path), created->ino, /*delegated=*/true});
  }
  for (const std::string& dir : dirs) {
    if (batch.empty() || !options_.fsync) break;
    if (Status s = backend_.SyncDir(dir); !s.ok()) {
      // Names that are not durable must not be delegated: an intent could outlive them.
      spdlog::warn("delegated inodes: cannot sync {}: {}", dir, s.message());
      for (const auto& f : batch) (void)backend_.Unlink(f.path);
      batch.clear();
    }
  }
  return batch;
}

bool DelegatedInodePool::RefillDirsLocked(std::unique_lock<std::mutex>& lock) {
  bool ok = true;
  while (!stop_ && dirs_.size() < options_.dir_high_watermark) {
    lock.unlock();
    auto made = staging_dirs_.CreateDir(kDelegatedDirPrefix);
    lock.lock();
    if (!made.ok()) {
      // Creates make their directories themselves until a later refill.
      spdlog::warn("delegated inodes: cannot make a directory: {}", made.status().message());
      ok = false;
      break;
    }
    dirs_.push_back(std::move(made->path));
  }
  filled_.notify_all();
  return ok;
}

void DelegatedInodePool::RefillLoop() {
  NameThread("fsg-ino-refill");
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (files_.size() >= options_.low_watermark && !files_.empty()) {
      if (DirsLowLocked()) {
        // The lock was let go meanwhile: look at the files again before sleeping.
        if (!RefillDirsLocked(lock)) wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      RestLocked();
      wake_.wait(lock);
      continue;
    }
    // Full batches only, once above the low watermark: requests taking files
    // while a refill runs would otherwise keep it going in batches of a few
    // files, each with its own directory sync (an MDS journal wait on CephFS).
    while (!stop_ && (files_.size() < options_.low_watermark ||
                      files_.size() + options_.batch <= options_.high_watermark)) {
      size_t want = std::min(options_.batch, options_.high_watermark - files_.size());
      lock.unlock();
      auto batch = CreateBatch(want);
      lock.lock();
      if (batch.empty()) {
        // The filesystem refuses (ENOSPC, ...): retry later, creates fall back meanwhile.
        RestLocked();
        wake_.wait_for(lock, std::chrono::seconds(1));
        break;
      }
      for (auto& f : batch) files_.push_back(std::move(f));
      PublishLevelLocked();
      filled_.notify_all();
    }
  }
}

}  // namespace fsgate::dirops
