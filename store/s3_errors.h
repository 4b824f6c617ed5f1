// S3 error codes, spelled once, and the Status the store (and the gateway's own
// checks) fail with when they mean one.
//
// Such a Status carries a neutral code (base/status.h) for any layer that acts
// on the kind of failure, and the S3 code as its reason, which
// gateway/s3_error.h answers with. The dirops engine never sees these names: it
// fails with neutral codes, and S3StatusOf says which S3 error it means for a
// key or a bucket.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace fsgate {
namespace s3err {
inline constexpr std::string_view kNoSuchBucket = "NoSuchBucket";
inline constexpr std::string_view kNoSuchKey = "NoSuchKey";
inline constexpr std::string_view kNoSuchUpload = "NoSuchUpload";
inline constexpr std::string_view kBucketNotEmpty = "BucketNotEmpty";
inline constexpr std::string_view kBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou";
inline constexpr std::string_view kInvalidBucketName = "InvalidBucketName";
inline constexpr std::string_view kKeyTooLong = "KeyTooLongError";
inline constexpr std::string_view kInvalidArgument = "InvalidArgument";
inline constexpr std::string_view kInvalidRequest = "InvalidRequest";
inline constexpr std::string_view kPreconditionFailed = "PreconditionFailed";
inline constexpr std::string_view kNotModified = "NotModified";
inline constexpr std::string_view kInvalidPart = "InvalidPart";
inline constexpr std::string_view kInvalidPartOrder = "InvalidPartOrder";
inline constexpr std::string_view kEntityTooSmall = "EntityTooSmall";
inline constexpr std::string_view kEntityTooLarge = "EntityTooLarge";
inline constexpr std::string_view kBadDigest = "BadDigest";
inline constexpr std::string_view kInvalidDigest = "InvalidDigest";
inline constexpr std::string_view kMetadataTooLarge = "MetadataTooLarge";
inline constexpr std::string_view kIncompleteBody = "IncompleteBody";
inline constexpr std::string_view kInternalError = "InternalError";
inline constexpr std::string_view kSlowDown = "SlowDown";
inline constexpr std::string_view kInvalidRange = "InvalidRange";
inline constexpr std::string_view kMethodNotAllowed = "MethodNotAllowed";
inline constexpr std::string_view kNoSuchVersion = "NoSuchVersion";
inline constexpr std::string_view kNotImplemented = "NotImplemented";
inline constexpr std::string_view kMalformedXML = "MalformedXML";
inline constexpr std::string_view kConditionalRequestConflict = "ConditionalRequestConflict";
inline constexpr std::string_view kInvalidBucketState = "InvalidBucketState";
inline constexpr std::string_view kAccessDenied = "AccessDenied";
}  // namespace s3err

// The neutral code an S3 error code stands for (kInvalidArgument for a code
// this table does not name: every other S3 error here is a refused request).
StatusCode NeutralCodeOf(std::string_view s3_code);

// A failure the S3 client is answered with as `s3_code` and `message`.
Status S3Error(std::string_view s3_code, std::string message);
// The same with the neutral code chosen by the caller, where the kind of
// failure differs from the code's usual one (a key conflict is kAlreadyExists).
Status S3Error(StatusCode code, std::string_view s3_code, std::string message);

namespace store {

// The S3 error an engine failure means for `key`: kNotFound is NoSuchKey, or
// NoSuchBucket when the engine names the bucket's directory
// (dirops::kReasonNoTopDir); kFailedPrecondition is PreconditionFailed;
// kAlreadyExists (a file where a directory is needed, or the reverse) is the
// key conflict (KeyConflictError). Anything else (system errors) goes up as it is.
Status S3StatusOf(Status engine, const std::string& key);
template <typename T>
Result<T> S3ResultOf(Result<T> engine, const std::string& key) {
  if (engine.ok()) return engine;
  return S3StatusOf(engine.status(), key);
}

}  // namespace store
}  // namespace fsgate
