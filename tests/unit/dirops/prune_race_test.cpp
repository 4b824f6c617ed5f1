// The applier's prune of an emptied directory against a PUT that makes the
// same directory a directory object: both take the directory-object key's lock
// in the one KeyLocks the engine owns, so the answered PUT is never undone.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "async_fixture.h"
#include "dirops/sync_namespace.h"

namespace fsgate::dirops {
namespace {

using testing::AsyncFixture;

class PruneRaceTest : public AsyncFixture {};

TEST_F(PruneRaceTest, PruneNeverRemovesADirectoryObjectAnsweredDuringIt) {
  OpenNs();
  ASSERT_TRUE(Put("d/f", "x").ok());
  ns_->Drain();
  // The prune that follows the unlink of d/f is slow to remove bkt/d: the PUT
  // of "d/" is answered while the prune has decided, but not yet removed. A
  // drain on another thread starts the prune now (whichever thread runs it).
  SlowDown(fs::FaultOp::kRmdir, 400, "bkt/d");
  ASSERT_TRUE(ns_->Remove(Node("d/f"), {}).ok());
  std::thread drain([&] { ns_->Drain(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  auto put = Put("d/", "");
  drain.join();
  ASSERT_TRUE(put.ok()) << put.status().message();
  ns_->Drain();

  auto found = ns_->Find(Node("d/"));
  EXPECT_TRUE(found.ok()) << found.status().message();
  auto st = backend_->Stat("bkt/d");
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_TRUE(st->is_dir);
  EXPECT_EQ(Get("d/f"), "<absent>");
}

// A create makes its missing parents, syncing each one's parent after its
// mkdir; a concurrent prune may take the new, still empty directory and its
// parent before that sync opens it (ENOENT, injected here once): the create
// makes them again instead of failing (a nesting storm's PUT answered 500).
TEST_F(PruneRaceTest, ParentsAPruneTakesBeforeTheirSyncAreMadeAgain) {
  ASSERT_TRUE(backend_->Mkdir("sync-staging").ok());
  auto sync = SyncNamespace::Standalone(*backend_, "sync-staging", /*fsync=*/true, NodeAttrNames{});
  fault_->AddRule({.op = fs::FaultOp::kSyncDir,
                   .path_contains = "bkt/p",
                   .err = ENOENT,
                   .count = 1,
                   .skip = 0,
                   .delay = std::chrono::milliseconds(0)});
  auto staging = sync->AcquireStaging();
  ASSERT_TRUE(staging.ok()) << staging.status().message();
  auto put = sync->Publish(Node("p/q/f"), Staged(*staging, "body", true), {}, {});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(OnDisk("p/q/f"), "body");
}

}  // namespace
}  // namespace fsgate::dirops
