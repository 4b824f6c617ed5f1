#include <gtest/gtest.h>

#include <filesystem>

#include "store_test_util.h"

namespace fsgate::store {
namespace {

using testing::ReadLocalFile;
using testing::StoreTest;

class MultipartTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }

  std::string Create(const std::string& key, ObjectMeta meta = {}) {
    PutRequest request;
    request.bucket = "bkt";
    request.key = key;
    request.meta = std::move(meta);
    auto id = store_->CreateMultipartUpload(request);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : std::string();
  }

  Result<ObjectMeta> UploadPart(const std::string& key, const std::string& id, int number,
                                const std::string& data) {
    auto writer = store_->BeginUploadPart("bkt", key, id, number);
    if (!writer.ok()) return writer.status();
    if (Status s = (*writer)->Write(data); !s.ok()) return s;
    return (*writer)->Commit({});
  }

  const std::string big_ = std::string(5 << 20, 'a');
};

TEST_F(MultipartTest, CompleteJoinsPartsWithTheMultipartEtag) {
  ObjectMeta meta;
  meta.content_type = "video/mp4";
  meta.user_meta = {{"owner", "me"}};
  std::string id = Create("videos/clip.mp4", meta);
  ASSERT_EQ(id.size(), 32u);
  auto p1 = UploadPart("videos/clip.mp4", id, 1, big_);
  ASSERT_TRUE(p1.ok()) << p1.status().message();
  EXPECT_EQ(p1->etag, "79b281060d337b9b2b84ccf390adcf74");
  auto p2 = UploadPart("videos/clip.mp4", id, 2, "hello");
  ASSERT_TRUE(p2.ok());

  auto parts = store_->ListParts("bkt", "videos/clip.mp4", id);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].number, 1);
  EXPECT_EQ((*parts)[0].size, big_.size());
  EXPECT_EQ((*parts)[1].etag, "5d41402abc4b2a76b9719d911017c592");

  auto uploads = store_->ListMultipartUploads("bkt");
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->size(), 1u);
  EXPECT_EQ((*uploads)[0].key, "videos/clip.mp4");
  EXPECT_EQ((*uploads)[0].upload_id, id);
  // Not visible as an object yet.
  EXPECT_TRUE(store_->HeadObject("bkt", "videos/clip.mp4").status().Is(s3err::kNoSuchKey));

  auto done = store_->CompleteMultipartUpload("bkt", "videos/clip.mp4", id,
                                              {{1, "\"" + p1->etag + "\""}, {2, p2->etag}}, {});
  ASSERT_TRUE(done.ok()) << done.status().message();
  // hex(md5(md5(part1) || md5(part2))) + "-2", computed independently.
  EXPECT_EQ(done->etag, "7cbb08aa3c3309d6882c18fcecc4bee7-2");
  EXPECT_EQ(done->size, big_.size() + 5);
  auto head = store_->HeadObject("bkt", "videos/clip.mp4");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, done->etag);
  EXPECT_EQ(head->parts_count, 2);
  EXPECT_EQ(head->part_sizes, (std::vector<uint64_t>{big_.size(), 5}));  // GET ?partNumber=N
  EXPECT_EQ(head->content_type, "video/mp4");
  EXPECT_EQ(head->user_meta, meta.user_meta);
  EXPECT_EQ(ReadLocalFile(Root("bkt/videos/clip.mp4")), big_ + "hello");
  // The upload is gone.
  EXPECT_TRUE(store_->ListMultipartUploads("bkt")->empty());
  EXPECT_TRUE(std::filesystem::is_empty(Root(".fsgate/multipart/bkt")));
  EXPECT_TRUE(testing::FilesUnder(Root(".fsgate/gw/test/staging")).empty());
  EXPECT_TRUE(store_->ListParts("bkt", "videos/clip.mp4", id).status().Is(s3err::kNoSuchUpload));
}

TEST_F(MultipartTest, PartRules) {
  std::string id = Create("k");
  EXPECT_TRUE(UploadPart("k", id, 0, "x").status().Is(s3err::kInvalidArgument));
  EXPECT_TRUE(UploadPart("k", id, 10001, "x").status().Is(s3err::kInvalidArgument));
  EXPECT_TRUE(UploadPart("k", id, 10000, "x").ok());
  ASSERT_TRUE(UploadPart("k", id, 1, "small").ok());
  auto p2 = UploadPart("k", id, 2, "tail");
  ASSERT_TRUE(p2.ok());
  // Re-upload replaces.
  auto p1 = UploadPart("k", id, 1, big_);
  ASSERT_TRUE(p1.ok());
  auto parts = store_->ListParts("bkt", "k", id);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].etag, p1->etag);

  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", id, {{2, p2->etag}, {1, p1->etag}}, {})
                  .status()
                  .Is(s3err::kInvalidPartOrder));
  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", id, {{1, p1->etag}, {1, p1->etag}}, {})
                  .status()
                  .Is(s3err::kInvalidPartOrder));
  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", id, {{1, p1->etag}, {3, p2->etag}}, {})
                  .status()
                  .Is(s3err::kInvalidPart));
  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", id, {{1, p2->etag}, {2, p2->etag}}, {})
                  .status()
                  .Is(s3err::kInvalidPart));
  EXPECT_TRUE(
      store_->CompleteMultipartUpload("bkt", "k", id, {}, {}).status().Is(s3err::kMalformedXML));
  // Every part but the last must be at least 5 MiB.
  auto small = UploadPart("k", id, 3, "tiny");
  EXPECT_TRUE(
      store_
          ->CompleteMultipartUpload(
              "bkt", "k", id, {{3, small->etag}, {10000, "9dd4e461268c8034f5c8564e155c67a6"}}, {})
          .status()
          .Is(s3err::kEntityTooSmall));
  EXPECT_TRUE(store_->HeadObject("bkt", "k").status().Is(s3err::kNoSuchKey));
  // Skipping part numbers is fine; the last part may be small.
  auto done =
      store_->CompleteMultipartUpload("bkt", "k", id, {{1, p1->etag}, {3, small->etag}}, {});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->etag.substr(done->etag.size() - 2), "-2");
  EXPECT_EQ(ReadLocalFile(Root("bkt/k")), big_ + "tiny");
}

TEST_F(MultipartTest, UnknownAndMaliciousUploadIds) {
  std::string id = Create("k");
  for (const std::string& bad : std::vector<std::string>{
           "", "../../etc", "0123456789abcdef0123456789abcdeg", "0123456789abcdef0123456789abcdef",
           "../multipart/" + id, id + "/..", std::string(32, '.')}) {
    EXPECT_TRUE(UploadPart("k", bad, 1, "x").status().Is(s3err::kNoSuchUpload)) << bad;
    EXPECT_TRUE(store_->AbortMultipartUpload("bkt", "k", bad).Is(s3err::kNoSuchUpload)) << bad;
    EXPECT_TRUE(store_->ListParts("bkt", "k", bad).status().Is(s3err::kNoSuchUpload)) << bad;
    EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", bad, {{1, "x"}}, {})
                    .status()
                    .Is(s3err::kNoSuchUpload))
        << bad;
  }
  // An upload belongs to its bucket and key.
  EXPECT_TRUE(UploadPart("other", id, 1, "x").status().Is(s3err::kNoSuchUpload));
  ASSERT_TRUE(store_->CreateBucket("bkt2").ok());
  EXPECT_TRUE(store_->ListMultipartUploads("bkt2")->empty());
}

TEST_F(MultipartTest, AbortLeavesNoTrace) {
  std::string id = Create("k");
  ASSERT_TRUE(UploadPart("k", id, 1, "data").ok());
  ASSERT_TRUE(store_->AbortMultipartUpload("bkt", "k", id).ok());
  EXPECT_TRUE(store_->AbortMultipartUpload("bkt", "k", id).Is(s3err::kNoSuchUpload));
  EXPECT_TRUE(UploadPart("k", id, 2, "late").status().Is(s3err::kNoSuchUpload));
  EXPECT_TRUE(std::filesystem::is_empty(Root(".fsgate/multipart/bkt")));
  EXPECT_TRUE(store_->HeadObject("bkt", "k").status().Is(s3err::kNoSuchKey));
}

TEST_F(MultipartTest, ConditionalCompleteAndBucketDeletion) {
  ASSERT_TRUE(Put("bkt", "k", "existing").ok());
  std::string id = Create("k");
  auto p = UploadPart("k", id, 1, "new");
  WriteConditions none_match;
  none_match.if_none_match = "*";
  EXPECT_TRUE(store_->CompleteMultipartUpload("bkt", "k", id, {{1, p->etag}}, none_match)
                  .status()
                  .Is(s3err::kPreconditionFailed));
  EXPECT_EQ(*Get("bkt", "k"), "existing");
  ASSERT_TRUE(store_->DeleteObject("bkt", "k").ok());
  // Deleting the bucket drops its pending uploads.
  ASSERT_TRUE(store_->DeleteBucket("bkt").ok());
  EXPECT_TRUE(std::filesystem::is_empty(Root(".fsgate/multipart")));
}

}  // namespace
}  // namespace fsgate::store
