#include "http/worker_pool.h"

#include "base/thread_priority.h"

namespace fsgate::http {

void WorkerPool::Submit(std::function<void()> task) {
  JoinExited();
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  if (tasks_.size() <= idle_) {
    wake_.notify_one();
    return;
  }
  auto self = running_.emplace(running_.end());
  try {
    *self = std::thread([this, self] { Run(self); });
  } catch (...) {
    running_.erase(self);
    tasks_.pop_back();
    throw;
  }
}

void WorkerPool::Run(Threads::iterator self) {
  NameThread(thread_name_);
  std::unique_lock lock(mu_);
  for (;;) {
    if (tasks_.empty() && !stopping_) {
      ++idle_;
      bool woken = wake_.wait_for(lock, idle_exit_, [&] { return !tasks_.empty() || stopping_; });
      --idle_;
      if (!woken) break;  // idle long enough: the thread goes
    }
    if (tasks_.empty()) break;  // stopping, nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what it holds goes before the thread waits again
    lock.lock();
  }
  exited_.splice(exited_.end(), running_, self);
  if (running_.empty()) all_exited_.notify_all();
}

void WorkerPool::JoinExited() {
  Threads done;
  {
    std::lock_guard lock(mu_);
    done.splice(done.end(), exited_);
  }
  for (auto& t : done) t.join();
}

void WorkerPool::Stop() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    wake_.notify_all();
    all_exited_.wait(lock, [&] { return running_.empty(); });
  }
  JoinExited();
}

}  // namespace fsgate::http
