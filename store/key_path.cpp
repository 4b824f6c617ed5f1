#include "store/key_path.h"
#include "base/utf8.h"
#include "store/nested_key.h"
#include "store/s3_errors.h"

#include <cstdint>

namespace fsgate::store {
namespace {

// AWS reserves these for access points, Object Lambda, Multi-Region Access
// Points, directory and table buckets, and its own examples.
constexpr std::string_view kReservedPrefixes[] = {"xn--", "sthree-", "amzn-s3-demo-"};
constexpr std::string_view kReservedSuffixes[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                                  "--table-s3"};

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Four dot-separated decimal numbers: "192.168.5.4".
bool LooksLikeIpv4(std::string_view s) {
  int parts = 0;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find('.', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(pos, end - pos);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    ++parts;
    pos = end + 1;
  }
  return parts == 4;
}

Status BadBucket(std::string_view bucket, const char* why) {
  return S3Error(s3err::kInvalidBucketName,
                 "The specified bucket is not valid: '" + std::string(bucket) + "' " + why);
}

Status BadKey(const std::string& why) {
  return S3Error(s3err::kInvalidArgument, "Invalid object key: " + why);
}

}  // namespace

Status ValidateBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return BadBucket(bucket, "must be between 3 and 63 characters long");
  }
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return BadBucket(bucket, "may contain only lowercase letters, digits, '.' and '-'");
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return BadBucket(bucket, "must begin and end with a letter or digit");
  }
  if (bucket.find("..") != std::string_view::npos) {
    return BadBucket(bucket, "must not contain two adjacent periods");
  }
  if (LooksLikeIpv4(bucket)) return BadBucket(bucket, "must not be formatted as an IP address");
  for (std::string_view prefix : kReservedPrefixes) {
    if (bucket.starts_with(prefix))
      return BadBucket(bucket, "must not start with a reserved prefix");
  }
  for (std::string_view suffix : kReservedSuffixes) {
    if (EndsWith(bucket, suffix)) return BadBucket(bucket, "must not end with a reserved suffix");
  }
  return Status::Ok();
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return BadKey("the key is empty");
  if (key.size() > kMaxKeyBytes) {
    return S3Error(s3err::kKeyTooLong, "Your key is too long: " + std::to_string(key.size()) +
                                           " bytes, the limit is 1024");
  }
  if (key.find('\0') != std::string_view::npos) return BadKey("the key contains a NUL byte");
  if (!IsValidUtf8(key)) return BadKey("the key is not valid UTF-8");
  // A directory key's one trailing '/' is not an empty component.
  std::string_view body = IsDirectoryKey(key) ? key.substr(0, key.size() - 1) : key;
  if (body.empty()) return BadKey("'/' alone is not a key (empty path component)");
  size_t pos = 0;
  bool first = true;
  while (pos <= body.size()) {
    size_t end = body.find('/', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view component = body.substr(pos, end - pos);
    if (component.empty()) {
      return BadKey("empty path component (leading '/' or '//') cannot be stored as a file");
    }
    if (component == "." || component == "..") {
      return BadKey("'.' and '..' path components are not allowed");
    }
    if (component.size() > kMaxComponentBytes) {
      return S3Error(s3err::kKeyTooLong, "Your key is too long: a path component between '/' is " +
                                             std::to_string(component.size()) +
                                             " bytes, the limit is 255");
    }
    if (first && component == kInternalDir) {
      return BadKey("keys at or under '.fsgate/' are reserved");
    }
    if (component == kNestedObjectName) {
      return BadKey("a '.fsgate-object' path component is reserved (store/nested_key.h)");
    }
    first = false;
    pos = end + 1;
  }
  return Status::Ok();
}

std::string ObjectPath(std::string_view bucket, std::string_view key) {
  if (IsDirectoryKey(key)) key.remove_suffix(1);
  std::string path;
  path.reserve(bucket.size() + 1 + key.size());
  path.append(bucket).append("/").append(key);
  return path;
}

Status KeyConflictError(const std::string& key) {
  return S3Error(StatusCode::kAlreadyExists, kKeyConflictCode,
                 "The key '" + key +
                     "' conflicts with an existing object: on this filesystem-backed store "
                     "a key cannot be both an object and a prefix of other objects ('a' "
                     "and 'a/...')");
}

}  // namespace fsgate::store
