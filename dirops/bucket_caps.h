// BucketCaps: per-bucket leases between gateways that serve one root — the
// CephFS client's Fx + DIR_CREATE/DIR_UNLINK caps on a top-level directory,
// built on the filesystem's own byte-range locks (fs::RangeLock; on CephFS
// the MDS coordinates them across clients), with no other service.
//
// One lease file per bucket, <dir>/<bucket> (outside every bucket, never
// removed). Byte 0 is the cap: its exclusive holder write-locks it, shared
// users read-lock it. One "wanted" file, <dir>/.wanted (no bucket name starts
// with a dot), for all buckets: a gateway that needs a bucket and cannot get
// it read-locks that bucket's byte there (WantedByte, a hash of the name)
// while it waits.
//
// Modes of a bucket in this gateway:
//   none       no lock; the next op takes the bucket.
//   exclusive  this gateway alone uses the bucket: async creates and unlinks,
//              reads answered from its overlay.
//   shared     others may use it too: every create and unlink is synchronous
//              (counted as sync fallback "shared_cap") and reads go to the
//              filesystem, so what one gateway answered, every other sees.
//
// Acquire (before every op on a bucket, reads too): held -> go. None -> try
// exclusive (unless cooling down) -> else shared -> else announce "wanted"
// and wait, up to ask_timeout, for the holder's revoke -> shared. A timeout
// is SlowDown to the client (reason kReasonCapBusy).
//
// Revoke, by the one watcher thread: every watch_interval, while this
// gateway holds any bucket exclusive, it tests (GETLK) the whole wanted file
// at once — one lock test whatever the number of buckets held; only when
// someone asks for something does it test the byte of each bucket it holds.
// When someone wants one, it stops new ops on the bucket (the bucket's `use`
// lock), drains it (every answered op applied: `drain`), and downgrades byte
// 0 to shared. So a cross-gateway read waits at most a watch interval plus
// the holder's drain of that bucket.
//
// Hysteresis: a revoked bucket stays shared for `cooldown` (doubling while
// revokes come within 30 s of each other, up to cooldown_max) before this
// gateway tries exclusive again; a shared bucket unused for shared_idle is
// let go, so another gateway (or this one) can have it alone again. A gateway
// alone on the root takes every bucket exclusive at its first op and keeps
// it: one map lookup and an uncontended reader lock per op (an interleaved
// A/B of 4 KiB PUTs and GETs against the binary without caps showed no
// difference beyond the run-to-run noise).
//
// Caches: when this gateway takes a bucket (from none, or shared ->
// exclusive) the `on_take` callbacks drop what it cached about the bucket
// while another gateway could change it — the engine's known directories
// (dir caps), the store's bucket attributes. While this gateway holds the cap
// exclusive nobody else changes the bucket through fsgate, so its caches and
// overlay stay true; in shared mode nothing is answered from the overlay, and
// the overlay is empty for that bucket (drained at the revoke, every shared
// op sync).
//
// The watch interval, measured (GETLK of one byte, 2 shared vCPUs): posix
// F_OFD_GETLK 1.2 µs; CephFS ceph_ll_getlk 0.27 ms (0.31 ms with a waiter),
// an MDS round trip on the dev cluster on loopback. Every 10 ms, that is 100
// MDS requests/s per gateway holding any bucket exclusive (the MDS makes
// ~2,000 creates/s here), for ~5 ms added on average to a cross-gateway
// revoke. A test per held bucket, as before the wanted file, made 451 MDS
// requests/s with 6 idle buckets held: it grew with buckets x gateways. A
// round that does test bucket by bucket waits 9 times its GETLKs' length
// before the next, so the watcher never keeps the MDS busy more than a tenth
// of the time, whatever the number of buckets; a round of one test does not
// (its length is the client's or the MDS's load, not the watcher's).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/sleeping_shared_mutex.h"
#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::dirops {

// The reason of the error an Acquire gives up with (SlowDown in S3).
inline constexpr std::string_view kReasonCapBusy = "cap-busy";
// The file of every bucket's "wanted" byte, in BucketCapsOptions::dir.
inline constexpr std::string_view kWantedFile = ".wanted";

enum class CapMode { kNone, kShared, kExclusive };

struct BucketCapsOptions {
  std::string dir;  // where the lease files live, outside every bucket
  std::chrono::milliseconds watch_interval{10};
  // An asker retries the shared lock after ask_poll, doubling up to
  // ask_poll_max: each retry is an MDS request on CephFS, and a tight loop
  // there slowed the holder's own drain.
  std::chrono::milliseconds ask_poll{1};
  std::chrono::milliseconds ask_poll_max{16};
  std::chrono::milliseconds ask_timeout{10000};
  std::chrono::milliseconds cooldown{2000};
  std::chrono::milliseconds cooldown_max{30000};
  std::chrono::milliseconds shared_idle{1000};
  // Called before this gateway takes a bucket (from none): where a dead
  // gateway's journal is adopted before its buckets are used. An error fails
  // the op that asked.
  std::function<Status()> before_acquire;
  // The revoke's drain: every answered op in the bucket applied.
  std::function<Status(const std::string& bucket)> drain;
};

class BucketCaps {
 public:
  // The bucket held in a mode for the length of one op: no revoke meanwhile.
  class Use {
   public:
    Use(std::shared_lock<SleepingSharedMutex> lock, CapMode mode)
        : lock_(std::move(lock)), mode_(mode) {}
    CapMode mode() const { return mode_; }
    bool shared() const { return mode_ == CapMode::kShared; }

   private:
    std::shared_lock<SleepingSharedMutex> lock_;
    CapMode mode_;
  };

  // Makes `options.dir` and starts the watcher.
  static Result<std::unique_ptr<BucketCaps>> Open(fs::Backend& backend, BucketCapsOptions options,
                                                  metrics::Metrics& metrics);
  // Stops the watcher and lets go of every lease: the engine must have
  // drained first (StopWatcher, then the engine, then this).
  ~BucketCaps();

  [[nodiscard]] Result<Use> Acquire(const std::string& bucket);
  // Called with the bucket's name whenever this gateway takes it. Register
  // before the first Acquire.
  void OnTake(std::function<void(const std::string&)> forget);
  // No revoke is answered after this returns (askers wait or time out).
  void StopWatcher();

  CapMode ModeOf(const std::string& bucket);

 private:
  struct Bucket;
  using Clock = std::chrono::steady_clock;

  BucketCaps(fs::Backend& backend, BucketCapsOptions options, metrics::Metrics& metrics);
  Bucket& Get(const std::string& bucket);
  // From none to shared or exclusive; under the bucket's `use`, exclusively.
  Status Take(const std::string& name, Bucket& b);
  // Waits for the exclusive holder's revoke, announced in the wanted file.
  Status Ask(const std::string& name, fs::RangeLock& lease);
  void SetMode(Bucket& b, CapMode mode);
  void Forget(const std::string& name);
  void Watch();
  void Revoke(const std::string& name, Bucket& b);
  void TryUpgradeOrRelease(const std::string& name, Bucket& b);

  fs::Backend& backend_;
  const BucketCapsOptions options_;
  metrics::Metrics& metrics_;
  bool have_locks_ = true;  // false on a backend without locks: alone by assumption
  // The wanted file, opened once (each open of a file another client has
  // open recalls that client's caps on CephFS). Several threads lock on it
  // at once (askers, the watcher): one lock owner, this gateway, whose own
  // asks are then no conflict to its own watcher.
  std::unique_ptr<fs::RangeLock> wanted_;

  std::mutex mu_;  // buckets_ (entries are never removed) and forgets_
  std::map<std::string, std::unique_ptr<Bucket>, std::less<>> buckets_;
  std::vector<std::function<void(const std::string&)>> forgets_;

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_ = false;
  std::thread watcher_;
};

}  // namespace fsgate::dirops
