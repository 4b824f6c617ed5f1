// Striped per-key locks: operations on one bucket/key (and the pruning of one
// directory, locked under its directory-object key "dir/") are serialized, so a
// conditional write's check and its rename are one atomic step and a prune
// never removes a directory a concurrent PUT just made into a directory object.
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
//   shared by unrelated keys, and a holder may wait for the applier: nesting
//   could deadlock. LockMany never blocks while it holds any.
// - A stripe this thread already holds is held again for free (the sync path
//   runs under the request's lock): no path deadlocks on itself.
// - A create or unlink takes LockPath: the stripes of its key and of every
//   ancestor directory, as a key ("a") and as a directory object ("a/"), all
//   at once. Two keys that rule each other out ("a/b" and "a/b/f", "a/b/" and
//   "a/b/f", a prune of "a/b/" and a create below it) then share a stripe, so
//   the conflict check of one and the publish of the other never interleave:
//   with per-key stripes alone both PUTs were answered and the applier then
//   dropped one of them (ENOTDIR or EISDIR).
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

namespace fsgate::dirops {

class KeyLocks {
 private:
  struct Stripe {
    std::mutex mu;
    // Who holds `mu`; only the holder writes its own id, so comparing with
    // this thread's id is exact without further locking.
    std::atomic<std::thread::id> owner{};
  };

 public:
  // One held stripe, or nothing when this thread held it already.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept : stripe_(std::exchange(other.stripe_, nullptr)) {}
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { Release(); }

   private:
    friend class KeyLocks;
    explicit Held(Stripe* stripe) : stripe_(stripe) {}
    void Release();
    Stripe* stripe_ = nullptr;
  };

  KeyLocks() = default;
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

  [[nodiscard]] Held Lock(std::string_view bucket, std::string_view key);
  // The stripe if it is free (or already this thread's), without waiting.
  [[nodiscard]] std::optional<Held> TryLock(std::string_view bucket, std::string_view key);
  // The stripes of every key in `keys`, held until the returned locks go.
  [[nodiscard]] std::vector<Held> LockMany(std::string_view bucket,
                                           const std::vector<std::string>& keys);

  // The stripes of `key` and of each directory above it (see the order rules).
  [[nodiscard]] std::vector<Held> LockPath(std::string_view bucket, std::string_view key);
  // "a/b/c" -> "a/b/c", "a", "a/", "a/b", "a/b/"; "a/b/" -> "a/b/", "a/b", "a", "a/".
  static std::vector<std::string> PathKeys(std::string_view key);

  // Whether the calling thread holds any stripe (of any KeyLocks): such a
  // thread may only TryLock another.
  static bool ThisThreadHoldsAny();

 private:
  static size_t StripeOf(std::string_view bucket, std::string_view key) {
    size_t h = std::hash<std::string_view>{}(bucket)*31 + std::hash<std::string_view>{}(key);
    return h % kStripes;
  }
  static bool HeldHere(const Stripe& s) {
    return s.owner.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }
  static Held Take(Stripe& s);  // `s.mu` just locked by this thread

  static constexpr size_t kStripes = 256;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace fsgate::dirops
