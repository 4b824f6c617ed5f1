// An unlink that keeps the file its name holds (OpOptions::displace_to) and
// leaves a marker beside it (OpOptions::marker), and an op that drops a file
// it supersedes (OpOptions::drop): one intent each, read at their paths while
// pending, replayed after a crash at any step without making again what a
// later op removed.
#include <gtest/gtest.h>

#include <thread>

#include "dirops/intent_codec.h"
#include "displace_fixture.h"

namespace fsgate::dirops {
namespace {

using testing::DisplaceTest;
using testing::kMark;
using testing::kOld1;
using testing::kOld2;
using testing::SealedRecord;
using testing::TestOptions;

TEST(DisplaceCodec, AnUnlinksMarkerAndDropRoundTripAndFormat5RecordsStillDecode) {
  Intent in;
  in.op = IntentOp::kUnlink;
  in.seq = 9;
  in.top = "bkt";
  in.name = "a/k";
  in.target_ino = 77;
  in.displace_to = ".fsgate/versions/bkt/a/k/0123";
  in.marker = ".fsgate/versions/bkt/a/k/0122~marker";
  in.drop = ".fsgate/versions/bkt/a/k/0200~null";
  size_t consumed = 0;
  auto out = DecodeIntentRecord(SealedRecord(in, 0), RecordSeed(1), &consumed);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->op, IntentOp::kUnlink);
  EXPECT_EQ(out->target_ino, 77u);
  EXPECT_EQ(out->displace_to, in.displace_to);
  EXPECT_EQ(out->marker, in.marker);
  EXPECT_EQ(out->drop, in.drop);

  // Format 5: no marker and no drop (their empty strings' lengths dropped).
  in.marker.clear();
  in.drop.clear();
  const std::string v5 = SealedRecord(in, 2);
  auto old = DecodeIntentRecord(v5, RecordSeed(1), &consumed, 5);
  ASSERT_TRUE(old);
  EXPECT_EQ(consumed, v5.size());
  EXPECT_EQ(old->displace_to, in.displace_to);
  EXPECT_TRUE(old->marker.empty() && old->drop.empty());
  EXPECT_FALSE(DecodeIntentRecord(v5, RecordSeed(1), &consumed));
}

// An unlink that keeps its file (displace_to) and leaves a marker: one intent,
// both read at their paths while pending, the name gone, no sync fallback.
TEST_F(DisplaceTest, AnUnlinkKeepingItsFileIsReadAtBothPathsUntilApplied) {
  OpenWithOne();
  const double fallbacks = Metric("fsgate_sync_fallbacks_total");
  SlowDown(fs::FaultOp::kOpen, 300, kMark);  // the apply waits at the marker
  ASSERT_TRUE(RemoveKeeping("k").ok());
  EXPECT_EQ(Get("k"), "<absent>");
  EXPECT_EQ(Moved("k"), (std::map<std::string, std::string>{{kOld1, "one"}, {kMark, "<mark>"}}));
  EXPECT_EQ(OnDisk("k"), "one");
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total"), fallbacks);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_TRUE(Moved("k").empty());
  EXPECT_EQ(OnDisk("k"), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(At(kMark), "");
  EXPECT_EQ(ns_->overlay_size(), 0u);
}

// A crash after the marker and the move, before the unlink: replay unlinks.
TEST_F(DisplaceTest, ReplayAfterTheMoveUnlinksTheName) {
  OpenWithOne(RetriedThroughTheCrash());
  fault_->AddRule({.op = fs::FaultOp::kUnlink, .path_contains = "bkt/k", .err = EIO, .count = -1});
  ASSERT_TRUE(RemoveKeeping("k").ok());
  WaitAt(kOld1, "one");
  ASSERT_EQ(OnDisk("k"), "one");
  Restart();
  EXPECT_EQ(OnDisk("k"), "<absent>");
  EXPECT_EQ(Get("k"), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(At(kMark), "");
  EXPECT_EQ(ns_->unretired(), 0u);
}

// A crash before the marker: replay makes every step.
TEST_F(DisplaceTest, ReplayBeforeTheMarkerMakesEveryStep) {
  OpenWithOne(RetriedThroughTheCrash());
  fault_->AddRule(
      {.op = fs::FaultOp::kMkdir, .path_contains = ".fsgate/moved", .err = EIO, .count = -1});
  ASSERT_TRUE(RemoveKeeping("k").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(At(kMark), "<absent>");
  Restart();
  EXPECT_EQ(OnDisk("k"), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(At(kMark), "");
}

// Applied, not yet retired, and its marker removed since (a DELETE of that
// version): replay finds the name without its file and makes no marker again.
TEST_F(DisplaceTest, ReplayOfAnAppliedUnlinkDoesNotMakeItsMarkerAgain) {
  OpenWithOne(NeverRetired());
  ASSERT_TRUE(RemoveKeeping("k").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ASSERT_GT(ns_->unretired(), 0u);
  ASSERT_TRUE(backend_->Unlink(kMark).ok());
  Restart();
  EXPECT_EQ(At(kMark), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(OnDisk("k"), "<absent>");
}

// Applied, not yet retired, and its file brought back since by a versioned
// sync create (a DELETE of the marker by version id): the same inode at the
// name, which replay must not unlink again (it is stamped later than the unlink).
TEST_F(DisplaceTest, ReplayOfAnAppliedUnlinkKeepsTheFileBroughtBackOverIt) {
  OpenWithOne(NeverRetired());
  ASSERT_TRUE(RemoveKeeping("k").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ASSERT_GT(ns_->unretired(), 0u);
  ASSERT_TRUE(backend_->Unlink(kMark).ok());
  auto st = backend_->Stat(kOld1);
  ASSERT_TRUE(st.ok());
  StagedNode back;
  back.file.path = kOld1;
  back.size = st->size;
  back.mtime_ns = st->mtime_ns;
  OpOptions op;
  op.sync = true;
  op.versioned = true;
  ASSERT_TRUE(ns_->Publish(Node("k"), std::move(back), {}, op).ok());
  ASSERT_EQ(OnDisk("k"), "one");
  Restart();
  EXPECT_EQ(OnDisk("k"), "one");
  EXPECT_EQ(Get("k"), "one");
  EXPECT_EQ(At(kOld1), "<absent>");
  EXPECT_EQ(At(kMark), "<absent>");
}

// A create that supersedes a file (OpOptions::drop) removes it once linked; a
// crash before the drop leaves it to replay, which repeats it.
TEST_F(DisplaceTest, ACreateDropsTheFileItSupersedesAndReplayRepeatsTheDrop) {
  OpenWithOne(RetriedThroughTheCrash());
  ASSERT_TRUE(MakeMarker(*backend_, kOld2, false).ok());
  fault_->AddRule({.op = fs::FaultOp::kUnlink, .path_contains = kOld2, .err = EIO, .count = -1});
  OpOptions op;
  op.drop = kOld2;
  ASSERT_TRUE(Put("k", "two", op).ok());
  WaitAt("bkt/k", "two");
  ASSERT_EQ(At(kOld2), "");
  Restart();
  EXPECT_EQ(OnDisk("k"), "two");
  EXPECT_EQ(At(kOld2), "<absent>");
}

// A sync fallback (the header) makes every step before answering.
TEST_F(DisplaceTest, ASyncFallbackKeepsTheFileBeforeAnswering) {
  OpenWithOne();
  ASSERT_TRUE(RemoveKeeping("k", /*sync=*/true).ok());
  EXPECT_EQ(OnDisk("k"), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(At(kMark), "");
}

// The power cut after the apply, before the applier's syncfs: the marker and
// the moved file were durable before the unlink could be.
class DisplaceUnlinkPowerCutTest : public DisplaceTest {
 protected:
  void SetUp() override { SetUpWithPowerCut(); }
};

TEST_F(DisplaceUnlinkPowerCutTest, PowerCutAfterAnUnlinkKeepsTheMovedFileAndTheMarker) {
  OpenWithOne(NeverRetired());
  ASSERT_TRUE(backend_->SyncFs().ok());
  ASSERT_TRUE(RemoveKeeping("k").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  CutPowerAndReopen();
  EXPECT_EQ(OnDisk("k"), "<absent>");
  EXPECT_EQ(At(kOld1), "one");
  EXPECT_EQ(At(kMark), "");
}

}  // namespace
}  // namespace fsgate::dirops
