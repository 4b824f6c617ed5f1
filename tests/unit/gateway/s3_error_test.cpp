// S3ErrorFor: each neutral code and each S3 reason a Status can carry, and the
// S3 error (code, message, HTTP status) the gateway answers it with.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "dirops/namespace.h"
#include "gateway/s3_error.h"
#include "store/key_path.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

struct Answer {
  std::string code;
  std::string message;
  int http = 0;
};

Answer AnswerFor(const Status& status) {
  const S3ErrorOfStatus e = S3ErrorFor(status);
  return {std::string(e.code), std::string(e.message), HttpStatusForError(e.code)};
}

// A Status without a reason (as the engine and the backend fail) is answered by
// its neutral code, with AWS's message for that code, never its own text.
TEST(S3ErrorForTest, NeutralCodesWithoutReason) {
  struct Case {
    StatusCode code;
    std::string_view s3_code;
    int http;
  };
  const Case cases[] = {
      {StatusCode::kNotFound, "NoSuchKey", 404},
      {StatusCode::kAlreadyExists, "InvalidRequest", 400},
      {StatusCode::kNotEmpty, "BucketNotEmpty", 409},
      {StatusCode::kFailedPrecondition, "PreconditionFailed", 412},
      {StatusCode::kAborted, "ConditionalRequestConflict", 409},
      {StatusCode::kInvalidArgument, "InvalidArgument", 400},
      {StatusCode::kOutOfRange, "InvalidRange", 416},
      {StatusCode::kUnimplemented, "NotImplemented", 501},
      {StatusCode::kInternal, "InternalError", 500},
      {StatusCode::kNoSpace, "SlowDown", 503},
      {StatusCode::kIoError, "InternalError", 500},
  };
  for (const Case& c : cases) {
    const Answer a = AnswerFor(Status::Error(c.code, "/srv/root/bkt/k: engine text"));
    EXPECT_EQ(a.code, c.s3_code) << c.code;
    EXPECT_EQ(a.message, DefaultErrorMessage(c.s3_code)) << c.code;
    EXPECT_EQ(a.http, c.http) << c.code;
  }
}

TEST(S3ErrorForTest, SystemErrorsNeverShowTheirText) {
  const Answer full = AnswerFor(Status::Errno(ENOSPC, "write /srv/b/k"));
  EXPECT_EQ(full.code, "SlowDown");
  EXPECT_EQ(full.http, 503);
  EXPECT_EQ(full.message, "Please reduce your request rate.");
  for (int err : {EIO, EACCES, ENOENT, EAGAIN, 0}) {
    const Answer io = AnswerFor(Status::Errno(err, "fsync /srv/b/k"));
    EXPECT_EQ(io.code, "InternalError") << err;
    EXPECT_EQ(io.http, 500) << err;
    EXPECT_EQ(io.message, "We encountered an internal error. Please try again.") << err;
  }
}

// A reason naming an S3 code is answered as that code with the Status's own
// message, whatever its neutral code; a reason that names none (an engine's
// name) is not shown to the client.
TEST(S3ErrorForTest, ReasonNamingAnS3CodeWins) {
  const Answer gone = AnswerFor(S3Error(s3err::kNoSuchUpload, "upload u1 is gone"));
  EXPECT_EQ(gone.code, "NoSuchUpload");
  EXPECT_EQ(gone.message, "upload u1 is gone");
  EXPECT_EQ(gone.http, 404);
  const Answer conflict =
      AnswerFor(S3Error(StatusCode::kAlreadyExists, store::kKeyConflictCode, "a vs a/b"));
  EXPECT_EQ(conflict.code, "InvalidRequest");
  EXPECT_EQ(conflict.message, "a vs a/b");
  EXPECT_EQ(conflict.http, 400);
  const Answer corrupt = AnswerFor(S3Error(s3err::kInternalError, "object metadata is corrupt"));
  EXPECT_EQ(corrupt.code, "InternalError");
  EXPECT_EQ(corrupt.message, "object metadata is corrupt");
  const Answer engine = AnswerFor(dirops::TopDirNotFound());
  EXPECT_EQ(engine.code, "NoSuchKey");
  EXPECT_EQ(engine.message, DefaultErrorMessage("NoSuchKey"));
}

// Every S3 code the store names keeps its code, its message and AWS's status.
TEST(S3ErrorForTest, EveryStoreCodeRoundTrips) {
  const std::string_view codes[] = {
      s3err::kNoSuchBucket,
      s3err::kNoSuchKey,
      s3err::kNoSuchUpload,
      s3err::kBucketNotEmpty,
      s3err::kBucketAlreadyOwnedByYou,
      s3err::kInvalidBucketName,
      s3err::kKeyTooLong,
      s3err::kInvalidArgument,
      s3err::kInvalidRequest,
      s3err::kPreconditionFailed,
      s3err::kNotModified,
      s3err::kInvalidPart,
      s3err::kInvalidPartOrder,
      s3err::kEntityTooSmall,
      s3err::kEntityTooLarge,
      s3err::kBadDigest,
      s3err::kInvalidDigest,
      s3err::kMetadataTooLarge,
      s3err::kIncompleteBody,
      s3err::kInternalError,
      s3err::kSlowDown,
      s3err::kInvalidRange,
      s3err::kMethodNotAllowed,
      s3err::kNotImplemented,
      s3err::kMalformedXML,
      s3err::kConditionalRequestConflict,
  };
  for (std::string_view code : codes) {
    const Answer a = AnswerFor(S3Error(code, "why"));
    EXPECT_EQ(a.code, code);
    EXPECT_EQ(a.message, "why") << code;
    EXPECT_EQ(a.http, HttpStatusForError(code)) << code;
  }
}

}  // namespace
}  // namespace fsgate::gateway
