// Failover: a survivor's adoption of a dead gateway's journal, over the real
// posix backend. The dead gateway is an engine on .fsgate/gw/dead/ abandoned
// with answered ops unapplied (its renames failing, as a kill -9 mid-apply
// leaves them); the fault backend only holds those renames back.
#include "store/journal_adoption.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "async_fixture.h"
#include "store/gateway_state.h"

namespace fsgate::dirops {
namespace {

namespace stdfs = std::filesystem;
using store::GatewayState;
using store::JournalAdoption;

class JournalAdoptionTest : public testing::AsyncFixture {
 protected:
  static AsyncOptions DeadGatewayOptions() {
    auto options = testing::TestOptions();
    options.journal.dir = ".fsgate/gw/dead/journal";
    options.pool.dir = ".fsgate/gw/dead/staging";
    options.applier.max_attempts = 1000;  // still retrying at the crash
    return options;
  }

  // Gateway "dead" answers a create in a new directory (applied), then an
  // inline and a streamed create and an unlink of the first, and dies.
  void KillWithAnsweredOps() {
    OpenNs(DeadGatewayOptions());
    ASSERT_TRUE(Put("d/seed", "s").ok());
    ASSERT_TRUE(ns_->Drain().ok());  // d/seed on disk; the ops below stay pending
    fault_->AddRule({.op = fs::FaultOp::kRename, .path_contains = "bkt/d/", .count = -1});
    fault_->AddRule({.op = fs::FaultOp::kUnlink, .path_contains = "bkt/d/", .count = -1});
    ASSERT_TRUE(Put("d/inline", "small body").ok());
    ASSERT_TRUE(PutStreamed("d/streamed", std::string(100'000, 's')).ok());
    ASSERT_TRUE(ns_->Remove(Node("d/seed"), {}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ns_->Abandon();
    ns_.reset();
    fault_->ClearRules();
    ASSERT_EQ(OnDisk("d/inline"), "<absent>");
    ASSERT_EQ(OnDisk("d/seed"), "s");
  }

  void ExpectEveryAnsweredOp() {
    EXPECT_EQ(OnDisk("d/inline"), "small body");
    EXPECT_EQ(OnDisk("d/streamed"), std::string(100'000, 's'));
    EXPECT_EQ(OnDisk("d/seed"), "<absent>");
  }

  JournalAdoption Survivor() {
    return JournalAdoption(*backend_, {"survivor", /*fsync=*/true, std::chrono::milliseconds(0)},
                           metrics_);
  }

  std::string Marker() const { return dir_.path() + "/.fsgate/gw/dead/adopted"; }
};

TEST_F(JournalAdoptionTest, ReplaysADeadGatewaysJournalOnceAndItsRestartResumesAfterIt) {
  KillWithAnsweredOps();
  JournalAdoption survivor = Survivor();
  ASSERT_TRUE(survivor.AdoptDeadGateways().ok());
  ExpectEveryAnsweredOp();
  EXPECT_EQ(metrics_.JournalsAdoptedTotal(), 1);
  EXPECT_TRUE(stdfs::exists(Marker()));
  ASSERT_TRUE(survivor.AdoptDeadGateways().ok());  // marked: not again
  EXPECT_EQ(metrics_.JournalsAdoptedTotal(), 1);

  // The dead id starts again: the marker goes, nothing is left to replay, and
  // its seqs go on above the adopted ones (a replayed unlink compares them).
  auto state = GatewayState::Open(*backend_, "dead", true);
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_FALSE(stdfs::exists(Marker()));
  OpenNs(DeadGatewayOptions());
  EXPECT_EQ(ns_->unretired(), 0u);
  fault_->AddRule({.op = fs::FaultOp::kUnlink, .path_contains = "bkt/d/", .count = -1});
  ASSERT_TRUE(ns_->Remove(Node("d/inline"), {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ns_->Abandon();
  ns_.reset();
  fault_->ClearRules();
  state->reset();
  ASSERT_TRUE(survivor.AdoptDeadGateways().ok());
  EXPECT_EQ(metrics_.JournalsAdoptedTotal(), 2);
  EXPECT_EQ(OnDisk("d/inline"), "<absent>");
}

// A move of a file into its directory that the crash cut short
// (store/nested_key.h) is finished by the survivor too.
TEST_F(JournalAdoptionTest, FinishesTheDeadGatewaysCutShortMoves) {
  KillWithAnsweredOps();
  const std::string temp = dir_.path() + "/.fsgate/gw/dead/nest/bkt/d/moved";
  stdfs::create_directories(stdfs::path(temp).parent_path());
  ::fsgate::testing::WriteLocalFile(temp, "moved away");
  ASSERT_TRUE(Survivor().AdoptDeadGateways().ok());
  ExpectEveryAnsweredOp();
  EXPECT_EQ(OnDisk("d/moved/.fsgate-object"), "moved away");
  EXPECT_FALSE(stdfs::exists(temp));
}

TEST_F(JournalAdoptionTest, AGatewayHoldingItsLockIsNeverAdopted) {
  KillWithAnsweredOps();
  auto alive = GatewayState::Open(*backend_, "dead", true);  // it came back
  ASSERT_TRUE(alive.ok()) << alive.status().message();
  JournalAdoption survivor = Survivor();
  ASSERT_TRUE(survivor.AdoptDeadGateways().ok());
  EXPECT_EQ(metrics_.JournalsAdoptedTotal(), 0);
  EXPECT_EQ(OnDisk("d/inline"), "<absent>");
  EXPECT_FALSE(stdfs::exists(Marker()));
}

// The replay is durable before the journal says so: a power cut right after
// the adoption (every name change not yet synced undone) loses nothing, and
// the dead id's restart replays nothing more.
class JournalAdoptionPowerCutTest : public JournalAdoptionTest {
 protected:
  void SetUp() override { SetUpWithPowerCut(); }
};

TEST_F(JournalAdoptionPowerCutTest, AdoptionSurvivesACutRightAfterIt) {
  KillWithAnsweredOps();
  ASSERT_TRUE(Survivor().AdoptDeadGateways().ok());
  ASSERT_TRUE(cut_->SimulatePowerCut().ok());
  ExpectEveryAnsweredOp();
  EXPECT_TRUE(stdfs::exists(Marker()));
  OpenNs(DeadGatewayOptions());
  EXPECT_EQ(ns_->unretired(), 0u);
}

}  // namespace
}  // namespace fsgate::dirops
