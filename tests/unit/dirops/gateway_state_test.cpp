// Engine state per gateway: the lock on .fsgate/gw/<id>/, the stored default
// id, and the adoption of a format-1 root's journal and staging, cut at each
// of its renames (the fault backend fails the rename, as a crash there would
// leave the root) and finished by the next open.
#include "store/gateway_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "async_fixture.h"
#include "store/object_store.h"
#include "store/store_layout.h"
#include "tests/unit/store/store_test_util.h"

namespace fsgate::dirops {
namespace {

namespace stdfs = std::filesystem;
using ::fsgate::testing::ReadLocalFile;
using ::fsgate::testing::WriteLocalFile;
using store::GatewayState;
using store::IsValidGatewayId;
using store::ObjectStore;
using store::StoreOptions;

class GatewayStateTest : public testing::AsyncFixture {
 protected:
  std::string Root(const std::string& rel) const { return dir_.path() + "/" + rel; }

  // Answered ops left unapplied in a journal of the format-1 layout: the
  // engine's default directories are .fsgate/journal and .fsgate/staging.
  void MakeLegacyRoot() {
    auto options = testing::TestOptions();
    options.applier.max_attempts = 1000;  // still retrying at the crash
    OpenNs(options);
    ASSERT_TRUE(Put("d/seed", "s").ok());  // d/ known: the next creates go async
    fault_->AddRule({.op = fs::FaultOp::kRename, .path_contains = "bkt/d/", .count = -1});
    ASSERT_TRUE(Put("d/inline", "small body").ok());
    ASSERT_TRUE(PutStreamed("d/streamed", std::string(100'000, 's')).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ns_->Abandon();
    ns_.reset();
    fault_->ClearRules();
    ASSERT_EQ(OnDisk("d/inline"), "<absent>");
    ASSERT_EQ(OnDisk("d/streamed"), "<absent>");
    WriteLocalFile(Root(".fsgate/format"), "1\n");
  }

  // Opens the store as gateway "g1" and checks every answered op is in place.
  void ExpectAdoptedAndReplayed() {
    StoreOptions options;
    options.gateway_id = "g1";
    auto store = ObjectStore::Open(dir_.NewBackend(), options, metrics_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(OnDisk("d/inline"), "small body");
    EXPECT_EQ(OnDisk("d/streamed"), std::string(100'000, 's'));
    EXPECT_FALSE(stdfs::exists(Root(".fsgate/journal")));
    EXPECT_FALSE(stdfs::exists(Root(".fsgate/staging")));
    EXPECT_FALSE(stdfs::exists(Root(".fsgate/gw/g1/journal/staging")));
    EXPECT_TRUE(stdfs::is_directory(Root(".fsgate/gw/g1/staging")));
    EXPECT_EQ(ReadLocalFile(Root(".fsgate/format")), "2\n");
  }

  // A first open that fails at the rename onto `target`, then one that finishes.
  void CutAt(const std::string& target) {
    MakeLegacyRoot();
    ASSERT_TRUE(fault_->AddRuleSpec("rename:EIO:path=" + target));
    auto cut = GatewayState::Open(*backend_, "g1", /*fsync=*/true);
    ASSERT_FALSE(cut.ok());
    fault_->ClearRules();
    ExpectAdoptedAndReplayed();
  }
};

TEST_F(GatewayStateTest, AdoptsALegacyRootAndReplaysItsJournal) {
  MakeLegacyRoot();
  ExpectAdoptedAndReplayed();
}

// A root copied elsewhere (a backup restored; an older root unpacked) has new
// inode numbers: the staging files its intents name are still theirs.
TEST_F(GatewayStateTest, CopiedRootIsReplayedWhateverItsInodeNumbers) {
  MakeLegacyRoot();
  for (const auto& path : testing::FilesUnder(Root(".fsgate/staging"))) {
    stdfs::copy_file(path, path.string() + ".copy");
    stdfs::rename(path.string() + ".copy", path);
  }
  ExpectAdoptedAndReplayed();
}

TEST_F(GatewayStateTest, AdoptionCutBeforeParkingTheStagingIsFinished) {
  CutAt(".fsgate/journal/staging");
}

TEST_F(GatewayStateTest, AdoptionCutBeforeTheClaimIsFinished) {
  CutAt(".fsgate/gw/g1/journal");
  // (the first open had parked the staging inside the journal's directory)
}

TEST_F(GatewayStateTest, AdoptionCutAfterTheClaimIsFinishedAndNotTakenByAnother) {
  MakeLegacyRoot();
  ASSERT_TRUE(fault_->AddRuleSpec("rename:EIO:path=gw/g1/staging"));
  ASSERT_FALSE(GatewayState::Open(*backend_, "g1", true).ok());
  fault_->ClearRules();
  auto other = GatewayState::Open(*backend_, "g2", true);
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_FALSE((*other)->adopted_legacy());
  EXPECT_TRUE(stdfs::is_empty(Root(".fsgate/gw/g2/staging")));
  other->reset();
  ExpectAdoptedAndReplayed();
}

// The adoption is durable once Open returns: a power cut then (every name
// change not yet synced undone) leaves the root adopted, never half way.
class GatewayStatePowerCutTest : public GatewayStateTest {
 protected:
  void SetUp() override { SetUpWithPowerCut(); }
};

TEST_F(GatewayStatePowerCutTest, AdoptionSurvivesACutRightAfterIt) {
  MakeLegacyRoot();
  const size_t engine_unsynced = cut_->unsynced_name_ops();  // the applier's, not yet synced
  ASSERT_TRUE(GatewayState::Open(*backend_, "g1", /*fsync=*/true).ok());
  EXPECT_EQ(cut_->unsynced_name_ops(), engine_unsynced);
  ASSERT_TRUE(cut_->SimulatePowerCut().ok());
  EXPECT_TRUE(stdfs::is_directory(Root(".fsgate/gw/g1/staging")));
  ExpectAdoptedAndReplayed();
}

TEST_F(GatewayStateTest, OneHolderPerIdAndIdsSideBySide) {
  auto first = GatewayState::Open(*backend_, "g1", false);
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto again = GatewayState::Open(*backend_, "g1", false);
  ASSERT_TRUE(again.status().IsErrno(EWOULDBLOCK));
  const std::string& message = again.status().message();
  EXPECT_NE(message.find("gateway id 'g1' is already running"), std::string::npos) << message;
  EXPECT_NE(message.find("pid " + std::to_string(::getpid()) + " on "), std::string::npos)
      << message;
  auto beside = GatewayState::Open(*backend_, "g2", false);
  ASSERT_TRUE(beside.ok()) << beside.status().message();
  EXPECT_EQ((*beside)->staging_dir(), ".fsgate/gw/g2/staging");
  first->reset();
  EXPECT_TRUE(GatewayState::Open(*backend_, "g1", false).ok());
}

// A lock held by a survivor adopting this id's journal, or by a process of
// this host that is gone (CephFS keeps a dead client's lock until the MDS
// closes its session), makes a start wait for it instead of refusing; a live
// holder is refused at once (OneHolderPerIdAndIdsSideBySide).
TEST_F(GatewayStateTest, StartWaitsForAnAdoptionOrAGoneHoldersLock) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  // pids stay below pid_max: this one is nobody's.
  const std::string pid_max = ReadLocalFile("/proc/sys/kernel/pid_max");
  const std::string since = " since 2026-12-06T00:00:00Z\n";
  for (const std::string& note :
       {"adopting for gateway g2, pid " + std::to_string(::getpid()) + " on " + host + since,
        "pid " + pid_max.substr(0, pid_max.find('\n')) + " on " + host + since}) {
    ASSERT_TRUE(fs::MakeDirs(*backend_, ".fsgate/gw/g1", false).ok());
    auto held = backend_->LockExclusive(".fsgate/gw/g1/lock");
    ASSERT_TRUE(held.ok());
    WriteLocalFile(Root(".fsgate/gw/g1/lock"), note);
    std::thread lets_go([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      held->reset();
    });
    auto state = GatewayState::Open(*backend_, "g1", false);
    lets_go.join();
    ASSERT_TRUE(state.ok()) << note << ": " << state.status().message();
  }
}

TEST_F(GatewayStateTest, DefaultIdIsMadeOnceAndStored) {
  ASSERT_TRUE(backend_->Mkdir(".fsgate").ok());
  std::string id;
  {
    auto state = GatewayState::Open(*backend_, "", false);
    ASSERT_TRUE(state.ok()) << state.status().message();
    id = (*state)->id();
  }
  EXPECT_TRUE(IsValidGatewayId(id)) << id;
  EXPECT_EQ(ReadLocalFile(Root(".fsgate/gateway-id")), id + "\n");
  auto state = GatewayState::Open(*backend_, "", false);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->id(), id);
  WriteLocalFile(Root(".fsgate/gateway-id"), "Not/An/Id\n");
  EXPECT_TRUE(GatewayState::Open(*backend_, "", false).status().IsErrno(EINVAL));
}

TEST(GatewayIdTest, Syntax) {
  for (const char* good : {"a", "0", "gw-1", "a_b",
                           "x123456789012345678901234567890123456789012345678901234567890ab"}) {
    EXPECT_TRUE(IsValidGatewayId(good)) << good;
  }
  for (const char* bad : {"", "-a", "_a", "A", "a/b", "a.b", "..", "a b",
                          "x1234567890123456789012345678901234567890123456789012345678901ab"}) {
    EXPECT_FALSE(IsValidGatewayId(bad)) << bad;
  }
}

}  // namespace
}  // namespace fsgate::dirops
