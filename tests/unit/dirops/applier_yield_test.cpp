// Background applies yield to requests where the filesystem asks for it
// (fs::Backend::BackgroundCallsWhileBusy; libcephfs serializes a process's
// calls): while requests come in, no more than that many applies are in
// flight; waited-for work is never held back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "async_fixture.h"
#include "fs/backend_wrapper.h"

namespace fsgate::dirops {
namespace {

using testing::AsyncFixture;

// Counts the renames in flight (the applier's link into place), each held
// for a while so that applies overlap unless something keeps them apart.
class InFlightRenames final : public fs::BackendWrapper {
 public:
  InFlightRenames(std::unique_ptr<fs::Backend> target, int calls_while_busy)
      : BackendWrapper(std::move(target)), calls_while_busy_(calls_while_busy) {}

  Status Rename(const std::string& from, const std::string& to) override {
    ++renames_;
    const int now = ++in_flight_;
    int seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    --in_flight_;
    return BackendWrapper::Rename(from, to);
  }
  int BackgroundCallsWhileBusy() const override { return calls_while_busy_; }

  int max_in_flight() const { return max_.load(); }
  int renames() const { return renames_.load(); }
  void ResetMax() { max_ = in_flight_.load(); }

 private:
  const int calls_while_busy_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_{0};
  std::atomic<int> renames_{0};
};

class ApplierYieldTest : public AsyncFixture {
 protected:
  void SetUp() override {}  // OpenOver picks the backend
  // The namespace over a backend that asks for `calls_while_busy` background
  // calls while busy; a request keeps the applier "busy" for a whole minute,
  // so scheduling hiccups of a loaded machine cannot end it mid-test.
  void OpenOver(int calls_while_busy, size_t max_pending_ops = 20000,
                std::chrono::milliseconds busy_defer = std::chrono::milliseconds(0)) {
    auto counting = std::make_unique<InFlightRenames>(dir_.NewBackend(), calls_while_busy);
    renames_ = counting.get();
    UseBackend(std::move(counting));
    AsyncOptions options = testing::TestOptions();
    options.applier.workers = 4;
    options.applier.busy_quiet = std::chrono::minutes(1);
    options.applier.busy_defer = busy_defer;
    options.max_pending_ops = max_pending_ops;
    options.backlog_wait = std::chrono::seconds(30);
    OpenNs(options);
    ASSERT_TRUE(Put("d/seed", "seed").ok());  // makes d/ known: later creates are async
  }

  InFlightRenames* renames_ = nullptr;
};

TEST_F(ApplierYieldTest, OneApplyInFlightWhileRequestsComeIn) {
  OpenOver(/*calls_while_busy=*/1);
  renames_->ResetMax();
  PutKeys("d/k", 24, "body");
  EXPECT_GT(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_LE(renames_->max_in_flight(), 1);
  // A drain is waited for: the urgent workers apply beside the background one.
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_GT(renames_->max_in_flight(), 1);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(OnDisk("d/k" + std::to_string(i)), "body");
}

// While requests come in, nothing is applied until the op next in line is
// busy_defer old; then one at a time again. The seed's own apply comes first.
TEST_F(ApplierYieldTest, NothingIsAppliedWhileRequestsComeInUntilTheDeferHasPassed) {
  OpenOver(/*calls_while_busy=*/1, 20000, /*busy_defer=*/std::chrono::milliseconds(800));
  ASSERT_TRUE(ns_->Drain().ok());
  renames_->ResetMax();
  const int before = renames_->renames();
  const auto start = std::chrono::steady_clock::now();
  PutKeys("d/k", 12, "body");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(700)) {
    EXPECT_EQ(renames_->renames(), before) << "applied while the burst was younger than the defer";
    EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 12);
  }
  // Past it, applied one at a time though requests still count as coming in.
  for (int i = 0; i < 300 && metrics_.AsyncPending(metrics::AsyncOp::kCreate) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_LE(renames_->max_in_flight(), 1);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(OnDisk("d/k" + std::to_string(i)), "body");
}

// Requests waiting for room in a full backlog wait on the applies: the
// background workers stop yielding to them and apply side by side.
TEST_F(ApplierYieldTest, AppliesRunSideBySideWhileRequestsWaitForRoom) {
  OpenOver(/*calls_while_busy=*/1, /*max_pending_ops=*/6);
  renames_->ResetMax();
  PutKeys("d/k", 40, "body");
  EXPECT_GE(Metric("fsgate_async_backlog_wait_seconds"), 1);
  // 2 urgent workers and the one background apply allowed while busy make 3.
  EXPECT_GT(renames_->max_in_flight(), 3);
  ASSERT_TRUE(ns_->Drain().ok());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(OnDisk("d/k" + std::to_string(i)), "body");
}

TEST_F(ApplierYieldTest, WithoutTheFilesystemsLimitAppliesRunSideBySide) {
  OpenOver(/*calls_while_busy=*/0);
  renames_->ResetMax();
  PutKeys("d/k", 24, "body");
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_GT(renames_->max_in_flight(), 1);
}

}  // namespace
}  // namespace fsgate::dirops
