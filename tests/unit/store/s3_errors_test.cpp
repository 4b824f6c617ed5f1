// store/s3_errors.h: the neutral code each S3 error carries, and the S3 error
// an engine failure means for a key or a bucket.
#include <gtest/gtest.h>

#include <cerrno>

#include "dirops/namespace.h"
#include "store/key_path.h"
#include "store/s3_errors.h"

namespace fsgate::store {
namespace {

TEST(S3ErrorsTest, S3ErrorCarriesItsNeutralCodeAndTheS3CodeAsReason) {
  struct Case {
    std::string_view s3_code;
    StatusCode code;
  };
  const Case cases[] = {
      {s3err::kNoSuchBucket, StatusCode::kNotFound},
      {s3err::kNoSuchKey, StatusCode::kNotFound},
      {s3err::kNoSuchUpload, StatusCode::kNotFound},
      {s3err::kBucketNotEmpty, StatusCode::kNotEmpty},
      {s3err::kBucketAlreadyOwnedByYou, StatusCode::kAlreadyExists},
      {s3err::kPreconditionFailed, StatusCode::kFailedPrecondition},
      {s3err::kNotModified, StatusCode::kFailedPrecondition},
      {s3err::kConditionalRequestConflict, StatusCode::kAborted},
      {s3err::kInvalidRange, StatusCode::kOutOfRange},
      {s3err::kNotImplemented, StatusCode::kUnimplemented},
      {s3err::kInternalError, StatusCode::kInternal},
      {s3err::kSlowDown, StatusCode::kNoSpace},
      {s3err::kInvalidArgument, StatusCode::kInvalidArgument},
      {s3err::kKeyTooLong, StatusCode::kInvalidArgument},
      {s3err::kMalformedXML, StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    const Status s = S3Error(c.s3_code, "text");
    EXPECT_FALSE(s.ok()) << c.s3_code;
    EXPECT_EQ(s.code(), c.code) << c.s3_code;
    EXPECT_EQ(s.reason(), c.s3_code);
    EXPECT_TRUE(s.Is(c.s3_code));
    EXPECT_EQ(s.message(), "text");
    EXPECT_EQ(s.err(), 0);
  }
  const Status conflict = KeyConflictError("a");
  EXPECT_EQ(conflict.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(conflict.Is(kKeyConflictCode));
}

TEST(S3ErrorsTest, EngineFailuresBecomeTheS3ErrorTheyMean) {
  const Status key = S3StatusOf(dirops::NameNotFound(), "k");
  EXPECT_TRUE(key.Is(s3err::kNoSuchKey));
  EXPECT_EQ(key.message(), "The specified key does not exist.");
  const Status bucket = S3StatusOf(dirops::TopDirNotFound(), "k");
  EXPECT_TRUE(bucket.Is(s3err::kNoSuchBucket));
  EXPECT_EQ(bucket.message(), "The specified bucket does not exist");
  const Status cond = S3StatusOf(Status::Error(StatusCode::kFailedPrecondition, "etag"), "k");
  EXPECT_TRUE(cond.Is(s3err::kPreconditionFailed));
  EXPECT_EQ(cond.code(), StatusCode::kFailedPrecondition);
  // System errors and the store's own S3 errors go up unchanged.
  const Status io = S3StatusOf(Status::Errno(ENOENT, "open bkt/k"), "k");
  EXPECT_EQ(io.code(), StatusCode::kIoError);
  EXPECT_EQ(io.err(), ENOENT);
  EXPECT_TRUE(io.reason().empty());
  const Status conflict = S3StatusOf(dirops::NameConflict("a/b"), "a/b");
  EXPECT_TRUE(conflict.Is(kKeyConflictCode));
  EXPECT_EQ(conflict.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(conflict.message(), KeyConflictError("a/b").message());
  EXPECT_TRUE(S3StatusOf(Status::Ok(), "k").ok());
  auto none = S3ResultOf(Result<int>(dirops::NameNotFound()), "k");
  EXPECT_TRUE(none.status().Is(s3err::kNoSuchKey));
  EXPECT_EQ(*S3ResultOf(Result<int>(7), "k"), 7);
}

}  // namespace
}  // namespace fsgate::store
