// Versioned buckets over the real posix backend: the on-disk layout
// (store/versions_dir.h) and the repair of a latest version that a crash left
// only in its key's history.
#include <filesystem>

#include "store/store_layout.h"
#include "store/version_id.h"
#include "store_test_util.h"

namespace fsgate::store {
namespace {

namespace stdfs = std::filesystem;

class StoreVersionsTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
    ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  }
  std::string PutVersion(const std::string& key, const std::string& data) {
    auto meta = Put("bkt", key, data);
    EXPECT_TRUE(meta.ok()) << meta.status().message();
    return meta.ok() ? meta->version_id : "";
  }
  std::vector<std::string> Entries(const std::string& key) {
    std::vector<std::string> names;
    for (const auto& e : stdfs::directory_iterator(Root(".fsgate/versions/bkt/" + key))) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(StoreVersionsTest, OlderVersionsLiveUnderTheInternalDirectoryNewestFirst) {
  const std::string v1 = PutVersion("d/k", "one");
  const std::string v2 = PutVersion("d/k", "two");
  const std::string v3 = PutVersion("d/k", "three");
  EXPECT_EQ(testing::ReadLocalFile(Root("bkt/d/k")), "three");
  EXPECT_EQ(Entries("d/k"), (std::vector<std::string>{v2, v1}));
  EXPECT_EQ(testing::ReadLocalFile(Root(".fsgate/versions/bkt/d/k/" + v1)), "one");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"d/k"}));

  auto deleted = store_->DeleteObjectVersion("bkt", "d/k", "", false);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->delete_marker);
  EXPECT_FALSE(stdfs::exists(Root("bkt/d")));  // the key's emptied directory goes too
  EXPECT_EQ(Entries("d/k"),
            (std::vector<std::string>{deleted->version_id + "~marker", v3, v2, v1}));
  auto latest = store_->LatestDeleteMarker("bkt", "d/k");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, deleted->version_id);
}

// A kill between moving the old latest into the history and linking the new
// one leaves no plain file: the moved version is still the latest, and the
// next start after the unclean stop puts it back in place.
TEST_F(StoreVersionsTest, AnUncleanStartPutsBackALatestLeftInTheHistory) {
  PutVersion("k", "one");
  const std::string v2 = PutVersion("k", "two");
  ASSERT_TRUE(store_->Drain().ok());  // a clean stop
  store_.reset();
  stdfs::rename(Root("bkt/k"), Root(".fsgate/versions/bkt/k/" + v2));
  auto reader = [&] {
    Reopen();
    return store_->GetObjectVersion("bkt", "k", "");
  };
  // A clean stop's marker skips the repair, but reads already see the latest.
  ASSERT_TRUE(stdfs::exists(Root(layout::kCleanShutdown)));
  auto found = reader();
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ((*found)->meta().version_id, v2);
  EXPECT_FALSE(stdfs::exists(Root("bkt/k")));

  store_.reset();
  stdfs::remove(Root(layout::kCleanShutdown));
  found = reader();
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->meta().version_id, v2);
  EXPECT_EQ(testing::ReadLocalFile(Root("bkt/k")), "two");
  EXPECT_EQ(Entries("k").size(), 1u);
}

// What a kill leaves of a PUT or DELETE cut short after the old latest was
// linked into the history (a second name of it) or after the marker was made
// (a marker newer than the plain file): neither is a version, and an unclean
// start removes both.
TEST_F(StoreVersionsTest, ASecondNameAndAnUnansweredMarkerAreNoVersions) {
  const std::string v1 = PutVersion("k", "one");
  const std::string v2 = PutVersion("k", "two");
  store_.reset();
  const std::string history = Root(".fsgate/versions/bkt/k/");
  stdfs::create_hard_link(Root("bkt/k"), history + v2);
  const std::string marker = EncodeVersionId(*DecodeVersionId(v2) + 1000) + "~marker";
  testing::WriteLocalFile(history + marker, "");
  Reopen();
  auto listed = store_->ListObjectVersions("bkt", {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->versions.size(), 2u);
  EXPECT_EQ(listed->versions[0].meta.version_id, v2);
  EXPECT_TRUE(listed->versions[0].is_latest);
  EXPECT_EQ(listed->versions[1].meta.version_id, v1);
  EXPECT_EQ(Entries("k"), (std::vector<std::string>{v1}));  // the start removed both
  auto got = Get("bkt", "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "two");
}

TEST_F(StoreVersionsTest, ABucketWithOnlyHistoryIsNotEmpty) {
  const std::string v1 = PutVersion("k", "one");
  ASSERT_TRUE(store_->DeleteObjectVersion("bkt", "k", "", false).ok());
  EXPECT_TRUE(store_->DeleteBucket("bkt").Is(s3err::kBucketNotEmpty));
  auto listed = store_->ListObjectVersions("bkt", {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->versions.size(), 2u);
  for (const auto& v : listed->versions) {
    ASSERT_TRUE(store_->DeleteObjectVersion("bkt", "k", v.meta.version_id, false).ok());
  }
  EXPECT_TRUE(store_->DeleteBucket("bkt").ok());
  EXPECT_FALSE(stdfs::exists(Root(".fsgate/versions/bkt")));
  (void)v1;
}

}  // namespace
}  // namespace fsgate::store
