// A create that displaces the file its name holds (OpOptions::displace_to):
// one intent, read at both paths while pending, applied in the name's order,
// and replayed idempotently whichever of its two steps a crash left done.
#include <gtest/gtest.h>

#include <thread>

#include "dirops/intent_codec.h"
#include "displace_fixture.h"

namespace fsgate::dirops {
namespace {

using testing::DisplaceTest;
using testing::kOld1;
using testing::kOld2;
using testing::SealedRecord;
using testing::TestOptions;

TEST_F(DisplaceTest, TheMovedFileIsReadAtItsNewPathUntilAppliedThenOnDisk) {
  OpenNs();
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  const double fallbacks = Metric("fsgate_sync_fallbacks_total");  // the first create's
  SlowRenames(300, "bkt/k");                                       // the link of the new file waits
  ASSERT_TRUE(PutDisplacing("k", "two", kOld1).ok());
  EXPECT_EQ(Get("k"), "two");
  EXPECT_EQ(Moved("k"), (std::map<std::string, std::string>{{kOld1, "one"}}));
  EXPECT_EQ(OnDisk("k"), "one");
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total"), fallbacks);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_TRUE(Moved("k").empty());
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(ns_->overlay_size(), 0u);
}

// The second create displaces the first while that one is still pending: the
// applier links them in answer order, so the first is what it moves.
TEST_F(DisplaceTest, ACreateDisplacesAPendingOneInAnswerOrder) {
  OpenNs();
  ASSERT_TRUE(Put("k", "zero").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(100, "bkt/k");
  ASSERT_TRUE(PutDisplacing("k", "one", kOld1).ok());
  ASSERT_TRUE(PutDisplacing("k", "two", kOld2).ok());
  EXPECT_EQ(Get("k"), "two");
  EXPECT_EQ(Moved("k"), (std::map<std::string, std::string>{{kOld1, "zero"}, {kOld2, "one"}}));
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "zero");
  EXPECT_EQ(At(kOld2), "one");
}

TEST_F(DisplaceTest, NothingAtTheNameMovesNothing) {
  OpenNs();
  ASSERT_TRUE(Put("k", "seed").ok());  // the directory known: the next create is async
  ASSERT_TRUE(ns_->Remove(Node("k"), {}).ok());
  ASSERT_TRUE(PutDisplacing("k", "new", kOld1).ok());
  EXPECT_TRUE(Moved("k").empty());
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("k"), "new");
  EXPECT_EQ(At(kOld1), "<absent>");
}

// A crash after the move, before the link: replay links the new file and
// leaves the moved one where it is.
TEST_F(DisplaceTest, ReplayAfterTheMoveLinksTheNewFile) {
  auto options = TestOptions();
  options.applier.max_attempts = 1000;  // still retrying at the crash
  OpenNs(options);
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  fault_->AddRule({.op = fs::FaultOp::kRename, .path_contains = "bkt/k", .err = EIO, .count = -1});
  ASSERT_TRUE(PutDisplacing("k", "two", kOld1).ok());
  for (int i = 0; i < 500 && At(kOld1) == "<absent>"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(At(kOld1), "one");
  ASSERT_EQ(OnDisk("k"), "one");
  Restart();
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(Get("k"), "two");
  EXPECT_EQ(ns_->unretired(), 0u);
}

// A crash before the move: replay makes both steps.
TEST_F(DisplaceTest, ReplayBeforeTheMoveMakesBothSteps) {
  auto options = TestOptions();
  options.applier.max_attempts = 1000;
  OpenNs(options);
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  fault_->AddRule(
      {.op = fs::FaultOp::kMkdir, .path_contains = ".fsgate/moved", .err = EIO, .count = -1});
  ASSERT_TRUE(PutDisplacing("k", "two", kOld1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(At(kOld1), "<absent>");
  Restart();
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "one");
}

// Both steps done, the intent not yet retired: replay changes nothing.
TEST_F(DisplaceTest, ReplayOfAnAppliedDisplacementChangesNothing) {
  auto options = TestOptions();
  options.applier.sync_window = std::chrono::hours(1);  // applied, never retired
  OpenNs(options);
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ASSERT_TRUE(PutDisplacing("k", "two", kOld1).ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ASSERT_GT(ns_->unretired(), 0u);
  ASSERT_TRUE(Put("k", "three").ok());  // the name moves on; kOld1 stays
  ASSERT_TRUE(ns_->Drain().ok());
  Restart();
  EXPECT_EQ(OnDisk("k"), "three");
  EXPECT_EQ(At(kOld1), "one");
}

// The power cut after the apply, before the applier's syncfs: the moved file
// was made durable before the link, so whatever the cut keeps of the link,
// replay ends with both (the power-cut backend has no hard links: the rename path).
class DisplacePowerCutTest : public DisplaceTest {
 protected:
  void SetUp() override { SetUpWithPowerCut(); }
};

TEST_F(DisplacePowerCutTest, PowerCutAfterTheApplyKeepsBothFiles) {
  auto options = TestOptions();
  options.applier.sync_window = std::chrono::hours(1);
  OpenNs(options);
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ASSERT_TRUE(backend_->SyncFs().ok());
  ASSERT_TRUE(PutDisplacing("k", "two", kOld1).ok());
  ASSERT_TRUE(ns_->Drain().ok());
  CutPowerAndReopen();
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "one");
}

// A sync fallback (the header) makes the same two steps before answering.
TEST_F(DisplaceTest, ASyncFallbackDisplacesBeforeAnswering) {
  OpenNs();
  ASSERT_TRUE(Put("k", "one").ok());
  OpOptions op;
  op.sync = true;
  op.displace_to = kOld1;
  ASSERT_TRUE(Put("k", "two", op).ok());
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld1), "one");
}

TEST(DisplaceCodec, TheMovePathRoundTripsAndFormat4RecordsStillDecode) {
  Intent in;
  in.op = IntentOp::kCreate;
  in.seq = 7;
  in.top = "bkt";
  in.name = "a/k";
  in.staging = {".fsgate/staging/d.1", 42, true};
  in.attrs = "attrs";
  in.displace_to = ".fsgate/versions/bkt/a/k/0123";
  std::string record;
  AppendIntentRecord(in, &record);
  SealRecords(&record, RecordSeed(1));
  size_t consumed = 0;
  auto out = DecodeIntentRecord(record, RecordSeed(1), &consumed);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->displace_to, in.displace_to);
  EXPECT_EQ(out->name, "a/k");

  // Format 4 is format 6 without the move path, the marker and the drop:
  // their empty strings' u32 lengths (before the last byte, has_inline = 0)
  // dropped give the record an older fsgate wrote.
  in.displace_to.clear();
  const std::string v4 = SealedRecord(in, 3);
  auto old = DecodeIntentRecord(v4, RecordSeed(1), &consumed, kNodeRecordFormat);
  ASSERT_TRUE(old);
  EXPECT_EQ(consumed, v4.size());
  EXPECT_EQ(old->name, "a/k");
  EXPECT_EQ(old->attrs, "attrs");
  EXPECT_TRUE(old->displace_to.empty());
  // Read as format 6 it is short by fields: refused, never guessed.
  EXPECT_FALSE(DecodeIntentRecord(v4, RecordSeed(1), &consumed));
}

}  // namespace
}  // namespace fsgate::dirops
