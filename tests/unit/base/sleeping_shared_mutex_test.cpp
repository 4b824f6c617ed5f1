#include "base/sleeping_shared_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace fsgate {
namespace {

using namespace std::chrono_literals;

TEST(SleepingSharedMutexTest, ReadersShareIt) {
  SleepingSharedMutex mu;
  std::shared_lock first(mu);
  // A second reader gets in while the first still holds it.
  auto second = std::async(std::launch::async, [&] {
    std::shared_lock lock(mu);
    return true;
  });
  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
}

TEST(SleepingSharedMutexTest, AWriterExcludesReadersAndWriters) {
  SleepingSharedMutex mu;
  std::atomic<int> inside{0};
  std::unique_lock writer(mu);
  auto reader = std::async(std::launch::async, [&] {
    std::shared_lock lock(mu);
    ++inside;
  });
  auto other_writer = std::async(std::launch::async, [&] {
    std::unique_lock lock(mu);
    ++inside;
  });
  EXPECT_EQ(reader.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(other_writer.wait_for(1ms), std::future_status::timeout);
  EXPECT_EQ(inside.load(), 0);
  writer.unlock();
  ASSERT_EQ(reader.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(other_writer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(inside.load(), 2);
}

TEST(SleepingSharedMutexTest, TryLockOnlyWhenNobodyHoldsIt) {
  SleepingSharedMutex mu;
  {
    std::shared_lock reader(mu);
    EXPECT_FALSE(mu.try_lock());
  }
  ASSERT_TRUE(mu.try_lock());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock();
  std::unique_lock writer(mu, std::try_to_lock);
  EXPECT_TRUE(writer.owns_lock());
}

TEST(SleepingSharedMutexTest, AWaitingWriterKeepsNewReadersOut) {
  SleepingSharedMutex mu;
  std::shared_lock first_reader(mu);
  std::atomic<bool> writer_in{false};
  auto writer = std::async(std::launch::async, [&] {
    std::unique_lock lock(mu);
    writer_in = true;
  });
  // Give the writer time to queue behind the reader.
  std::this_thread::sleep_for(100ms);
  auto late_reader = std::async(std::launch::async, [&] {
    std::shared_lock lock(mu);
    return writer_in.load();  // the writer went first
  });
  EXPECT_EQ(late_reader.wait_for(100ms), std::future_status::timeout);
  first_reader.unlock();
  ASSERT_EQ(writer.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(late_reader.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(late_reader.get());
}

TEST(SleepingSharedMutexTest, TryLockSharedBesideReadersNotBesideOrBeforeAWriter) {
  SleepingSharedMutex mu;
  std::shared_lock first_reader(mu);
  ASSERT_TRUE(mu.try_lock_shared());
  mu.unlock_shared();
  auto writer = std::async(std::launch::async, [&] { std::unique_lock lock(mu); });
  std::this_thread::sleep_for(100ms);  // queued behind the reader
  EXPECT_FALSE(mu.try_lock_shared());
  first_reader.unlock();
  ASSERT_EQ(writer.wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(mu.try_lock_shared());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock_shared();
  mu.lock();
  EXPECT_FALSE(mu.try_lock_shared());
  mu.unlock();
}

}  // namespace
}  // namespace fsgate
