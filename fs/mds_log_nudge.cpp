#include "fs/mds_log_nudge.h"

#include <algorithm>
#include <utility>

#include "base/thread_priority.h"

namespace fsgate::fs {

MdsLogNudge::MdsLogNudge(std::function<void()> flush, std::chrono::milliseconds after)
    : flush_(std::move(flush)), after_(after) {
  thread_ = std::thread([this] {
    NameThread("fsg-mdslog");
    Loop();
  });
}

MdsLogNudge::~MdsLogNudge() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

MdsLogNudge::Guard::Guard(MdsLogNudge& nudge) : nudge_(nudge) {
  bool wake;
  {
    std::lock_guard lock(nudge_.mu_);
    id_ = nudge_.next_id_++;
    nudge_.waiting_.emplace(id_, Clock::now());
    wake = std::exchange(nudge_.idle_, false);  // else the thread looks again within `after`
    nudge_.wakes_ += wake ? 1 : 0;
  }
  if (wake) nudge_.cv_.notify_one();
}

MdsLogNudge::Guard::~Guard() {
  std::lock_guard lock(nudge_.mu_);
  nudge_.waiting_.erase(id_);
}

uint64_t MdsLogNudge::flushes() const {
  std::lock_guard lock(mu_);
  return flushes_;
}

uint64_t MdsLogNudge::wakes() const {
  std::lock_guard lock(mu_);
  return wakes_;
}

void MdsLogNudge::Loop() {
  std::unique_lock lock(mu_);
  Clock::time_point last_flush{};
  uint64_t seen = next_id_;  // calls started when the thread last looked
  while (!stop_) {
    if (waiting_.empty()) {
      if (next_id_ == seen) {  // none for `after`: sleep until one wakes the thread
        idle_ = true;
        cv_.wait(lock);
      } else {  // calls come and go: look again after `after`, unwoken by them
        seen = next_id_;
        cv_.wait_for(lock, after_);
      }
      continue;
    }
    seen = next_id_;
    // The oldest call still waiting; ids grow with start times.
    const Clock::time_point due = std::max(waiting_.begin()->second, last_flush) + after_;
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    ++flushes_;
    lock.unlock();
    flush_();
    last_flush = Clock::now();
    lock.lock();
  }
}

}  // namespace fsgate::fs
