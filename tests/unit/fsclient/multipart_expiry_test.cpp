// Multipart uploads kept per bucket: expiry (with explicit cutoffs instead of
// a clock), per-bucket listing, and the move from the flat layout of earlier
// releases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "fsclient/multipart_expiry.h"
#include "store_test_util.h"

namespace fsgate::fsclient {
namespace {

namespace stdfs = std::filesystem;
using testing::ReadLocalFile;
using testing::StoreTest;
using testing::WriteLocalFile;

class MultipartLayoutTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }

  std::string Create(const std::string& bucket, const std::string& key) {
    PutRequest request;
    request.bucket = bucket;
    request.key = key;
    auto id = store_->CreateMultipartUpload(request);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : std::string();
  }

  Result<ObjectMeta> UploadPart(const std::string& bucket, const std::string& key,
                                const std::string& id, int number, const std::string& data) {
    auto writer = store_->BeginUploadPart(bucket, key, id, number);
    if (!writer.ok()) return writer.status();
    if (Status s = (*writer)->Write(data); !s.ok()) return s;
    return (*writer)->Commit({});
  }

  // The uploads ListMultipartUploads shows for `bucket`, by upload id.
  std::vector<std::string> UploadIds(const std::string& bucket) {
    auto uploads = store_->ListMultipartUploads(bucket);
    EXPECT_TRUE(uploads.ok()) << uploads.status().message();
    std::vector<std::string> ids;
    if (uploads.ok()) {
      for (const auto& u : *uploads) ids.push_back(u.upload_id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  int64_t Initiated(const std::string& bucket, const std::string& id) {
    auto uploads = store_->ListMultipartUploads(bucket);
    EXPECT_TRUE(uploads.ok()) << uploads.status().message();
    if (uploads.ok()) {
      for (const auto& u : *uploads) {
        if (u.upload_id == id) return u.initiated_ns;
      }
    }
    ADD_FAILURE() << "no upload " << id;
    return 0;
  }

  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST_F(MultipartLayoutTest, ExpiredUploadIsGoneAsIfAborted) {
  const std::string old_id = Create("bkt", "old");
  ASSERT_TRUE(UploadPart("bkt", "old", old_id, 1, "abandoned").ok());
  const std::string new_id = Create("bkt", "new");
  auto part = UploadPart("bkt", "new", new_id, 1, "fresh");
  ASSERT_TRUE(part.ok());
  const int64_t cutoff = Initiated("bkt", new_id);
  ASSERT_LT(Initiated("bkt", old_id), cutoff);

  // Nothing was initiated before the first upload.
  auto none = store_->AbortExpiredUploads(Initiated("bkt", old_id));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(metrics_.MultipartExpiredTotal(), 0);

  auto expired = store_->AbortExpiredUploads(cutoff);
  ASSERT_TRUE(expired.ok()) << expired.status().message();
  EXPECT_EQ(*expired, 1u);
  EXPECT_EQ(metrics_.MultipartExpiredTotal(), 1);
  EXPECT_EQ(UploadIds("bkt"), std::vector<std::string>{new_id});
  EXPECT_TRUE(UploadPart("bkt", "old", old_id, 2, "late").status().Is(s3err::kNoSuchUpload));
  EXPECT_TRUE(store_->ListParts("bkt", "old", old_id).status().Is(s3err::kNoSuchUpload));
  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "old", old_id, {{1, "x"}}, {})
                  .status()
                  .Is(s3err::kNoSuchUpload));
  EXPECT_TRUE(store_->AbortMultipartUpload("bkt", "old", old_id).Is(s3err::kNoSuchUpload));
  // Its parts are gone from disk; only the live upload's files remain.
  for (const auto& file : testing::FilesUnder(Root(".fsgate/multipart"))) {
    EXPECT_EQ(file.parent_path().filename(), new_id) << file;
  }
  EXPECT_FALSE(stdfs::exists(Root(".fsgate/multipart/bkt/" + old_id)));

  // The live upload is untouched, and a second scan finds nothing more.
  EXPECT_EQ(*store_->AbortExpiredUploads(cutoff), 0u);
  EXPECT_EQ(metrics_.MultipartExpiredTotal(), 1);
  auto done = store_->CompleteMultipartUpload("bkt", "new", new_id, {{1, part->etag}}, {});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(*Get("bkt", "new"), "fresh");
}

TEST_F(MultipartLayoutTest, ExpiryCoversEveryBucketAndCrashLeftovers) {
  ASSERT_TRUE(store_->CreateBucket("other").ok());
  Create("bkt", "a");
  Create("other", "b");
  // What a crash in the middle of an abort and of a DeleteBucket leaves.
  WriteLocalFile(
      Root(".fsgate/multipart/bkt/0123456789abcdef0123456789abcdef.removed-aa/part-00001"), "x");
  WriteLocalFile(Root(".fsgate/multipart/.removed-gone-bb/0123456789abcdef0123456789abcdef/upload"),
                 "{}");
  auto expired = store_->AbortExpiredUploads(INT64_MAX);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 2u);
  EXPECT_TRUE(UploadIds("bkt").empty());
  EXPECT_TRUE(UploadIds("other").empty());
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/multipart")).empty());
  EXPECT_FALSE(stdfs::exists(Root(".fsgate/multipart/.removed-gone-bb")));
}

TEST_F(MultipartLayoutTest, ListingReadsOnlyItsBucket) {
  ASSERT_TRUE(store_->CreateBucket("quiet").ok());
  std::vector<std::string> busy;
  for (int i = 0; i < 20; ++i) busy.push_back(Create("bkt", "k" + std::to_string(i)));
  const std::string mine = Create("quiet", "k0");
  EXPECT_EQ(UploadIds("bkt"), Sorted(busy));
  EXPECT_EQ(UploadIds("quiet"), std::vector<std::string>{mine});
  // Each bucket's uploads live in that bucket's own directory.
  EXPECT_TRUE(stdfs::is_directory(Root(".fsgate/multipart/quiet/" + mine)));
  size_t in_busy = 0;
  for (const auto& e : stdfs::directory_iterator(Root(".fsgate/multipart/bkt"))) {
    EXPECT_TRUE(e.is_directory());
    ++in_busy;
  }
  EXPECT_EQ(in_busy, busy.size());
  // A bucket without uploads lists none; an unknown bucket is NoSuchBucket.
  ASSERT_TRUE(store_->CreateBucket("empty").ok());
  EXPECT_TRUE(UploadIds("empty").empty());
  EXPECT_TRUE(store_->ListMultipartUploads("nope").status().Is(s3err::kNoSuchBucket));
  // An upload id is only valid in its own bucket.
  EXPECT_TRUE(store_->ListParts("quiet", "k1", busy[1]).status().Is(s3err::kNoSuchUpload));
  // DeleteBucket drops the bucket's uploads, not another's.
  ASSERT_TRUE(store_->DeleteBucket("quiet").ok());
  EXPECT_FALSE(stdfs::exists(Root(".fsgate/multipart/quiet")));
  EXPECT_EQ(UploadIds("bkt"), Sorted(busy));
}

// One key's uploads are listed by initiation time, and AWS's upload-id-marker
// compares ids as strings: ids must sort like their uploads.
TEST_F(MultipartLayoutTest, UploadIdsSortByInitiationTime) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(Create("bkt", "same"));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  auto uploads = store_->ListMultipartUploads("bkt");
  ASSERT_TRUE(uploads.ok());
  std::vector<std::string> listed;
  for (const auto& u : *uploads) listed.push_back(u.upload_id);
  EXPECT_EQ(listed, ids);
}

// An upload started by an earlier release, in .fsgate/multipart/<upload-id>/,
// carries on after the upgrade.
TEST_F(MultipartLayoutTest, FlatUploadsMoveUnderTheirBucketAtStart) {
  const std::string id = Create("bkt", "k");
  auto part = UploadPart("bkt", "k", id, 1, "before upgrade");
  ASSERT_TRUE(part.ok());
  // A bucket called like an upload id, with an upload of the new layout...
  const std::string hex_bucket = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(store_->CreateBucket(hex_bucket).ok());
  const std::string hex_upload = Create(hex_bucket, "h");
  // ...and a flat upload whose bucket is called like the upload itself.
  const std::string self = Create("bkt", "s");
  ASSERT_TRUE(store_->CreateBucket(self).ok());
  store_.reset();
  stdfs::rename(Root(".fsgate/multipart/bkt/" + id), Root(".fsgate/multipart/" + id));
  stdfs::rename(Root(".fsgate/multipart/bkt/" + self), Root(".fsgate/multipart/" + self));
  std::string record = ReadLocalFile(Root(".fsgate/multipart/" + self + "/upload"));
  const std::string from = "\"bucket\":\"bkt\"";
  ASSERT_NE(record.find(from), std::string::npos) << record;
  record.replace(record.find(from), from.size(), "\"bucket\":\"" + self + "\"");
  WriteLocalFile(Root(".fsgate/multipart/" + self + "/upload"), record);

  Reopen();
  EXPECT_EQ(UploadIds("bkt"), std::vector<std::string>{id});
  EXPECT_EQ(UploadIds(hex_bucket), std::vector<std::string>{hex_upload});
  EXPECT_EQ(UploadIds(self), std::vector<std::string>{self});
  EXPECT_FALSE(stdfs::exists(Root(".fsgate/multipart/" + id)));
  auto parts = store_->ListParts("bkt", "k", id);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].etag, part->etag);
  auto done = store_->CompleteMultipartUpload("bkt", "k", id, {{1, part->etag}}, {});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(*Get("bkt", "k"), "before upgrade");
  ASSERT_TRUE(UploadPart(self, "s", self, 1, "x").ok());
  // A second start finds nothing left to move.
  Reopen();
  EXPECT_EQ(UploadIds(self), std::vector<std::string>{self});
  EXPECT_EQ(UploadIds(hex_bucket), std::vector<std::string>{hex_upload});
}

TEST(MultipartExpiryTest, ScansHourlyOrEveryTenthOfTheExpiry) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  EXPECT_EQ(MultipartExpiry::ScanInterval(seconds(2)), milliseconds(200));
  EXPECT_EQ(MultipartExpiry::ScanInterval(seconds(600)), seconds(60));
  EXPECT_EQ(MultipartExpiry::ScanInterval(hours(10)), hours(1));
  EXPECT_EQ(MultipartExpiry::ScanInterval(hours(24 * 7)), hours(1));
}

}  // namespace
}  // namespace fsgate::fsclient
