// The applier's retiring: applied ops gather for a sync window, one syncfs
// makes them durable, and only then does the journal let them go; directories
// the unlinks emptied are pruned before that syncfs.
#include "dirops/applier.h"

#include <spdlog/spdlog.h>

#include "base/thread_priority.h"

namespace fsgate::dirops {

void Applier::SyncLoop() {
  NameThread("fsg-apply-sync");
  std::unique_lock lock(mu_);
  for (;;) {
    if (!sync_wake_.wait_for(lock, std::chrono::seconds(1),
                             [&] { return sync_stop_ || !applied_.empty(); })) {
      // Idle: the last checkpoint has no intent to ride along with.
      lock.unlock();
      (void)journal_.FlushIdle(std::chrono::seconds(1));
      lock.lock();
      continue;
    }
    if (applied_.empty()) return;  // stopping, nothing left to retire
    if (!sync_stop_) {
      // Let more applies land so one syncfs covers them.
      sync_wake_.wait_for(lock, options_.sync_window, [&] { return sync_stop_; });
    }
    if (applied_.empty()) continue;  // a crash-like stop dropped them
    std::vector<uint64_t> batch = std::exchange(applied_, {});
    lock.unlock();
    // Directories left empty go before the syncfs that retires their unlinks
    // (replay prunes again if a crash comes first).
    Prune(/*may_wait=*/false);  // never blocks a holder that waits for the applier
    // Every op in `batch` finished applying before this syncfs started.
    Status s = options_.fsync ? backend_.SyncFs() : Status::Ok();
    if (s.ok()) {
      if (Status t = journal_.Retire(batch); !t.ok()) {
        spdlog::warn("intent journal: trim failed: {}", t.message());
      }
    } else {
      spdlog::error("async applier: syncfs of applied ops failed ({}), journal kept", s.message());
    }
    lock.lock();
    if (!s.ok()) {
      applied_.insert(applied_.end(), batch.begin(), batch.end());
      if (sync_stop_) return;
      sync_wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return sync_stop_; });
    }
  }
}

void Applier::PruneNow() { Prune(!KeyLocks::ThisThreadHoldsAny()); }

void Applier::PruneNow(const std::string& top, const std::string& dir) {
  const std::pair<std::string, std::string> under(top, dir);
  Prune(!KeyLocks::ThisThreadHoldsAny(), &under);
}

void Applier::PruneLater(const std::string& top, const std::string& dir) {
  std::lock_guard lock(mu_);
  to_prune_.emplace(top, dir);
}

void Applier::Prune(bool may_wait, const std::pair<std::string, std::string>* held_under) {
  std::unique_lock lock(mu_);
  const auto taken = std::exchange(to_prune_, {});
  std::set<std::pair<std::string, std::string>> theirs;
  if (held_under) {
    // Pruned twice is harmless: the later walk finds the directory gone and
    // stops. Left to the other pass alone, a PUT of t3/f after the DELETE of
    // t3/f/g was refused 400 as a name conflict (1 of 41 runs of the nesting,
    // conflict and consistency tests under load).
    const auto& [top, dir] = *held_under;
    for (const auto* pass : pruning_) {
      for (auto it = pass->lower_bound(*held_under);
           it != pass->end() && it->first == top && it->second.starts_with(dir); ++it) {
        if (it->second.size() == dir.size() || it->second[dir.size()] == '/') theirs.insert(*it);
      }
    }
  }
  pruning_.push_back(&taken);
  lock.unlock();
  auto prune = [&](const std::set<std::pair<std::string, std::string>>& list) {
    for (const auto& [top, dir] : list) {
      if (auto busy = apply_ns_.PruneEmptyDirs(top, dir, may_wait)) PruneLater(top, *busy);
    }
  };
  prune(taken);
  prune(theirs);
  lock.lock();
  std::erase(pruning_, &taken);
}

}  // namespace fsgate::dirops
