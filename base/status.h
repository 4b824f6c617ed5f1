// Status and Result<T>: how fsclient reports failure to the gateway.
//
// A failure is either an S3 error (code such as "NoSuchKey" plus a message the
// gateway sends verbatim) or a system error (errno plus context). The gateway
// maps a system error to InternalError/SlowDown and never shows the errno text.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fsgate {

class Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  // An S3 error: `code` is the S3 error code ("NoSuchKey", "InvalidArgument", ...).
  static Status S3(std::string_view code, std::string message) {
    Status s;
    s.code_ = code;
    s.message_ = std::move(message);
    return s;
  }
  // A system error from the backend; `context` says what was being done (never a secret).
  static Status Errno(int err, std::string context) {
    Status s;
    s.errno_ = err == 0 ? EIO : err;
    s.code_ = s.errno_ == ENOSPC ? "SlowDown" : "InternalError";
    s.message_ = std::move(context);
    return s;
  }

  bool ok() const { return code_.empty(); }
  explicit operator bool() const { return ok(); }
  // 0 for S3 errors and for success.
  int err() const { return errno_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  bool Is(std::string_view code) const { return code_ == code; }
  bool IsErrno(int e) const { return errno_ == e; }

 private:
  int errno_ = 0;
  std::string code_;
  std::string message_;
};

// A value or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

// S3 error codes used across layers, spelled once.
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
inline constexpr std::string_view kNotImplemented = "NotImplemented";
inline constexpr std::string_view kMalformedXML = "MalformedXML";
inline constexpr std::string_view kConditionalRequestConflict = "ConditionalRequestConflict";
}  // namespace s3err

}  // namespace fsgate
