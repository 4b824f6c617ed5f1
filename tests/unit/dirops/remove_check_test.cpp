// A conditional remove (OpOptions::remove_check): the check sees the version
// the reader would see — a pending create from the overlay, else the file on
// disk, nullptr when absent — and a failed check leaves the node as it was,
// async, as a sync fallback, and with sync dirops.
#include <gtest/gtest.h>

#include "async_fixture.h"
#include "dirops/sync_namespace.h"

namespace fsgate::dirops {
namespace {

using testing::AsyncFixture;

Status Refused() { return Status::Error(StatusCode::kFailedPrecondition, "refused"); }

class RemoveCheckTest : public AsyncFixture {
 protected:
  // Removes `key` if its ETag is the one of `body`; records what the check saw.
  Status RemoveIfBody(const std::string& key, const std::string& body, OpOptions op = {}) {
    const WriteCheck check = [&](const NodeView* current) -> Status {
      seen_ = current == nullptr ? "<absent>" : EtagOf(*current);
      if (current == nullptr) return Status::Ok();
      return EtagOf(*current) == MetaFor(body).etag ? Status::Ok() : Refused();
    };
    op.remove_check = &check;
    return ns_->Remove(Node(key), op);
  }
  std::string seen_;
};

TEST_F(RemoveCheckTest, APendingCreateIsWhatTheCheckSees) {
  OpenNs();
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(200, "bkt/k");  // "two" stays pending in the overlay
  ASSERT_TRUE(Put("k", "two").ok());
  EXPECT_EQ(OnDisk("k"), "one");
  Status refused = RemoveIfBody("k", "one");
  EXPECT_TRUE(refused.Is(StatusCode::kFailedPrecondition)) << refused.message();
  EXPECT_EQ(seen_, MetaFor("two").etag);
  EXPECT_EQ(Get("k"), "two");
  ASSERT_TRUE(RemoveIfBody("k", "two").ok());
  EXPECT_EQ(Get("k"), "<absent>");
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("k"), "<absent>");
}

TEST_F(RemoveCheckTest, AnAbsentNameIsSeenAsNullAndRemovesNothing) {
  OpenNs();
  ASSERT_TRUE(Put("seed", "x").ok());
  EXPECT_TRUE(RemoveIfBody("k", "any").ok());
  EXPECT_EQ(seen_, "<absent>");
  ASSERT_TRUE(ns_->Remove(Node("seed"), {}).ok());  // a pending unlink reads as absent too
  EXPECT_TRUE(RemoveIfBody("seed", "other").ok());
  EXPECT_EQ(seen_, "<absent>");
}

TEST_F(RemoveCheckTest, ASyncFallbackChecksBeforeItUnlinks) {
  OpenNs();
  ASSERT_TRUE(Put("k", "one").ok());
  OpOptions sync;
  sync.sync = true;
  EXPECT_TRUE(RemoveIfBody("k", "zero", sync).Is(StatusCode::kFailedPrecondition));
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("k"), "one");
  ASSERT_TRUE(RemoveIfBody("k", "one", sync).ok());
  EXPECT_EQ(OnDisk("k"), "<absent>");
}

TEST_F(RemoveCheckTest, SyncDiropsCheckTheFileOnDisk) {
  OpenNs();
  ASSERT_TRUE(Put("k", "one").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  ns_.reset();  // --dirops sync: the sync namespace is the whole engine
  auto sync = SyncNamespace::Standalone(*backend_, "sync-staging", /*fsync=*/true, NodeAttrNames{});
  const WriteCheck refuse = [&](const NodeView* current) -> Status {
    seen_ = current == nullptr ? "<absent>" : EtagOf(*current);
    return Refused();
  };
  OpOptions op;
  op.remove_check = &refuse;
  EXPECT_TRUE(sync->Remove(Node("k"), op).Is(StatusCode::kFailedPrecondition));
  EXPECT_EQ(seen_, MetaFor("one").etag);
  EXPECT_EQ(OnDisk("k"), "one");
}

}  // namespace
}  // namespace fsgate::dirops
