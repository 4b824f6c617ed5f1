// Requests signed by curl 7.88.1 --aws-sigv4 "aws:amz:us-east-1:s3" (Debian 12)
// at 2026-12-06T01:47:41Z for host 127.0.0.1:35869, recorded once. That curl
// signs the path and query exactly as given: unescaped "+()!*'", an unsorted
// "prefix=dir/", a bare "location". Authenticate accepts such a signature
// because it binds the same bytes the router decodes — and only those.
#include <gtest/gtest.h>

#include "auth/sigv4.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleUsers;
using testing_util::Request;

std::chrono::system_clock::time_point RecordedAt() {
  return *sigv4::ParseAmzDate("20261206T014741Z");
}

Request CurlRequest(std::string method, std::string target, std::string_view signature) {
  return {std::move(method),
          std::move(target),
          {{"Host", "127.0.0.1:35869"},
           {"Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
                std::string(signature)},
           {"X-Amz-Date", "20261206T014741Z"},
           {"User-Agent", "curl/7.88.1"},
           {"Accept", "*/*"},
           {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}}};
}

AuthResult Auth(const Request& request) {
  return Authenticate(request.view(), ExampleUsers(), RecordedAt(), "us-east-1");
}

constexpr std::string_view kKeySignature =
    "cb31ab088c0737fe6d9534642338022d17dc1de65a051b8e2b19edf0994805e2";

TEST(SigV4Curl, UnescapedPathCharacters) {
  const AuthResult result = Auth(CurlRequest("GET", "/b/a+()!*'x", kKeySignature));
  EXPECT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
}

TEST(SigV4Curl, UnsortedQueryWithSlashes) {
  const AuthResult result =
      Auth(CurlRequest("GET", "/b?prefix=dir/&delimiter=/",
                       "1a30d0ae39eae9436c0e7e993d49c4201f2647f52702705f07302b1ee3ee8c4a"));
  EXPECT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
}

TEST(SigV4Curl, ValuelessSubresources) {
  AuthResult result = Auth(CurlRequest(
      "GET", "/b?location", "d7d87da70018adcfc34f1776fbacc33eb31636ed9904b9112792460c79a84991"));
  EXPECT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
  result = Auth(CurlRequest("POST", "/b/k?uploads",
                            "c848aff153e6cbf6882a511736eb9a87545cc89baf3b6c01a5189474b9d7eeaf"));
  EXPECT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
}

// The as-sent reading is no looser than the canonical one: another spelling
// of the same key, or another key, does not carry the signature.
TEST(SigV4Curl, SignatureBindsTheTargetAsSent) {
  for (const char* target : {"/b/a+()!*'y", "/b/a%2B()!*'x", "/b/a+()!*'x?acl", "/b/a ()!*'x"}) {
    const AuthResult result = Auth(CurlRequest("GET", target, kKeySignature));
    EXPECT_FALSE(result.ok) << target;
    EXPECT_EQ(result.error_code, "SignatureDoesNotMatch") << target;
  }
  EXPECT_EQ(Auth(CurlRequest("PUT", "/b/a+()!*'x", kKeySignature)).error_code,
            "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace fsgate::auth
