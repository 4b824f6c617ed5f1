#include "base/wait_word.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <thread>
#include <vector>

namespace fsgate {
namespace {

using namespace std::chrono_literals;

// A lost wake leaves a thread asleep for good, and its future's destructor
// would wait for it: fail and leave instead of hanging the suite.
void FinishesOrDie(std::future<void>& done, std::chrono::seconds limit, const char* what) {
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << what << ": still asleep after " << limit.count() << " s (a lost wake)";
    std::_Exit(1);
  }
  done.get();
}

void SleepUntilMoved(WaitWord& word, uint32_t seen) {
  while (word.Load() == seen) word.WaitWhile(seen);
}

TEST(WaitWordTest, WaitWhileReturnsAtOnceWhenTheWordMoved) {
  WaitWord word;
  word.Advance();
  auto done = std::async(std::launch::async, [&] { word.WaitWhile(0); });
  FinishesOrDie(done, 5s, "a waiter on a stale value");
  EXPECT_EQ(word.Load(), 1u);
}

TEST(WaitWordTest, ASleeperStaysAsleepUntilTheWordMoves) {
  WaitWord word;
  std::atomic<bool> woke{false};
  auto done = std::async(std::launch::async, [&] {
    SleepUntilMoved(word, 0);
    woke = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(woke.load());
  word.Advance();
  FinishesOrDie(done, 5s, "the sleeper");
  EXPECT_TRUE(woke.load());
}

TEST(WaitWordTest, AdvanceWakesEverySleeper) {
  WaitWord word;
  std::vector<std::future<void>> sleepers;
  for (int i = 0; i < 8; ++i) {
    sleepers.push_back(std::async(std::launch::async, [&] { SleepUntilMoved(word, 0); }));
  }
  std::this_thread::sleep_for(50ms);  // most of them inside the futex wait by now
  word.Advance();
  for (auto& s : sleepers) FinishesOrDie(s, 5s, "one of 8 sleepers");
}

// Advance skips the wake when it counts no sleeper: a waiter that counts itself
// just as the word moves must still see the move. Two threads hand a turn back
// and forth many times, so the waiter's count and the waker's move race in
// every order; one lost wake and both sleep for good.
TEST(WaitWordTest, HandingTurnsBackAndForthLosesNoWake) {
  WaitWord ping;
  WaitWord pong;
  constexpr uint32_t kRounds = 50'000;
  auto other = std::async(std::launch::async, [&] {
    for (uint32_t i = 0; i < kRounds; ++i) {
      SleepUntilMoved(ping, i);
      pong.Advance();
    }
  });
  auto self = std::async(std::launch::async, [&] {
    for (uint32_t i = 0; i < kRounds; ++i) {
      ping.Advance();
      SleepUntilMoved(pong, i);
    }
  });
  FinishesOrDie(self, 120s, "ping-pong");
  FinishesOrDie(other, 5s, "ping-pong's other side");
  EXPECT_EQ(ping.Load(), kRounds);
  EXPECT_EQ(pong.Load(), kRounds);
}

}  // namespace
}  // namespace fsgate
