#include "dirops/bucket_caps.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/hash.h"
#include "base/thread_priority.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {
namespace {

constexpr uint64_t kCapByte = 0;
// Byte 1 of a lease file is where a gateway of the previous release looks
// for askers (a GETLK per bucket); askers still announce there too, so such
// a holder answers them during a rolling upgrade.
constexpr uint64_t kLeaseWantedByte = 1;
// The wanted file's first bucket byte: [0, 2) stay free, so that a range
// test from kFirstWanted sees announcements only.
constexpr uint64_t kFirstWanted = 2;
// Revokes closer together than this make the next cool-down twice as long.
constexpr auto kRevokeMemory = std::chrono::seconds(30);

metrics::CapMode MetricMode(CapMode mode) {
  return mode == CapMode::kShared ? metrics::CapMode::kShared : metrics::CapMode::kExclusive;
}

// The byte of the wanted file that stands for `bucket`: the same in every
// gateway (CRC64-NVME of the name, a fixed function), within 2^62 so that
// offset + 1 fits an off_t. Two buckets on one byte make a revoke of one
// answer the other's asker too: harmless, and unlikely (1 in 2^62 a pair).
uint64_t WantedByte(std::string_view bucket) {
  const std::string digest = Digest(HashAlgorithm::kCrc64Nvme, bucket);
  uint64_t value = 0;
  for (const char c : digest) value = (value << 8) | static_cast<unsigned char>(c);
  return kFirstWanted + (value & ((uint64_t{1} << 62) - 1));
}

}  // namespace

struct BucketCaps::Bucket {
  // Ops hold it shared for their length; a mode change holds it exclusively
  // (writer preferred: a stream of ops cannot starve a revoke).
  SleepingSharedMutex use;
  std::atomic<CapMode> mode{CapMode::kNone};  // written under `use` held exclusively
  std::atomic<int64_t> last_use{0};           // Clock ticks of the last Acquire
  // The rest only under `use` held exclusively (or by the watcher alone).
  // The lease file stays open once opened, locked or not: on CephFS each open
  // of a file another client has open recalls that client's caps on it (a
  // cross-gateway GET took 0.3-3.5 s when every take opened it again).
  std::unique_ptr<fs::RangeLock> lease;
  Clock::time_point cool_until{};
  Clock::duration cooldown{};
  Clock::time_point last_revoke{};
};

BucketCaps::BucketCaps(fs::Backend& backend, BucketCapsOptions options, metrics::Metrics& metrics)
    : backend_(backend), options_(std::move(options)), metrics_(metrics) {}

Result<std::unique_ptr<BucketCaps>> BucketCaps::Open(fs::Backend& backend,
                                                     BucketCapsOptions options,
                                                     metrics::Metrics& metrics) {
  // A lease file needs no fsync: a lock is no durable state.
  if (Status s = fs::MakeDirs(backend, options.dir, /*fsync=*/false); !s.ok()) return s;
  std::unique_ptr<BucketCaps> caps(new BucketCaps(backend, std::move(options), metrics));
  auto wanted = backend.OpenRangeLock(caps->options_.dir + "/" + std::string(kWantedFile));
  if (!wanted.ok()) {
    if (!wanted.status().IsErrno(ENOTSUP)) return wanted.status();
    caps->have_locks_ = false;
    spdlog::warn("bucket caps: {}; this gateway assumes it is alone on the root",
                 wanted.status().message());
  } else {
    caps->wanted_ = std::move(*wanted);
  }
  if (caps->have_locks_) caps->watcher_ = std::thread([c = caps.get()] { c->Watch(); });
  return caps;
}

BucketCaps::~BucketCaps() {
  StopWatcher();
  std::lock_guard lock(mu_);
  for (auto& [name, b] : buckets_) SetMode(*b, CapMode::kNone);
}

void BucketCaps::StopWatcher() {
  {
    std::lock_guard lock(watch_mu_);
    stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

void BucketCaps::OnTake(std::function<void(const std::string&)> forget) {
  std::lock_guard lock(mu_);
  forgets_.push_back(std::move(forget));
}

BucketCaps::Bucket& BucketCaps::Get(const std::string& bucket) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) it = buckets_.emplace(bucket, std::make_unique<Bucket>()).first;
  return *it->second;
}

CapMode BucketCaps::ModeOf(const std::string& bucket) { return Get(bucket).mode.load(); }

Result<BucketCaps::Use> BucketCaps::Acquire(const std::string& bucket) {
  Bucket& b = Get(bucket);
  for (;;) {
    {
      std::shared_lock use(b.use);
      const CapMode mode = b.mode.load();
      if (mode != CapMode::kNone) {
        b.last_use.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
        return Use(std::move(use), mode);
      }
    }
    std::unique_lock change(b.use);
    if (b.mode.load() != CapMode::kNone) continue;  // taken by another op meanwhile
    if (Status s = Take(bucket, b); !s.ok()) return s;
  }
}

Status BucketCaps::Take(const std::string& name, Bucket& b) {
  const auto start = Clock::now();
  if (options_.before_acquire) {
    if (Status s = options_.before_acquire(); !s.ok()) return s;
  }
  const auto checked = Clock::now();
  CapMode mode = CapMode::kExclusive;
  if (have_locks_) {
    if (!b.lease) {
      auto lease = backend_.OpenRangeLock(options_.dir + "/" + name);
      if (!lease.ok()) return lease.status();
      b.lease = std::move(*lease);
    }
    const auto now = Clock::now();
    spdlog::debug("bucket caps: taking {}: before_acquire {:.1f} ms, lease open {:.1f} ms", name,
                  std::chrono::duration<double, std::milli>(checked - start).count(),
                  std::chrono::duration<double, std::milli>(now - checked).count());
    if (now < b.cool_until || !b.lease->Lock(kCapByte, 1, fs::LockMode::kExclusive).ok()) {
      mode = CapMode::kShared;
      if (!b.lease->Lock(kCapByte, 1, fs::LockMode::kShared).ok()) {
        if (Status s = Ask(name, *b.lease); !s.ok()) return s;
      }
      // Others use the bucket: stay shared a while before trying alone again.
      b.cool_until = std::max(b.cool_until, Clock::now() + options_.cooldown);
    }
  }
  Forget(name);
  SetMode(b, mode);
  b.last_use.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  return Status::Ok();
}

Status BucketCaps::Ask(const std::string& name, fs::RangeLock& lease) {
  const auto start = Clock::now();
  // Read locks on "wanted": any number of askers at once.
  const uint64_t wanted = WantedByte(name);
  if (Status s = wanted_->Lock(wanted, 1, fs::LockMode::kShared); !s.ok()) return s;
  if (Status s = lease.Lock(kLeaseWantedByte, 1, fs::LockMode::kShared); !s.ok()) {
    (void)wanted_->Unlock(wanted, 1);
    return s;
  }
  Status got = lease.Lock(kCapByte, 1, fs::LockMode::kShared);
  std::chrono::milliseconds poll = options_.ask_poll;
  while (!got.ok() && got.IsErrno(EWOULDBLOCK) && Clock::now() - start < options_.ask_timeout) {
    std::this_thread::sleep_for(poll);
    poll = std::min(poll * 2, options_.ask_poll_max);
    got = lease.Lock(kCapByte, 1, fs::LockMode::kShared);
  }
  (void)lease.Unlock(kLeaseWantedByte, 1);
  (void)wanted_->Unlock(wanted, 1);
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  if (!got.ok()) {
    if (!got.IsErrno(EWOULDBLOCK)) return got;
    return Status::Error(StatusCode::kNoSpace,
                         "bucket " + name + " is held exclusively by another gateway that did " +
                             "not let go within " + std::to_string(options_.ask_timeout.count()) +
                             " ms",
                         std::string(kReasonCapBusy));
  }
  metrics_.CapRevoke(metrics::CapRole::kAsker);
  metrics_.CapRevokeWait(waited);
  spdlog::debug("bucket caps: {} revoked from its holder after {:.1f} ms", name, waited * 1e3);
  return Status::Ok();
}

void BucketCaps::SetMode(Bucket& b, CapMode mode) {
  const CapMode old = b.mode.exchange(mode);
  if (old == mode) return;
  if (old != CapMode::kNone) metrics_.AddCapsHeld(MetricMode(old), -1);
  if (mode != CapMode::kNone) metrics_.AddCapsHeld(MetricMode(mode), 1);
  if (mode == CapMode::kNone && b.lease) (void)b.lease->Unlock(kCapByte, 1);
}

void BucketCaps::Forget(const std::string& name) {
  std::vector<std::function<void(const std::string&)>> forgets;
  {
    std::lock_guard lock(mu_);
    forgets = forgets_;
  }
  for (const auto& forget : forgets) forget(name);
}

void BucketCaps::Watch() {
  NameThread("fsg-caps");
  std::unique_lock lock(watch_mu_);
  Clock::duration pause = options_.watch_interval;
  while (!watch_cv_.wait_for(lock, pause, [&] { return stop_; })) {
    lock.unlock();
    Clock::duration polling{};  // GETLKs only: a revoke's drain is not the watcher's cost
    std::vector<std::pair<std::string, Bucket*>> exclusive;
    std::vector<std::pair<std::string, Bucket*>> shared;
    {
      std::lock_guard map_lock(mu_);
      for (auto& [name, b] : buckets_) {
        const CapMode mode = b->mode.load();
        if (mode == CapMode::kExclusive) exclusive.emplace_back(name, b.get());
        if (mode == CapMode::kShared) shared.emplace_back(name, b.get());
      }
    }
    // One test over every announcement (this gateway's own asks are its
    // handle's: no conflict); a bucket's own byte is tested only while
    // someone asks for something.
    bool asked = false;
    if (!exclusive.empty()) {
      const auto start = Clock::now();
      auto any = wanted_->Conflicts(kFirstWanted, 0, fs::LockMode::kExclusive);
      polling += Clock::now() - start;
      asked = !any.ok() || *any;  // on an error, look bucket by bucket
    }
    for (auto& [name, b] : exclusive) {
      if (!asked) break;
      const auto start = Clock::now();
      auto wanted = wanted_->Conflicts(WantedByte(name), 1, fs::LockMode::kExclusive);
      polling += Clock::now() - start;
      if (wanted.ok() && *wanted) Revoke(name, *b);
    }
    for (auto& [name, b] : shared) TryUpgradeOrRelease(name, *b);
    // Only a round that tested bucket by bucket is made to pay for its
    // length: a single slow test (a loaded client or MDS) stretched the next
    // pause to 9 times it, and a cross-gateway GET waited 2.2 s for a 1 ms
    // drain (2 vCPUs at a load average of 14).
    pause = asked ? std::max<Clock::duration>(options_.watch_interval, polling * 9)
                  : Clock::duration(options_.watch_interval);
    lock.lock();
  }
}

void BucketCaps::Revoke(const std::string& name, Bucket& b) {
  const auto start = Clock::now();
  std::unique_lock change(b.use);  // in-flight ops finish, new ones wait
  if (b.mode.load() != CapMode::kExclusive) return;
  if (Status s = options_.drain ? options_.drain(name) : Status::Ok(); !s.ok()) {
    spdlog::warn("bucket caps: draining {} for a revoke failed: {}", name, s.message());
    return;  // still exclusive: the asker waits, this gateway retries next round
  }
  if (Status s = b.lease->Lock(kCapByte, 1, fs::LockMode::kShared); !s.ok()) {
    spdlog::warn("bucket caps: downgrading {} failed ({}): letting it go", name, s.message());
    SetMode(b, CapMode::kNone);
  } else {
    SetMode(b, CapMode::kShared);
  }
  const auto now = Clock::now();
  b.cooldown = (b.cooldown.count() > 0 && now - b.last_revoke < kRevokeMemory)
                   ? std::min<Clock::duration>(b.cooldown * 2, options_.cooldown_max)
                   : Clock::duration(options_.cooldown);
  b.last_revoke = now;
  b.cool_until = now + b.cooldown;
  b.last_use.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  metrics_.CapRevoke(metrics::CapRole::kHolder);
  spdlog::info("bucket caps: {} revoked (drained in {:.1f} ms), shared for {} ms", name,
               std::chrono::duration<double, std::milli>(now - start).count(),
               std::chrono::duration_cast<std::chrono::milliseconds>(b.cooldown).count());
}

void BucketCaps::TryUpgradeOrRelease(const std::string& name, Bucket& b) {
  const auto now = Clock::now();
  const auto idle = now - Clock::time_point(Clock::duration(b.last_use.load()));
  const bool release = idle >= options_.shared_idle;
  if (!release && now < b.cool_until) return;
  std::unique_lock change(b.use, std::try_to_lock);  // ops in flight: next round
  if (!change.owns_lock() || b.mode.load() != CapMode::kShared) return;
  if (release) {
    SetMode(b, CapMode::kNone);
    spdlog::debug("bucket caps: {} unused for a while, shared lease let go", name);
    return;
  }
  if (!b.lease->Lock(kCapByte, 1, fs::LockMode::kExclusive).ok()) {
    b.cool_until = now + options_.cooldown;  // others still there: ask again later
    return;
  }
  Forget(name);
  SetMode(b, CapMode::kExclusive);
  spdlog::info("bucket caps: {} exclusive again", name);
}

}  // namespace fsgate::dirops
