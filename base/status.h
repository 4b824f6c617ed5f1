// Status and Result<T>: how a layer reports failure to the layer above it.
//
// A failure has a neutral code (what went wrong, in no layer's vocabulary), a
// message, and for a system error the errno. The layer that produced it may add
// a short `reason`: a name (not text for humans) the layer above may act on
// (the store names the protocol error it means, store/s3_errors.h). The
// gateway answers a Status in one place (gateway/s3_error.h), never showing
// the errno text.
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace fsgate {

enum class StatusCode : uint8_t {
  kOk,
  kNotFound,            // the name (or the directory it is under) does not exist
  kAlreadyExists,       // the name is taken (also by the other kind: file vs directory)
  kNotEmpty,            // a directory still holds entries
  kFailedPrecondition,  // a condition the caller set does not hold
  kAborted,             // a concurrent change got in the way; retrying may succeed
  kInvalidArgument,     // the request itself is malformed or too large
  kOutOfRange,          // a range or position past the end
  kUnimplemented,       // not available in this build
  kInternal,            // an invariant broke (corrupt record)
  kNoSpace,             // ENOSPC: the filesystem is full, worth a retry later
  kIoError,             // any other system error (errno set)
};

// The code's name, for logs and test output.
constexpr std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "Ok";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kNotEmpty:
      return "NotEmpty";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kOutOfRange:
      return "OutOfRange";
    case StatusCode::kUnimplemented:
      return "Unimplemented";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kNoSpace:
      return "NoSpace";
    case StatusCode::kIoError:
      return "IoError";
  }
  return "Unknown";
}
inline std::ostream& operator<<(std::ostream& out, StatusCode code) {
  return out << StatusCodeName(code);
}

class Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  // A failure with a neutral code; `reason` is a name for the layer above.
  static Status Error(StatusCode code, std::string message, std::string reason = {}) {
    Status s;
    s.code_ = code == StatusCode::kOk ? StatusCode::kInternal : code;
    s.message_ = std::move(message);
    s.reason_ = std::move(reason);
    return s;
  }
  // A system error from the backend; `context` says what was being done (never a secret).
  static Status Errno(int err, std::string context) {
    Status s;
    s.errno_ = err == 0 ? EIO : err;
    s.code_ = s.errno_ == ENOSPC ? StatusCode::kNoSpace : StatusCode::kIoError;
    s.message_ = std::move(context);
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return code_; }
  // 0 unless this is a system error.
  int err() const { return errno_; }
  const std::string& message() const { return message_; }
  // Empty unless the producing layer named one.
  const std::string& reason() const { return reason_; }
  bool Is(StatusCode code) const { return code_ == code; }
  bool Is(std::string_view reason) const { return !reason_.empty() && reason_ == reason; }
  bool IsErrno(int e) const { return errno_ == e; }

 private:
  StatusCode code_ = StatusCode::kOk;
  int errno_ = 0;
  std::string message_;
  std::string reason_;
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

}  // namespace fsgate
