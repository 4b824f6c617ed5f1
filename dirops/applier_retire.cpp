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

void Applier::PruneLater(const std::string& top, const std::string& dir) {
  std::lock_guard lock(mu_);
  to_prune_.emplace(top, dir);
}

void Applier::Prune(bool may_wait) {
  std::unique_lock lock(mu_);
  const auto prune = std::exchange(to_prune_, {});
  lock.unlock();
  for (const auto& [top, dir] : prune) {
    if (auto busy = apply_ns_.PruneEmptyDirs(top, dir, may_wait)) PruneLater(top, *busy);
  }
}

}  // namespace fsgate::dirops
