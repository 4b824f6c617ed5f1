#include "fs/read_handle_cache.h"

#include "base/thread_priority.h"

namespace fsgate::fs {

ReadHandleCache::ReadHandleCache(Options options) : options_(options) {
  sweeper_ = std::thread([this] {
    NameThread("fsg-readfh");
    SweepLoop();
  });
}

ReadHandleCache::~ReadHandleCache() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  sweeper_.join();
  Clear();
}

Result<ReadHandleCache::Handle> ReadHandleCache::Get(const void* key,
                                                     const std::function<Result<Handle>()>& open) {
  std::vector<Handle> closing;  // closed after mu_ is let go
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      ++hits_;
      it->second.used = Clock::now();
      lru_.splice(lru_.end(), lru_, it->second.lru);
      return it->second.handle;
    }
  }
  auto opened = open();  // unlocked: an open may wait on the MDS
  if (!opened.ok()) return opened.status();
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    if (inserted) {
      it->second.handle = *opened;
      it->second.lru = lru_.insert(lru_.end(), key);
      wake = entries_.size() == 1;
    }
    // Another reader cached one meanwhile: both work, the cache keeps one.
    it->second.used = Clock::now();
    closing = EvictLocked(it->second.used);
  }
  if (wake) cv_.notify_one();
  return *opened;
}

void ReadHandleCache::Clear() {
  std::vector<Handle> closing;
  std::lock_guard lock(mu_);
  for (auto& [key, entry] : entries_) closing.push_back(std::move(entry.handle));
  entries_.clear();
  lru_.clear();
}

size_t ReadHandleCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t ReadHandleCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::vector<ReadHandleCache::Handle> ReadHandleCache::EvictLocked(Clock::time_point now) {
  std::vector<Handle> out;
  while (!lru_.empty()) {
    auto it = entries_.find(lru_.front());
    if (entries_.size() <= options_.capacity && now - it->second.used < options_.idle) break;
    out.push_back(std::move(it->second.handle));
    entries_.erase(it);
    lru_.pop_front();
  }
  return out;
}

void ReadHandleCache::SweepLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (entries_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // The oldest entry's expiry; a use meanwhile only moves it later.
    cv_.wait_until(lock, entries_.at(lru_.front()).used + options_.idle);
    std::vector<Handle> closing = EvictLocked(Clock::now());
    lock.unlock();
    closing.clear();  // closed without mu_ held
    lock.lock();
  }
}

}  // namespace fsgate::fs
