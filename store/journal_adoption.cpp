#include "store/journal_adoption.h"
#include "store/nested_key.h"

#include <spdlog/spdlog.h>

#include "base/thread_priority.h"
#include "dirops/async_namespace.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"
#include "store/fs_object_store.h"
#include "store/gateway_state.h"
#include "store/legacy_state.h"
#include "store/store_layout.h"

namespace fsgate::store {

JournalAdoption::JournalAdoption(fs::Backend& backend, Options options, metrics::Metrics& metrics)
    : backend_(backend), options_(std::move(options)), metrics_(metrics) {}

JournalAdoption::~JournalAdoption() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JournalAdoption::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void JournalAdoption::Loop() {
  NameThread("fsg-adopt");
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, options_.interval, [this] { return stop_; })) {
    lock.unlock();
    if (Status s = AdoptDeadGateways(); !s.ok()) {
      spdlog::warn("journal adoption: {} (tried again in {} ms)", s.message(),
                   options_.interval.count());
    }
    lock.lock();
  }
}

Status JournalAdoption::AdoptDeadGateways() {
  std::lock_guard pass(pass_mu_);
  auto entries = backend_.ReadDir(layout::kGateways);
  if (!entries.ok()) return fs::IsMissing(entries.status()) ? Status::Ok() : entries.status();
  Status first_failure;
  for (const fs::DirEntry& e : *entries) {
    if (e.name == options_.self_id || !IsValidGatewayId(e.name)) continue;
    auto adopted = AdoptIfDead(e.name);
    if (!adopted.ok() && first_failure.ok()) {
      first_failure =
          Status::Errno(adopted.status().err(),
                        "adopting gateway " + e.name + "'s journal: " + adopted.status().message());
    }
  }
  return first_failure;
}

Result<bool> JournalAdoption::AdoptIfDead(const std::string& id) {
  const std::string dir = GatewayDir(id);
  const std::string marker = dir + "/" + kAdoptedMarker;
  // Cheap checks first: an adopted gateway costs a stat a pass, and a
  // directory without a journal has nothing to replay.
  if (backend_.Stat(marker).ok()) return false;
  auto journal = backend_.Stat(dir + "/journal");
  if (!journal.ok() || !journal->is_dir) return false;
  auto lock = LockGatewayDir(backend_, dir, AdoptingRole(options_.self_id));
  if (!lock.ok()) {
    // Held: the gateway runs (or another survivor adopts it). No locks: no
    // way to tell the dead from the living, so nothing is ever adopted.
    if (lock.status().IsErrno(EWOULDBLOCK) || lock.status().IsErrno(ENOTSUP)) return false;
    return lock.status();
  }
  // Under the lock: another survivor may have finished adopting it meanwhile.
  if (backend_.Stat(marker).ok()) return false;
  // It may have died adopting a format-1 root, its staging still parked in
  // its journal directory, where the replay would not find the files.
  if (auto legacy = AdoptLegacyState(backend_, dir, options_.fsync); !legacy.ok()) {
    return legacy.status();
  }
  const auto start = std::chrono::steady_clock::now();
  spdlog::info("gateway {} is not running (its lock was free): replaying its journal", id);
  if (Status s = dirops::AsyncNamespace::ReplayAndClose(
          backend_, GatewayEngineOptions(dir, options_.fsync), metrics_);
      !s.ok()) {
    return s;
  }
  // Its objects caught between their two names by the crash (nested_key.h).
  if (auto nested = FinishNests(backend_, dir, options_.fsync); !nested.ok()) {
    return nested.status();
  }
  if (Status s = WriteFileAtomic(backend_, marker, "by gateway " + options_.self_id + "\n",
                                 options_.fsync);
      !s.ok()) {
    return s;
  }
  metrics_.JournalAdopted();
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  spdlog::info("adopted the journal of gateway {} in {:.0f} ms: every op it answered is applied",
               id, took.count());
  return true;
}

}  // namespace fsgate::store
