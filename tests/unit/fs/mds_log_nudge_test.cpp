// MdsLogNudge: a call still registered after the delay gets the flush; a flush
// is asked again while it keeps waiting; a call that returns sooner gets none.
#include "fs/mds_log_nudge.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>

namespace fsgate::fs {
namespace {

using namespace std::chrono_literals;

// Counts flushes and lets a test wait for the n-th one.
class FlushCounter {
 public:
  void Flush() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  // Waits for `n` flushes; the bound only keeps a broken build from hanging.
  bool WaitFor(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] { return count_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(MdsLogNudge, CallStillWaitingGetsFlushesUntilItReturns) {
  FlushCounter counter;
  MdsLogNudge nudge([&] { counter.Flush(); }, 1ms);
  {
    MdsLogNudge::Guard waiting(nudge);
    ASSERT_TRUE(counter.WaitFor(1));
    ASSERT_TRUE(counter.WaitFor(2));  // still waiting: asked again
  }
  EXPECT_GE(nudge.flushes(), 2u);
}

TEST(MdsLogNudge, CallReturningBeforeTheDelayGetsNone) {
  FlushCounter counter;
  MdsLogNudge nudge([&] { counter.Flush(); }, std::chrono::hours(1));
  { MdsLogNudge::Guard quick(nudge); }
  EXPECT_EQ(nudge.flushes(), 0u);
}

TEST(MdsLogNudge, CallsInARowDoNotEachWakeTheThread) {
  FlushCounter counter;
  MdsLogNudge nudge([&] { counter.Flush(); }, std::chrono::hours(1));
  for (int i = 0; i < 1000; ++i) {
    MdsLogNudge::Guard quick(nudge);
  }
  // The first call may wake it; it then looks again only after the delay. A
  // spurious wakeup may add one.
  EXPECT_LE(nudge.wakes(), 2u);
  EXPECT_EQ(nudge.flushes(), 0u);
}

}  // namespace
}  // namespace fsgate::fs
