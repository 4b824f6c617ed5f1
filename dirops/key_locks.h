// Striped per-name locks: operations on one top/name (and the pruning of one
// directory, locked under its directory node's name "dir/") are serialized, so a
// conditional write's check and its rename are one atomic step and a prune
// never removes a directory a concurrent create just made into a directory node.
//
// One owner: the engine holds the only KeyLocks, and every path that changes
// the namespace (the sync path, the applier, the prune) takes the same one
// by reference. Two instances would each keep their promise and together keep
// none (a prune under one and a PUT of "dir/" under the other once undid an
// answered PUT), so KeyLocks cannot be copied or moved.
//
// Order, to stay free of deadlocks:
// - Hold one stripe with Lock(), or a set of stripes taken all at once with
//   LockMany(); never block on a stripe while holding another. Stripes are
//   shared by unrelated names, and a holder may wait for the applier: nesting
//   could deadlock. LockMany never blocks while it holds any.
// - A stripe this thread already holds is held again for free (the sync path
//   runs under the request's lock): no path deadlocks on itself.
// - A create or unlink takes LockPaths: its name's stripe exclusive and the
//   stripes of every directory above it, as a name ("a") and as a directory
//   node ("a/"), shared, all at once. Two names that rule each other out
//   ("a/b" and "a/b/f", "a/b" and "a/b/", a prune of "a/b/" and a create below
//   it) then meet on a stripe one of them holds exclusive, so the conflict
//   check of one and the publish of the other never interleave: with per-name
//   stripes alone both PUTs were answered and the applier then dropped one
//   (ENOTDIR or EISDIR). A file name's own directory-node spelling ("a/b/"
//   for "a/b") is taken exclusive too: a create of the file may first have to
//   prune an emptied directory of that name, and must not find the stripe
//   busy (it may not wait for it): refused as a name conflict, a PUT of "t/f"
//   after the DELETE of "t/f/g" answered 400 in 2 of 8 runs of the
//   consistency test. Shared, because creates beside each other must still
//   share a journal flush: with the ancestors exclusive, 4 KiB PUTs at c=16
//   into 16 directories fell from 5,250 to 3,000 ops/s (p50 2.1 -> 3.0 ms);
//   shared, 4,000-4,900 ops/s, p50 1.2-1.5 ms, against 3,750-3,900 ops/s,
//   p50 2.6-2.8 ms with per-name stripes alone (same tree, runs alternated;
//   fsgate_load --op put -c 16 -d 8 --dirs 16, 2 shared cores, noisy).
// - The applier never blocks on a stripe (a holder may be waiting for it), and
//   a thread that holds a stripe never blocks on another: they TryLock, and a
//   prune that finds its stripe busy is left for a later pass.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/sleeping_shared_mutex.h"

namespace fsgate::dirops {

class KeyLocks {
 private:
  // Writers first (SleepingSharedMutex): a create or unlink holds the
  // stripes of the directories above its name shared, so a name whose own
  // stripe is one of those (stripes are shared by unrelated names) takes it
  // exclusive against every op in flight in that directory. With readers let
  // in while it waited (std::shared_mutex), it waited for a moment with none
  // in flight, which a steady load never left: async DELETEs at 16
  // connections into 16 directories on the dev CephFS cluster (a journal
  // commit ~2 ms) had a p99 of 225-284 ms, request threads found waiting in
  // LockPaths in 45 of 64 stack samples. With these stripes and kStripes
  // below (6,000 DELETEs, A/B twice, load 7-11 from other work): 864-1,167
  // -> 3,030-3,433 DELETE/s, p99 47-122 ms.
  struct Stripe {
    SleepingSharedMutex mu;
  };

 public:
  // One held stripe, or nothing when this thread held it already.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept
        : stripe_(std::exchange(other.stripe_, nullptr)), shared_(other.shared_) {}
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { Release(); }

   private:
    friend class KeyLocks;
    Held(Stripe* stripe, bool shared) : stripe_(stripe), shared_(shared) {}
    void Release();
    Stripe* stripe_ = nullptr;
    bool shared_ = false;
  };

  KeyLocks() = default;
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

  [[nodiscard]] Held Lock(std::string_view top, std::string_view name);
  // The stripe if it is free (or already this thread's, exclusive), without
  // waiting. One this thread holds only shared is not granted: no upgrade.
  [[nodiscard]] std::optional<Held> TryLock(std::string_view top, std::string_view name);
  // The stripes of every name in `names`, held until the returned locks go.
  [[nodiscard]] std::vector<Held> LockMany(std::string_view top,
                                           const std::vector<std::string>& names);

  // For creates and unlinks of `names`: each name's stripe exclusive (a file
  // name's directory-node spelling too) and those of the directories above it
  // shared (see the order rules).
  [[nodiscard]] std::vector<Held> LockPaths(std::string_view top,
                                            const std::vector<std::string>& names);

  // Whether the calling thread holds any stripe (of any KeyLocks): such a
  // thread may only TryLock another.
  static bool ThisThreadHoldsAny();

 private:
  static size_t StripeOf(std::string_view top, std::string_view name) {
    size_t h = std::hash<std::string_view>{}(top)*31 + std::hash<std::string_view>{}(name);
    return h % kStripes;
  }
  static bool HeldHere(const Stripe& s);
  static Held Take(Stripe& s, bool shared);  // `s.mu` just locked by this thread
  // Blocks on one wanted stripe at a time, holding none (std::lock's back-off).
  std::vector<Held> LockAll(std::vector<std::pair<size_t, bool>> wanted);

  // Each create or unlink in flight holds about six stripes, two exclusive;
  // the few directories a load writes into are held shared all the time. A
  // load over 16 directories of one prefix keeps 34 stripes busy: of 256, a
  // name's two exclusive stripes meet one of them for about 2 x 34 / 256 =
  // 27 % of names, of 4,096 for 1.7 %. Measured (async DELETE c16 of 6,000
  // keys on the dev CephFS cluster, A/B twice, load 7 from other work):
  // 1,075-1,349/s, p99 250-284 ms -> 1,562-6,472/s, p99 8-141 ms (writers
  // not yet first). 4,096 x 160 bytes.
  static constexpr size_t kStripes = 4096;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace fsgate::dirops
