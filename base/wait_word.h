// WaitWord: a 32-bit counter that threads sleep on until it moves (a Linux
// futex), for handing "done" to many sleepers without a mutex.
//
// Why not a condition variable: a waiter woken by notify_all must retake the
// mutex before it returns, so the followers of a journal group commit, woken
// together, queued on the journal's mutex one after another — a futex wait and
// wake more per follower and a second sleep for most of them (async PUT at 32
// connections: 4.7 futex calls a request on the request threads).
// Here a waiter reads the word under its own lock, drops the lock, and
// sleeps while the word still holds what it read; the waker advances the word
// after publishing what the waiters look for, then wakes them.
//
// Not std::atomic<uint32_t>::wait: libstdc++ 12 spins and calls sched_yield
// four times before it sleeps, and on 2 CPUs with 32 request threads each
// yield is a switch to another thread.
//
// Advance makes the wake system call only when a thread sleeps or is about to
// (a count of sleepers, Dekker-ordered with the word: a waiter counts itself
// before it looks at the word, the waker moves the word before it looks at the
// count, both sequentially consistent, so one of them sees the other). At one
// connection a journal group commit has no followers, and its leader's wake
// was a futex call of 2-4 us between the fdatasync and the answer, once a PUT.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>

namespace fsgate {

class WaitWord {
 public:
  uint32_t Load() const { return word_.load(std::memory_order_acquire); }
  // Sleeps while the word holds `seen`; returns at once if it moved. May
  // return without a move (a signal): callers look again.
  void WaitWhile(uint32_t seen);
  // Moves the word, then wakes up to `count` of its sleepers, if any.
  void Advance(int count = INT_MAX);

 private:
  std::atomic<uint32_t> word_{0};
  std::atomic<uint32_t> sleepers_{0};  // threads inside WaitWhile past its first look
};

}  // namespace fsgate
