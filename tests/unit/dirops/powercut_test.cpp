#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "async_fixture.h"
#include "tests/support/power_cut_backend.h"

namespace fsgate::dirops {
namespace {

using testing::MetricValue;
using testing::ScratchDir;
using testing::TestOptions;
namespace stdfs = std::filesystem;

std::string Slurp(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class PowerCutBackendTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& data, bool sync) {
    auto f = backend_.Open(path, fs::Backend::OpenMode::kCreateTruncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->PWrite(0, data).ok());
    if (sync) {
      ASSERT_TRUE((*f)->Sync().ok());
    }
  }
  stdfs::path Real(const std::string& p) { return stdfs::path(dir_.path()) / p; }

  ScratchDir dir_;
  fs::PowerCutBackend backend_{dir_.NewBackend()};
};

TEST_F(PowerCutBackendTest, UnsyncedCreateVanishes) {
  Write("a", "data", true);  // data synced, name not
  ASSERT_TRUE(backend_.SimulatePowerCut().ok());
  EXPECT_FALSE(stdfs::exists(Real("a")));
}

TEST_F(PowerCutBackendTest, SyncedFileSurvivesAndUnsyncedTailIsDropped) {
  Write("a", "durable", true);
  ASSERT_TRUE(backend_.SyncDir("").ok());
  auto f = backend_.Open("a", fs::Backend::OpenMode::kReadWrite);
  ASSERT_TRUE((*f)->PWrite(7, std::string_view("+lost")).ok());
  ASSERT_TRUE(backend_.SimulatePowerCut().ok());
  EXPECT_EQ(Slurp(Real("a")), "durable");
}

TEST_F(PowerCutBackendTest, RenameIsUndoneUntilTheTargetDirectoryIsSynced) {
  ASSERT_TRUE(backend_.Mkdir("d").ok());
  Write("d/old", "old", true);
  Write("d/new", "new", true);
  ASSERT_TRUE(backend_.SyncFs().ok());
  ASSERT_TRUE(backend_.Rename("d/new", "d/old").ok());
  ASSERT_TRUE(backend_.SimulatePowerCut().ok());
  EXPECT_EQ(Slurp(Real("d/old")), "old");
  EXPECT_EQ(Slurp(Real("d/new")), "new");

  ASSERT_TRUE(backend_.Rename("d/new", "d/old").ok());
  ASSERT_TRUE(backend_.SyncDir("d").ok());
  ASSERT_TRUE(backend_.SimulatePowerCut().ok());
  EXPECT_EQ(Slurp(Real("d/old")), "new");
  EXPECT_FALSE(stdfs::exists(Real("d/new")));
}

TEST_F(PowerCutBackendTest, UnsyncedUnlinkAndMkdirAreUndone) {
  Write("keep", "k", true);
  ASSERT_TRUE(backend_.SyncFs().ok());
  ASSERT_TRUE(backend_.Unlink("keep").ok());
  ASSERT_TRUE(backend_.Mkdir("newdir").ok());
  EXPECT_EQ(backend_.unsynced_name_ops(), 2u);
  ASSERT_TRUE(backend_.SimulatePowerCut().ok());
  EXPECT_EQ(Slurp(Real("keep")), "k");
  EXPECT_FALSE(stdfs::exists(Real("newdir")));
}

// The namespace over a power-cut backend (behind a fault backend for slow applies).
class PowerCutAsyncTest : public testing::AsyncFixture {
 protected:
  void SetUp() override { SetUpWithPowerCut(); }

  // Kills the namespace as a crash would, cuts power, and recovers.
  void CrashCutAndRecover() {
    ns_->Abandon();
    ns_.reset();
    fault_->ClearRules();
    ASSERT_TRUE(cut_->SimulatePowerCut().ok());
    OpenNs();
  }
  // `count` answered ops on key_of(i): a DELETE every `remove_every`th, else
  // a PUT of "v<i>"; each answer recorded in `answered`.
  void AnswerMixedOps(int count, int remove_every, const std::function<std::string(int)>& key_of,
                      std::map<std::string, std::string>& answered) {
    for (int i = 0; i < count; ++i) {
      const std::string key = key_of(i);
      if (i % remove_every == remove_every - 1) {
        ASSERT_TRUE(ns_->Remove(Node(key), {}).ok());
        answered[key] = "<absent>";
      } else {
        const std::string body = "v" + std::to_string(i);
        ASSERT_TRUE(Put(key, body).ok());
        answered[key] = body;
      }
    }
  }
  // Replay applied each before Open returned; a GET sees it too.
  void ExpectAsAnswered(const std::map<std::string, std::string>& answered) {
    for (const auto& [key, body] : answered) {
      EXPECT_EQ(OnDisk(key), body) << key;
      EXPECT_EQ(Get(key), body) << key;
    }
  }
};

TEST_F(PowerCutAsyncTest, EveryAnsweredOpSurvivesACutWithTheApplierBehind) {
  OpenNs();
  ASSERT_TRUE(Put("d/seed", "seed").ok());
  ASSERT_TRUE(Put("e/seed", "seed").ok());
  std::map<std::string, std::string> answered{{"d/seed", "seed"}, {"e/seed", "seed"}};
  SlowRenames(15);
  AnswerMixedOps(
      120, 5, [](int i) { return (i % 2 ? "d/k" : "e/k") + std::to_string(i % 40); }, answered);
  ASSERT_TRUE(ns_->Remove(Node("d/seed"), {}).ok());
  answered["d/seed"] = "<absent>";
  EXPECT_GT(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  CrashCutAndRecover();
  ExpectAsAnswered(answered);
  // Nothing is left pending or staged with data.
  EXPECT_EQ(ns_->overlay_size(), 0u);
  for (const auto& path : testing::FilesUnder(stdfs::path(dir_.path()) / ".fsgate/staging")) {
    EXPECT_EQ(stdfs::file_size(path), 0u) << path;
  }
}

// The first create under a new directory makes the directory without a sync:
// a cut before the applier's syncfs takes the directory away with the
// unapplied create, and replay makes both again.
TEST_F(PowerCutAsyncTest, AnsweredFirstCreatesUnderNewDirectoriesSurviveACut) {
  auto options = TestOptions();
  options.applier.sync_window = std::chrono::milliseconds(60000);  // no syncfs before the cut
  OpenNs(options);
  SlowRenames(1000, "/sub/k");  // the applier's links, not the directories' renames
  std::map<std::string, std::string> answered;
  for (int i = 0; i < 6; ++i) {
    const std::string key = "new" + std::to_string(i) + "/sub/k";
    ASSERT_TRUE(Put(key, "v" + std::to_string(i)).ok());
    answered[key] = "v" + std::to_string(i);
  }
  EXPECT_EQ(MetricValue(metrics_, "fsgate_sync_fallbacks_total"), 0);
  EXPECT_GE(cut_->unsynced_name_ops(), 12u);  // the directories made, none durable
  CrashCutAndRecover();
  ExpectAsAnswered(answered);
}

// Ops answered after waiting for room in a full backlog (back-pressure) are
// journaled and answered like any other: a cut loses none of them.
TEST_F(PowerCutAsyncTest, OpsAnsweredAfterAWaitForRoomSurviveACut) {
  OpenWithBacklog(6, std::chrono::seconds(30));
  ASSERT_TRUE(Put("d/seed", "seed").ok());
  std::map<std::string, std::string> answered{{"d/seed", "seed"}};
  SlowRenames(10);
  AnswerMixedOps(
      60, 4, [](int i) { return "d/k" + std::to_string(i % 25); }, answered);
  EXPECT_GE(MetricValue(metrics_, "fsgate_async_backlog_wait_seconds"), 1);
  EXPECT_EQ(MetricValue(metrics_, "fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 0);
  EXPECT_GT(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  CrashCutAndRecover();
  ExpectAsAnswered(answered);
}

TEST_F(PowerCutAsyncTest, AnsweredDeleteObjectsBatchSurvivesACut) {
  OpenNs();
  const std::vector<std::string> keys = PutKeys("b/k", 30, "v");
  ASSERT_TRUE(Put("b/kept", "kept").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  // Nothing of the batch reaches the tree before the cut.
  SlowRenames(1000);
  SlowDown(fs::FaultOp::kUnlink, 1000, "bkt/b/");
  for (const Status& s : ns_->RemoveMany(Nodes(keys), {})) ASSERT_TRUE(s.ok());
  CrashCutAndRecover();
  for (const auto& key : keys) {
    EXPECT_EQ(OnDisk(key), "<absent>") << key;
    EXPECT_EQ(Get(key), "<absent>") << key;
  }
  EXPECT_EQ(OnDisk("b/kept"), "kept");
}

TEST_F(PowerCutAsyncTest, AppliedButUnsyncedRenamesAreRedoneFromTheJournal) {
  auto options = TestOptions();
  options.applier.sync_window = std::chrono::milliseconds(60000);  // no syncfs before the cut
  OpenNs(options);
  ASSERT_TRUE(Put("seed", "s").ok());
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(Put("k" + std::to_string(i), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(ns_->Remove(Node("seed"), {}).ok());
  ASSERT_TRUE(ns_->Drain().ok());  // applied, not durable
  EXPECT_GT(cut_->unsynced_name_ops(), 0u);
  CrashCutAndRecover();
  for (int i = 0; i < 30; ++i) EXPECT_EQ(OnDisk("k" + std::to_string(i)), "v" + std::to_string(i));
  EXPECT_EQ(OnDisk("seed"), "<absent>");
}

// ext4 commits every pending name change with any fsync (one journal for the
// whole filesystem), and another op syncing the directory does as much: the
// applier's rename can be durable while the body it wrote is not (delayed
// allocation writes it later). The staging name is gone, yet the node is
// empty: replay must write the body again from the journal.
TEST_F(PowerCutAsyncTest, AppliedRenamesMadeDurableBeforeTheirBodiesGetTheBodiesBack) {
  auto options = TestOptions();
  options.applier.sync_window = std::chrono::milliseconds(60000);  // no syncfs before the cut
  OpenNs(options);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(Put("k" + std::to_string(i), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(ns_->Drain().ok());          // applied, bodies not durable
  ASSERT_TRUE(cut_->SyncDir("bkt").ok());  // the renames are
  CrashCutAndRecover();
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(OnDisk("k" + std::to_string(i)), "v" + std::to_string(i)) << i;
    EXPECT_EQ(Get("k" + std::to_string(i)), "v" + std::to_string(i)) << i;
  }
}

// Once the journal lets go of applied ops, they must be durable on their own.
class PowerCutDurabilityTest : public PowerCutAsyncTest {
 protected:
  void WaitRetired() {
    for (int i = 0; i < 500 && ns_->unretired() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(ns_->unretired(), 0u);
  }
};

TEST_F(PowerCutDurabilityTest, RetiredOpsSurviveTheCutWithoutTheJournal) {
  OpenNs();
  ASSERT_TRUE(Put("a/seed", "s").ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        Put("a/b" + std::to_string(i % 3) + "/k" + std::to_string(i), "v" + std::to_string(i))
            .ok());
  }
  ASSERT_TRUE(ns_->Remove(Node("a/seed"), {}).ok());
  ASSERT_TRUE(ns_->Drain().ok());
  WaitRetired();
  ASSERT_TRUE(Put("a/last", "l").ok());  // carries the checkpoint: replay skips all of the above
  ASSERT_TRUE(ns_->Drain().ok());
  WaitRetired();
  CrashCutAndRecover();
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(OnDisk("a/b" + std::to_string(i % 3) + "/k" + std::to_string(i)),
              "v" + std::to_string(i));
  }
  EXPECT_EQ(OnDisk("a/seed"), "<absent>");
  EXPECT_EQ(OnDisk("a/last"), "l");
}

TEST_F(PowerCutAsyncTest, ReplayIsIdempotent) {
  OpenNs();
  ASSERT_TRUE(Put("r/seed", "s").ok());
  SlowRenames(10);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(Put("r/k" + std::to_string(i % 7), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(ns_->Remove(Node("r/k3"), {}).ok());
  ns_->Abandon();
  ns_.reset();
  fault_->ClearRules();
  const stdfs::path journal = stdfs::path(dir_.path()) / ".fsgate/journal";
  const stdfs::path saved = stdfs::path(dir_.path()) / "journal-copy";
  stdfs::copy(journal, saved);

  OpenNs();  // first replay
  std::map<std::string, std::string> state;
  for (int i = 0; i < 7; ++i) state["r/k" + std::to_string(i)] = OnDisk("r/k" + std::to_string(i));
  EXPECT_EQ(state["r/k3"], "<absent>");
  EXPECT_EQ(state["r/k6"], "v13");
  // A newer op after recovery must survive a second replay of the old journal.
  ASSERT_TRUE(Put("r/k6", "newer").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  state["r/k6"] = "newer";
  ns_.reset();

  stdfs::remove_all(journal);
  stdfs::copy(saved, journal);
  OpenNs();  // second replay of the same intents
  for (const auto& [key, body] : state) EXPECT_EQ(OnDisk(key), body) << key;
}

TEST_F(PowerCutAsyncTest, TornJournalTailIsDroppedAtRecovery) {
  OpenNs();
  ASSERT_TRUE(Put("t", "answered").ok());
  ASSERT_TRUE(Put("t2", "answered2").ok());
  ns_->Abandon();
  ns_.reset();
  std::vector<stdfs::path> segs;
  for (const auto& e : stdfs::directory_iterator(stdfs::path(dir_.path()) / ".fsgate/journal")) {
    if (e.path().extension() == ".log") segs.push_back(e.path());
  }
  ASSERT_EQ(segs.size(), 1u);
  {
    // Right after the last record, in the segment's pre-written zeros.
    std::string data;
    {
      std::ifstream in(segs[0], std::ios::binary);
      data.assign(std::istreambuf_iterator<char>(in), {});
    }
    const size_t tail = data.find_last_not_of('\0') + 1;
    ASSERT_LT(tail + 32, data.size());
    std::fstream out(segs[0], std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(tail));
    out << std::string("\x40\x00\x00\x00garbage-that-is-not-a-record", 32);
  }
  OpenNs();
  EXPECT_EQ(Get("t"), "answered");
  EXPECT_EQ(OnDisk("t2"), "answered2");
}

TEST_F(PowerCutAsyncTest, ReplayFinishesAPruneCutShortByACrash) {
  OpenNs();
  ASSERT_TRUE(Put("x/y/seed", "s").ok());
  // The applier keeps failing (and retrying) the unlink until the crash.
  fault_->AddRule(
      {.op = fs::FaultOp::kUnlink, .path_contains = "bkt/x/y/seed", .err = EIO, .count = -1});
  ASSERT_TRUE(ns_->Remove(Node("x/y/seed"), {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ns_->Abandon();
  ns_.reset();
  // The crash came between the unlink and the prune.
  ASSERT_TRUE(std::filesystem::remove(std::filesystem::path(dir_.path()) / "bkt/x/y/seed"));
  fault_->ClearRules();
  OpenNs();
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_.path()) / "bkt/x"));
}

}  // namespace
}  // namespace fsgate::dirops
