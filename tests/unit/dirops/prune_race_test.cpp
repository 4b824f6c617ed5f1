// The applier's prune of an emptied directory against a PUT that makes the
// same directory a directory object: both take the directory-object key's lock
// in the one KeyLocks the engine owns, so the answered PUT is never undone.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "async_fixture.h"

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

}  // namespace
}  // namespace fsgate::dirops
