// The overlay is shared by request threads and the applier's workers, which run
// at nice 19. A lock that spins while its holder is preempted (glibc's rwlock
// does, between the steps of a lock or an unlock) lets busy request threads
// starve the nice-19 holder: measured as every PUT stalled for 0.1-2 s at 32
// connections, and as waits of 1.2-2.1 s in this test with std::shared_mutex.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_priority.h"
#include "dirops/overlay.h"

namespace fsgate::dirops {
namespace {

using Clock = std::chrono::steady_clock;

OverlayEntry Entry(uint64_t seq) {
  OverlayEntry e;
  e.seq = seq;
  e.attrs = "e";
  return e;
}

// One 3-second run: the worst time a request thread waited for the overlay.
int64_t WorstRequestWaitUs() {
  Overlay overlay;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> worst_us{0};

  // The applier's part: resolves, at the lowest priority, as fast as it can.
  std::thread applier([&] {
    LowerThreadPriority();
    for (uint64_t seq = 1; !stop; ++seq) {
      const std::string key = "applied/" + std::to_string(seq % 64);
      overlay.Put("b", key, Entry(seq));
      overlay.Resolve("b", key, seq);
    }
  });
  // Request threads: publish and read, then wait a little as a commit would.
  std::vector<std::thread> requests;
  for (int t = 0; t < 24; ++t) {
    requests.emplace_back([&, t] {
      for (uint64_t seq = 1; !stop; ++seq) {
        const std::string key = "answered/" + std::to_string(t);
        const auto start = Clock::now();
        overlay.Put("b", key, Entry(seq));
        (void)overlay.Get("b", "applied/1");
        const int64_t waited =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        int64_t seen = worst_us.load();
        while (waited > seen && !worst_us.compare_exchange_weak(seen, waited)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  applier.join();
  for (auto& t : requests) t.join();
  return worst_us.load();
}

TEST(OverlayLockTest, RequestThreadsAreNotStalledByANice19Resolver) {
  // A lock whose waiters sleep keeps the worst wait to a few ms on two CPUs; a
  // spinning one stalls every run for over a second. A machine loaded by other
  // work can stall one run on its own (a wait of 0.5 s was seen once at a load
  // of 13 on two CPUs), so the best of up to three runs is judged: a spinning
  // lock fails all three.
  int64_t best_us = INT64_MAX;
  for (int run = 0; run < 3 && best_us >= 500'000; ++run) {
    best_us = std::min(best_us, WorstRequestWaitUs());
  }
  EXPECT_LT(best_us, 500'000) << "a request waited " << best_us << " us in the best of 3 runs";
}

}  // namespace
}  // namespace fsgate::dirops
