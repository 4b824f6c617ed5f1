#include "store/bucket_record.h"

#include <gtest/gtest.h>

#include <chrono>

#include "fs/posix_backend.h"
#include "store_test_util.h"

namespace fsgate::store {
namespace {

using testing::ReadLocalFile;
using testing::TempDir;
using testing::WriteLocalFile;

BucketAttributes OwnedBy(std::string owner, std::string region = "") {
  BucketAttributes attributes;
  attributes.owner = std::move(owner);
  attributes.region = std::move(region);
  return attributes;
}

TEST(BucketRecord, RoundTrips) {
  BucketRecord record{.created_ns = 1733450000123456789,
                      .attributes = {.owner = "al\"ice\n",
                                     .region = "eu-west-1",
                                     .tags = {{"cost-center", "42"}, {"empty", ""}},
                                     .policy = R"({"Statement":[{"Effect":"Allow"}]})",
                                     .acl = "al\"ice\n\nFUal\"ice\n\nRA\n",
                                     .public_access_block = "1001",
                                     .ownership = "BucketOwnerPreferred",
                                     .cors = "<CORSConfiguration/>",
                                     .versioning = "Enabled",
                                     .object_lock = "Enabled COMPLIANCE 3y"}};
  std::string text = EncodeBucketRecord(record);
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line";
  auto decoded = DecodeBucketRecord(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->created_ns, record.created_ns);
  EXPECT_EQ(decoded->attributes.owner, record.attributes.owner);
  EXPECT_EQ(decoded->attributes.region, record.attributes.region);
  EXPECT_EQ(decoded->attributes.tags, record.attributes.tags);
  EXPECT_EQ(decoded->attributes.policy, record.attributes.policy);
  EXPECT_EQ(decoded->attributes.acl, record.attributes.acl);
  EXPECT_EQ(decoded->attributes.public_access_block, record.attributes.public_access_block);
  EXPECT_EQ(decoded->attributes.ownership, record.attributes.ownership);
  EXPECT_EQ(decoded->attributes.versioning, record.attributes.versioning);
  EXPECT_EQ(decoded->attributes.object_lock, record.attributes.object_lock);
}

TEST(BucketRecord, ReadsTheCreationTimeOfAnOlderFsgate) {
  auto decoded = DecodeBucketRecord("1600000000000000000\n");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->created_ns, 1600000000000000000);
  EXPECT_TRUE(decoded->attributes.owner.empty());
  EXPECT_TRUE(decoded->attributes.region.empty());
}

TEST(BucketRecord, RefusesNewerAndDamagedRecords) {
  auto newer = DecodeBucketRecord(R"({"v":3,"created_ns":1,"owner":"a"})");
  ASSERT_FALSE(newer.ok());
  EXPECT_TRUE(newer.status().IsErrno(EPROTONOSUPPORT));
  EXPECT_NE(newer.status().message().find("newer fsgate"), std::string::npos);
  for (const char* text :
       {"{", R"({"created_ns":1})", R"({"v":1})", R"({"v":1,"created_ns":1,"owner":7})",
        R"({"v":1,"created_ns":1,"tags":[["k"]]})", "12ab\n", ""}) {
    auto damaged = DecodeBucketRecord(text);
    ASSERT_FALSE(damaged.ok()) << text;
    EXPECT_TRUE(damaged.status().IsErrno(EINVAL)) << text;
  }
}

class BucketAttributesTest : public ::testing::Test {
 protected:
  std::unique_ptr<ObjectStore> Open(std::string default_owner) {
    auto backend = fs::MakePosixBackend(dir_.path());
    EXPECT_TRUE(backend.ok());
    StoreOptions options;
    options.async_dirops = false;
    options.default_bucket_owner = std::move(default_owner);
    auto store = ObjectStore::Open(std::move(*backend), options, metrics_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string Record(const std::string& bucket) {
    return ReadLocalFile(dir_.path() + "/.fsgate/buckets/" + bucket);
  }

  TempDir dir_;
  metrics::Metrics metrics_;
};

TEST_F(BucketAttributesTest, KeptWithTheBucketAndGoneWithIt) {
  auto store = Open("main");
  ASSERT_TRUE(store->CreateBucket("bkt", OwnedBy("alice", "eu-west-1")).ok());
  store.reset();  // its gateway state stays locked while it lives
  store = Open("main");
  auto info = store->HeadBucket("bkt");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->attributes.owner, "alice");
  EXPECT_EQ(info->attributes.region, "eu-west-1");
  EXPECT_GT(info->created_ns, 0);
  ASSERT_TRUE(store->DeleteBucket("bkt").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/.fsgate/buckets/bkt"));
}

TEST_F(BucketAttributesTest, ABucketMadeAgainIsReadAfresh) {
  auto store = Open("main");
  ASSERT_TRUE(store->CreateBucket("bkt", OwnedBy("alice")).ok());
  EXPECT_EQ(store->HeadBucket("bkt")->attributes.owner, "alice");
  EXPECT_EQ(store->HeadBucket("bkt")->attributes.owner, "alice");
  ASSERT_TRUE(store->DeleteBucket("bkt").ok());
  EXPECT_TRUE(store->HeadBucket("bkt").status().Is(s3err::kNoSuchBucket));
  ASSERT_TRUE(store->CreateBucket("bkt", OwnedBy("bob")).ok());
  EXPECT_EQ(store->HeadBucket("bkt")->attributes.owner, "bob");
}

TEST_F(BucketAttributesTest, ABucketWithoutAnOwnerIsGivenTheDefaultOneAndKeepsIt) {
  std::filesystem::create_directories(dir_.path() + "/foreign");
  auto store = Open("");
  auto info = store->HeadBucket("foreign");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->attributes.owner.empty()) << "no default owner: none is recorded";
  EXPECT_EQ(Record("foreign"), "");
  // Dated by the directory's mtime.
  const auto mtime = std::filesystem::last_write_time(dir_.path() + "/foreign");
  const auto mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                            .count();
  EXPECT_EQ(info->created_ns, mtime_ns);

  store.reset();
  store = Open("main");
  info = store->HeadBucket("foreign");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->attributes.owner, "main");
  auto recorded = DecodeBucketRecord(Record("foreign"));
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->attributes.owner, "main");
  EXPECT_EQ(recorded->created_ns, info->created_ns);

  // Another main user later does not take the bucket over.
  store.reset();
  store = Open("other");
  EXPECT_EQ(store->HeadBucket("foreign")->attributes.owner, "main");
}

TEST_F(BucketAttributesTest, ADamagedRecordFailsTheLookup) {
  auto store = Open("main");
  ASSERT_TRUE(store->CreateBucket("bkt", OwnedBy("alice")).ok());
  WriteLocalFile(dir_.path() + "/.fsgate/buckets/bkt", "{\"v\":1,");
  auto info = store->HeadBucket("bkt");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsErrno(EINVAL));
  EXPECT_EQ(Record("bkt"), "{\"v\":1,") << "never overwritten with the default owner";
}

}  // namespace
}  // namespace fsgate::store
