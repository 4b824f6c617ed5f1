// ReadHandleCache: a second open of a file reuses the first's handle; a
// handle is closed once unused for the idle time, or when the cache is over
// capacity, but never while a reader still holds it.
#include "fs/read_handle_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace fsgate::fs {
namespace {

using namespace std::chrono_literals;

// Makes handles and counts how many are open.
class Opener {
 public:
  std::function<Result<ReadHandleCache::Handle>()> For(int file) {
    return [this, file]() -> Result<ReadHandleCache::Handle> {
      ++opens;
      ++open_now;
      return ReadHandleCache::Handle(new int(file), [this](void* p) {
        --open_now;
        delete static_cast<int*>(p);
      });
    };
  }
  std::atomic<int> opens{0};
  std::atomic<int> open_now{0};
};

// Waits (bounded) until `done` holds.
template <typename F>
bool Eventually(F done) {
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(1ms)) {
    if (done()) return true;
  }
  return done();
}

TEST(ReadHandleCache, SecondOpenOfAFileReusesItsHandle) {
  Opener opener;
  ReadHandleCache cache({.capacity = 8, .idle = 60s});
  int a = 0, b = 0;
  auto first = cache.Get(&a, opener.For(1));
  ASSERT_TRUE(first.ok());
  auto again = cache.Get(&a, opener.For(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get());
  auto other = cache.Get(&b, opener.For(2));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(first->get(), other->get());
  EXPECT_EQ(opener.opens, 2);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(ReadHandleCache, AFailedOpenIsNotCached) {
  ReadHandleCache cache({.capacity = 8, .idle = 60s});
  int a = 0;
  auto failed = cache.Get(
      &a, []() -> Result<ReadHandleCache::Handle> { return Status::Errno(ENOENT, "gone"); });
  EXPECT_TRUE(failed.status().IsErrno(ENOENT));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReadHandleCache, UnusedHandleIsClosedAfterIdle) {
  Opener opener;
  ReadHandleCache cache({.capacity = 8, .idle = 20ms});
  int a = 0;
  ASSERT_TRUE(cache.Get(&a, opener.For(1)).ok());  // the caller's copy dropped at once
  EXPECT_TRUE(Eventually([&] { return opener.open_now == 0; }));
  EXPECT_EQ(cache.size(), 0u);
  ASSERT_TRUE(cache.Get(&a, opener.For(1)).ok());
  EXPECT_EQ(opener.opens, 2);
}

TEST(ReadHandleCache, HandleInUseOutlivesItsEviction) {
  Opener opener;
  ReadHandleCache cache({.capacity = 8, .idle = 20ms});
  int a = 0;
  auto got = cache.Get(&a, opener.For(7));
  ASSERT_TRUE(got.ok());
  ReadHandleCache::Handle held = std::move(*got);
  EXPECT_TRUE(Eventually([&] { return cache.size() == 0; }));
  EXPECT_EQ(opener.open_now, 1);  // the reader still reads through it
  EXPECT_EQ(*static_cast<int*>(held.get()), 7);
  held.reset();
  EXPECT_EQ(opener.open_now, 0);
}

TEST(ReadHandleCache, OverCapacityTheLeastRecentlyUsedGoes) {
  Opener opener;
  ReadHandleCache cache({.capacity = 2, .idle = 60s});
  int files[3] = {};
  ASSERT_TRUE(cache.Get(&files[0], opener.For(0)).ok());
  ASSERT_TRUE(cache.Get(&files[1], opener.For(1)).ok());
  ASSERT_TRUE(cache.Get(&files[0], opener.For(0)).ok());  // 1 is now the oldest
  ASSERT_TRUE(cache.Get(&files[2], opener.For(2)).ok());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(opener.open_now, 2);
  ASSERT_TRUE(cache.Get(&files[0], opener.For(0)).ok());
  EXPECT_EQ(opener.opens, 3);  // 0 was kept
  ASSERT_TRUE(cache.Get(&files[1], opener.For(1)).ok());
  EXPECT_EQ(opener.opens, 4);  // 1 was not
}

TEST(ReadHandleCache, DestroyingTheCacheClosesEveryHandle) {
  Opener opener;
  {
    ReadHandleCache cache({.capacity = 8, .idle = 60s});
    int a = 0, b = 0;
    ASSERT_TRUE(cache.Get(&a, opener.For(1)).ok());
    ASSERT_TRUE(cache.Get(&b, opener.For(2)).ok());
    EXPECT_EQ(opener.open_now, 2);
  }
  EXPECT_EQ(opener.open_now, 0);
}

}  // namespace
}  // namespace fsgate::fs
