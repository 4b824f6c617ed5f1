// SleepingSharedMutex: a reader-writer lock whose waiters always sleep.
//
// std::shared_mutex is glibc's pthread_rwlock, and its waiters spin, without
// bound and without yielding, while the holder is between two steps of a lock
// or unlock. A holder at nice 19 (the applier's workers) preempted there is
// starved by the very threads spinning on it: at 32 connections every PUT
// stalled for 0.1-2 s at once, and tests/unit/dirops/overlay_lock_test.cpp
// measures waits of 1.2-2 s. Here every waiter blocks on a condition variable,
// so a preempted holder gets the CPU back at once. Writers are preferred: a
// waiting writer keeps new readers out, so a stream of readers cannot starve it.
//
// Meets the SharedMutex requirements (std::shared_lock, std::unique_lock).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace fsgate {

class SleepingSharedMutex {
 public:
  void lock() {
    std::unique_lock guard(mu_);
    ++writers_waiting_;
    writer_gate_.wait(guard, [&] { return !writer_ && readers_ == 0; });
    --writers_waiting_;
    writer_ = true;
  }
  void unlock() {
    bool writer_next = false;
    {
      std::lock_guard guard(mu_);
      writer_ = false;
      writer_next = writers_waiting_ > 0;
    }
    // A waiting writer goes next; readers would only find it queued and sleep
    // again, so they are woken once no writer waits.
    if (writer_next) {
      writer_gate_.notify_one();
    } else {
      reader_gate_.notify_all();
    }
  }
  // Takes it exclusively only if nobody holds it.
  bool try_lock() {
    std::lock_guard guard(mu_);
    if (writer_ || readers_ > 0) return false;
    writer_ = true;
    return true;
  }
  void lock_shared() {
    std::unique_lock guard(mu_);
    reader_gate_.wait(guard, [&] { return !writer_ && writers_waiting_ == 0; });
    ++readers_;
  }
  // Takes it shared only if no writer holds it or waits for it.
  bool try_lock_shared() {
    std::lock_guard guard(mu_);
    if (writer_ || writers_waiting_ > 0) return false;
    ++readers_;
    return true;
  }
  void unlock_shared() {
    bool last = false;
    {
      std::lock_guard guard(mu_);
      last = --readers_ == 0 && writers_waiting_ > 0;
    }
    if (last) writer_gate_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable reader_gate_;
  std::condition_variable writer_gate_;
  size_t readers_ = 0;
  size_t writers_waiting_ = 0;
  bool writer_ = false;
};

}  // namespace fsgate
