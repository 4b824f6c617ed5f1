// WorkerPool: the threads that serve requests, made on demand.
//
// Handlers block — on the filesystem, and on the intent journal's group
// commit, where it is exactly the many requests blocked at once that share one
// journal flush. So a request in flight holds a thread, and the pool grows to
// as many threads as requests in flight (bounded by --max-connections), never
// queueing a request behind a blocked one. A thread left idle for a while
// exits: 10,000 idle keep-alive connections hold no thread (they are parked
// on the idle reactor), where one thread per connection cost 10,000 stacks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace fsgate::http {

class WorkerPool {
 public:
  WorkerPool(const char* thread_name, std::chrono::milliseconds idle_exit)
      : thread_name_(thread_name), idle_exit_(idle_exit) {}
  ~WorkerPool() { Stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on an idle thread, or on a new one when none is idle. Throws
  // std::system_error (the task dropped) when no thread can be made.
  void Submit(std::function<void()> task);
  // Runs what is queued, then joins every thread.
  void Stop();

 private:
  using Threads = std::list<std::thread>;
  void Run(Threads::iterator self);
  void JoinExited();

  const char* const thread_name_;
  const std::chrono::milliseconds idle_exit_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable all_exited_;
  std::deque<std::function<void()>> tasks_;
  size_t idle_ = 0;  // threads waiting for a task
  bool stopping_ = false;
  Threads running_;  // threads that may still take tasks
  Threads exited_;   // threads done, to be joined
};

}  // namespace fsgate::http
