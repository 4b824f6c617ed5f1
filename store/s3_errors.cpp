#include "store/s3_errors.h"

#include <array>
#include <utility>

#include "dirops/bucket_caps.h"
#include "dirops/namespace.h"
#include "store/key_path.h"

namespace fsgate {
namespace {

struct NeutralOf {
  std::string_view s3_code;
  StatusCode code;
};

// Every S3 code the store and the gateway fail with whose kind is not a plain
// refused request (kInvalidArgument).
constexpr std::array kNeutralOf = {
    NeutralOf{s3err::kNoSuchBucket, StatusCode::kNotFound},
    NeutralOf{s3err::kNoSuchKey, StatusCode::kNotFound},
    NeutralOf{s3err::kNoSuchUpload, StatusCode::kNotFound},
    NeutralOf{s3err::kNoSuchVersion, StatusCode::kNotFound},
    NeutralOf{s3err::kBucketNotEmpty, StatusCode::kNotEmpty},
    NeutralOf{s3err::kBucketAlreadyOwnedByYou, StatusCode::kAlreadyExists},
    NeutralOf{s3err::kPreconditionFailed, StatusCode::kFailedPrecondition},
    NeutralOf{s3err::kNotModified, StatusCode::kFailedPrecondition},
    NeutralOf{s3err::kConditionalRequestConflict, StatusCode::kAborted},
    NeutralOf{s3err::kInvalidRange, StatusCode::kOutOfRange},
    NeutralOf{s3err::kNotImplemented, StatusCode::kUnimplemented},
    NeutralOf{s3err::kInternalError, StatusCode::kInternal},
    NeutralOf{s3err::kSlowDown, StatusCode::kNoSpace},
};

}  // namespace

StatusCode NeutralCodeOf(std::string_view s3_code) {
  for (const NeutralOf& n : kNeutralOf) {
    if (n.s3_code == s3_code) return n.code;
  }
  return StatusCode::kInvalidArgument;
}

Status S3Error(std::string_view s3_code, std::string message) {
  return S3Error(NeutralCodeOf(s3_code), s3_code, std::move(message));
}

Status S3Error(StatusCode code, std::string_view s3_code, std::string message) {
  return Status::Error(code, std::move(message), std::string(s3_code));
}

namespace store {

Status S3StatusOf(Status engine, const std::string& key) {
  if (engine.ok()) return engine;
  if (engine.Is(dirops::kReasonCapBusy)) return S3Error(s3err::kSlowDown, engine.message());
  const bool no_bucket_dir = engine.Is(dirops::kReasonNoTopDir);
  if (!engine.reason().empty() && !no_bucket_dir) return engine;
  switch (engine.code()) {
    case StatusCode::kNotFound:
      return no_bucket_dir ? S3Error(s3err::kNoSuchBucket, "The specified bucket does not exist")
                           : S3Error(s3err::kNoSuchKey, "The specified key does not exist.");
    case StatusCode::kFailedPrecondition:
      return S3Error(s3err::kPreconditionFailed,
                     "At least one of the pre-conditions you specified did not hold");
    case StatusCode::kAlreadyExists:
      return KeyConflictError(key);
    default:
      return engine;
  }
}

}  // namespace store
}  // namespace fsgate
