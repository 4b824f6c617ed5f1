#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "async_test_util.h"
#include "dirops/intent_journal.h"
#include "fs/fault_backend.h"

namespace fsgate::dirops {
namespace {

using testing::ScratchDir;

Intent Unlink(const std::string& key) {
  Intent in;
  in.op = IntentOp::kUnlink;
  in.top = "b";
  in.name = key;
  in.target_ino = 7;
  return in;
}

class FaultJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fault = std::make_unique<fs::FaultBackend>(dir_.NewBackend());
    fault_ = fault.get();
    backend_ = std::move(fault);
    std::vector<Intent> live;
    auto j = IntentJournal::Open(*backend_, {}, metrics_, &live);
    ASSERT_TRUE(j.ok()) << j.status().message();
    journal_ = std::move(*j);
  }
  std::vector<Intent> Reopen() {
    journal_.reset();
    std::vector<Intent> live;
    auto j = IntentJournal::Open(*backend_, {}, metrics_, &live);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return live;
  }

  ScratchDir dir_;
  fs::FaultBackend* fault_ = nullptr;
  std::unique_ptr<fs::Backend> backend_;
  metrics::Metrics metrics_;
  std::unique_ptr<IntentJournal> journal_;
};

TEST_F(FaultJournalTest, WriteEioFailsTheOpAsInternalErrorAndLaterOpsWork) {
  Intent a = Unlink("a");
  ASSERT_TRUE(journal_->Append(a).ok());
  fault_->AddRule({.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = EIO});
  Intent b = Unlink("b");
  Status s = journal_->Append(b);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.err(), EIO);
  Intent c = Unlink("c");
  ASSERT_TRUE(journal_->Append(c).ok());
  auto live = Reopen();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].name, "a");
  EXPECT_EQ(live[1].name, "c");
}

TEST_F(FaultJournalTest, WriteEnospcIsSlowDown) {
  fault_->AddRule({.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = ENOSPC});
  Intent a = Unlink("a");
  Status s = journal_->Append(a);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_TRUE(Reopen().empty());
}

// Followers of a batch whose write failed get the failure, those of the
// batches around it their success, none hangs: slow writes (3 ms) make
// batches of several appends, and three of them fail.
TEST_F(FaultJournalTest, EveryAppendOfAFailedBatchFailsAndEveryOtherIsKept) {
  fault_->AddRule({.op = fs::FaultOp::kWrite,
                   .path_contains = ".log",
                   .err = 0,
                   .count = -1,
                   .delay = std::chrono::milliseconds(3)});
  fault_->AddRule(
      {.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = ENOSPC, .count = 3, .skip = 4});
  constexpr int kThreads = 8, kPerThread = 30;
  std::mutex mu;
  std::set<std::string> kept, refused;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Intent in = Unlink("t" + std::to_string(t) + "-" + std::to_string(i));
        Status s = journal_->Append(in);
        std::lock_guard lock(mu);
        if (s.ok()) {
          kept.insert(in.name);
        } else {
          EXPECT_EQ(s.code(), StatusCode::kNoSpace) << s.message();
          refused.insert(in.name);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(kept.size() + refused.size(), size_t{kThreads * kPerThread});
  // Three failed batches, some of them shared: more refusals than batches.
  EXPECT_GT(refused.size(), 3u);
  fault_->ClearRules();
  std::set<std::string> live;
  for (const Intent& in : Reopen()) live.insert(in.name);
  EXPECT_EQ(live, kept);
}

TEST_F(FaultJournalTest, FailedSyncBreaksTheJournalForGood) {
  ASSERT_TRUE(fault_->AddRuleSpec("fsync:EIO:path=.log"));
  Intent a = Unlink("a");
  EXPECT_FALSE(journal_->Append(a).ok());
  Intent b = Unlink("b");
  Status s = journal_->Append(b);  // the fault is gone, the journal stays refused
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
}

TEST(FaultSpec, ParsesAndRejects) {
  ScratchDir dir;
  fs::FaultBackend fault(dir.NewBackend());
  EXPECT_TRUE(fault.AddRuleSpec("rename:delay=5:count=-1"));
  EXPECT_TRUE(fault.AddRuleSpec("write:ENOSPC:path=journal:skip=2"));
  EXPECT_FALSE(fault.AddRuleSpec("bogus:EIO"));
  EXPECT_FALSE(fault.AddRuleSpec("write:EWHAT"));
  EXPECT_FALSE(fault.AddRuleSpec(""));
  EXPECT_TRUE(fault.AddRuleSpec("swap:path=bkt/:count=-1"));
  EXPECT_FALSE(fault.AddRuleSpec("swap:bogus"));
}

TEST(FaultSwap, EveryNthRenameIsSwapped) {
  ScratchDir dir;
  fs::FaultBackend fault(dir.NewBackend());
  ASSERT_TRUE(fault.AddRuleSpec("swap:every=3:path=dst"));
  int swapped = 0;
  for (int i = 0; i < 9; ++i) {
    auto f = fault.Open("src", fs::Backend::OpenMode::kCreateExclusive);
    ASSERT_TRUE(f.ok());
    const uint64_t ino = (*f)->Stat()->ino;
    const std::string to = "dst" + std::to_string(i);
    ASSERT_TRUE(fault.Rename("src", to).ok());
    swapped += fault.Stat(to)->ino != ino;
  }
  EXPECT_EQ(swapped, 3);
}

TEST(FaultSwap, RenameOntoPatternGetsANewInode) {
  ScratchDir dir;
  fs::FaultBackend fault(dir.NewBackend());
  auto f = fault.Open("src", fs::Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->PWrite(0, std::string_view("payload")).ok());
  ASSERT_TRUE((*f)->SetXattr("user.k", "v").ok());
  const uint64_t ino = (*f)->Stat()->ino;
  fault.SwapInodeAfterRename("dst");
  ASSERT_TRUE(fault.Rename("src", "dst").ok());
  auto st = fault.Stat("dst");
  ASSERT_TRUE(st.ok());
  EXPECT_NE(st->ino, ino);
  EXPECT_EQ(st->size, 7u);
  EXPECT_EQ(*fault.GetXattr("dst", "user.k"), "v");
}

// No room to pre-write segments: the journal still opens, and appends go to
// segments that grow as they are written.
TEST(FaultJournalSpace, NoRoomForPrewrittenSegmentsStillJournals) {
  testing::ScratchDir dir;
  fs::FaultBackend fault(dir.NewBackend());
  ASSERT_TRUE(fault.AddRuleSpec("write:ENOSPC:path=.spare.tmp:count=-1"));
  metrics::Metrics metrics;
  std::vector<Intent> live;
  {
    auto journal = IntentJournal::Open(fault, {}, metrics, &live);
    ASSERT_TRUE(journal.ok()) << journal.status().message();
    for (const char* key : {"a", "b"}) {
      Intent in = Unlink(key);
      ASSERT_TRUE((*journal)->Append(in).ok()) << key;
    }
  }
  auto reopened = IntentJournal::Open(fault, {}, metrics, &live);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].name, "b");
  EXPECT_GT(fault.injected(), 0);
}

}  // namespace
}  // namespace fsgate::dirops
