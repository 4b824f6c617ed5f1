#include "dirops/key_locks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace fsgate::dirops {
namespace {

// Batches taking many overlapping stripes at once beside single-key holders:
// no deadlock, and each key is only ever touched by one holder at a time.
TEST(KeyLocksTest, LockManyNeverDeadlocksAndExcludes) {
  KeyLocks locks;
  std::map<std::string, int> owners;  // key -> holders now (must stay <= 1)
  std::mutex owners_mu;
  bool overlap = false;
  auto touch = [&](const std::vector<std::string>& keys, int delta) {
    std::lock_guard lock(owners_mu);
    for (const auto& k : keys) {
      owners[k] += delta;
      overlap |= owners[k] > 1;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 300; ++i) {
        std::vector<std::string> keys;
        for (int n = 0; n < 40; ++n) keys.push_back("k" + std::to_string(rng() % 600));
        auto held = locks.LockMany("bkt", keys);
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        touch(keys, +1);
        touch(keys, -1);
      }
    });
  }
  threads.emplace_back([&] {
    std::mt19937 rng(99);
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "k" + std::to_string(rng() % 600);
      auto held = locks.Lock("bkt", key);
      touch({key}, +1);
      touch({key}, -1);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_TRUE(locks.LockMany("bkt", {}).empty());
}

// The sync path runs under the lock its caller (the async namespace) holds:
// taking it again is free, and the outer hold stays until the outer guard goes.
TEST(KeyLocksTest, AStripeThisThreadHoldsIsHeldAgainWithoutBlocking) {
  KeyLocks locks;
  EXPECT_FALSE(KeyLocks::ThisThreadHoldsAny());
  {
    auto outer = locks.Lock("bkt", "d/");
    EXPECT_TRUE(KeyLocks::ThisThreadHoldsAny());
    { auto inner = locks.Lock("bkt", "d/"); }
    auto again = locks.TryLock("bkt", "d/");
    EXPECT_TRUE(again.has_value());
    EXPECT_TRUE(locks.LockMany("bkt", {"d/"}).empty());
    bool other_got_it = true;
    std::thread([&] { other_got_it = locks.TryLock("bkt", "d/").has_value(); }).join();
    EXPECT_FALSE(other_got_it);
  }
  EXPECT_FALSE(KeyLocks::ThisThreadHoldsAny());
  bool other_got_it = false;
  std::thread([&] { other_got_it = locks.TryLock("bkt", "d/").has_value(); }).join();
  EXPECT_TRUE(other_got_it);
}

// A create holds its key exclusive and the directories above it shared: a
// create below another keeps the file key and the prune of a directory above
// out, while a create beside it (sharing those directories) goes through.
TEST(KeyLocksTest, LockPathsExcludesAncestorKeysAndSharesThemWithSiblings) {
  KeyLocks locks;
  auto held = locks.LockPaths("bkt", {"a/b/f"});
  auto other_thread = [&](auto take) {
    bool got = false;
    std::thread([&] { got = take(); }).join();
    return got;
  };
  EXPECT_FALSE(other_thread([&] { return locks.TryLock("bkt", "a/b").has_value(); }));
  EXPECT_FALSE(other_thread([&] { return locks.TryLock("bkt", "a/b/").has_value(); }));
  EXPECT_FALSE(other_thread([&] { return locks.TryLock("bkt", "a").has_value(); }));
  // A sibling whose stripes differ from these (stripes are shared by unrelated
  // names: "a/b/g/" falls on the stripe of "a/b/", so a create of "a/b/g"
  // would wait for this one).
  EXPECT_TRUE(other_thread([&] { return !locks.LockPaths("bkt", {"a/b/h"}).empty(); }));
  held.clear();
  EXPECT_TRUE(other_thread([&] { return locks.TryLock("bkt", "a/b").has_value(); }));
}

// A stripe this thread holds only shared is not its own: TryLock does not
// upgrade it. A create's prune (run under the create's locks) took the shared
// stripe of the directory above the key as granted and removed that emptied
// directory from under the create (a nesting storm's PUT answered 500: open of
// the directory, ENOENT). A file name's directory-node spelling is held
// exclusive with it, so that create may prune an emptied directory of its name.
TEST(KeyLocksTest, TryLockDoesNotUpgradeAStripeThisThreadHoldsShared) {
  KeyLocks locks;
  auto held = locks.LockPaths("bkt", {"a/b/f"});
  EXPECT_FALSE(locks.TryLock("bkt", "a/b/").has_value());
  EXPECT_FALSE(locks.TryLock("bkt", "a/").has_value());
  EXPECT_TRUE(locks.TryLock("bkt", "a/b/f").has_value());
  EXPECT_TRUE(locks.TryLock("bkt", "a/b/f/").has_value());
  bool other_got_it = true;
  std::thread([&] { other_got_it = locks.TryLock("bkt", "a/b/f/").has_value(); }).join();
  EXPECT_FALSE(other_got_it);
}

// A name whose own stripe is a directory's above it (stripes are shared by
// unrelated names) waits for the creates and unlinks in flight beside it,
// which hold that directory's stripe shared — for them, not for ever. With
// readers let in while a writer waited, it waited until a moment when none
// was in flight, which a steady load in that directory never left: DELETEs
// at 16 connections on CephFS (a journal commit ~2 ms) waited up to 0.8 s.
TEST(KeyLocksTest, ANameOnItsDirectorysStripeIsNotStarvedBySiblings) {
  KeyLocks locks;
  // Names in "d/" whose stripe one holding "d/x" and one holding "d/y" both
  // keep busy: it is the stripe of "d" or of "d/".
  auto busy_while = [&](const std::string& sibling, const std::string& name) {
    auto held = locks.LockPaths("bkt", {sibling});
    bool free = false;
    std::thread([&] { free = locks.TryLock("bkt", name).has_value(); }).join();
    return !free;
  };
  std::string victim;
  for (int i = 0; i < 200000 && victim.empty(); ++i) {
    const std::string name = "d/k" + std::to_string(i);
    if (busy_while("d/x", name) && busy_while("d/y", name)) victim = name;
  }
  ASSERT_FALSE(victim.empty());

  std::atomic<bool> stop = false;
  std::vector<std::thread> siblings;
  for (int t = 0; t < 4; ++t) {
    siblings.emplace_back([&, t] {
      const std::string name = "d/s" + std::to_string(t);
      while (!stop) {
        auto held = locks.LockPaths("bkt", {name});
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a journal commit
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::atomic<int64_t> waited_ms = -1;
  std::thread taker([&] {
    const auto start = std::chrono::steady_clock::now();
    auto held = locks.LockPaths("bkt", {victim});
    waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  });
  for (int i = 0; i < 200 && waited_ms < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;  // the siblings' load ends: a starved taker gets it now
  for (auto& t : siblings) t.join();
  taker.join();
  EXPECT_LT(waited_ms, 200) << victim << " waited for its siblings' load to end";
}

}  // namespace
}  // namespace fsgate::dirops
