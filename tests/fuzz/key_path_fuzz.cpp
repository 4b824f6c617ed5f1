// Key mapping: bucket names and keys from clients to backend paths. A key
// that passes validation must map to a path inside its bucket's directory,
// whatever bytes it holds: no empty, "." or ".." component, no NUL, nothing
// under the internal directory, no component a POSIX name cannot hold.
//
// Input: the bucket name up to the first '\n', the key after it (the whole
// input is also tried as either).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "fsclient/key_path.h"
#include "fuzz_common.h"

namespace {

using namespace fsgate::fsclient;

void CheckBucket(std::string_view bucket) {
  if (!ValidateBucketName(bucket).ok()) return;
  FUZZ_CHECK(bucket.size() >= 3 && bucket.size() <= 63);
  for (char c : bucket) {
    FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }
  FUZZ_CHECK(bucket != kInternalDir);
}

void CheckKey(std::string_view bucket, std::string_view key) {
  const bool utf8 = IsValidUtf8(key);
  if (!ValidateKey(key).ok()) return;
  FUZZ_CHECK(utf8);
  FUZZ_CHECK(key.size() <= kMaxKeyBytes);
  const std::string path = ObjectPath(bucket, key);
  FUZZ_CHECK(path.starts_with(std::string(bucket) + "/"));
  FUZZ_CHECK(path.find('\0') == std::string::npos);
  std::string_view rest = std::string_view(path).substr(bucket.size() + 1);
  bool first = true;
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view component = rest.substr(0, slash);
    FUZZ_CHECK(!component.empty() && component != "." && component != "..");
    FUZZ_CHECK(component.size() <= kMaxComponentBytes);
    FUZZ_CHECK(!first || component != kInternalDir);
    first = false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t newline = in.find('\n');
  const std::string_view bucket = in.substr(0, newline);
  const std::string_view key =
      newline == std::string_view::npos ? std::string_view{} : in.substr(newline + 1);
  CheckBucket(bucket);
  CheckBucket(in);
  const std::string_view mapped_bucket = ValidateBucketName(bucket).ok() ? bucket : "bucket";
  CheckKey(mapped_bucket, key);
  CheckKey("bucket", in);
  return 0;
}
