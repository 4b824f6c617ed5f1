// Requests signed by botocore 1.43 (the signer under aws-cli and boto3) at
// 2024-03-01T12:00:00Z for host 127.0.0.1:9000, recorded once: an independent
// signer, with awkward keys and queries, that Authenticate must accept.
#include <gtest/gtest.h>

#include "auth/sigv4.h"
#include "sigv4_test_util.h"

namespace fsgate::auth {
namespace {

using testing_util::ExampleUsers;
using testing_util::Request;

std::chrono::system_clock::time_point RecordedAt() {
  return *sigv4::ParseAmzDate("20240301T120000Z");
}

void ExpectAccepted(const Request& request, std::string_view region = "us-east-1") {
  const AuthResult result = Authenticate(request.view(), ExampleUsers(), RecordedAt(), region);
  EXPECT_TRUE(result.ok) << result.error_code << ": " << result.error_message;
}

TEST(SigV4Botocore, PutObjectWithEscapedKeyAndMetadata) {
  ExpectAccepted(
      {"PUT",
       "/bucket/dir/na%20me%2B%C3%A9~%24.txt",
       {{"Host", "127.0.0.1:9000"},
        {"Content-Type", "text/plain"},
        {"x-amz-meta-note", "a   b"},
        {"Content-MD5", "x"},
        {"X-Amz-Date", "20240301T120000Z"},
        {"X-Amz-Content-SHA256",
         "16cacfab791192d9232885fb8dc5896f64d17f97e969e446c36b4717543b985b"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240301/eu-central-1/s3/aws4_request, "
         "SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
         "x-amz-meta-note, "
         "Signature=6ed8858c32f2ce73e0d0460fe1c3cf94cf219c02c3ab90b79b36d67d69e7c2d4"}}},
      "eu-central-1");
}

TEST(SigV4Botocore, ListObjectsV2WithEncodedQuery) {
  ExpectAccepted(
      {"GET",
       "/bucket?list-type=2&prefix=a%20b%2F&delimiter=%2F&encoding-type=url",
       {{"Host", "127.0.0.1:9000"},
        {"X-Amz-Date", "20240301T120000Z"},
        {"X-Amz-Content-SHA256",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/s3/aws4_request, "
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
         "Signature=6e18be970115741274636cde0f1791be57dddfd2e8ff3ce2b1a923d2f8061d39"}}});
}

TEST(SigV4Botocore, PresignedGetOfEscapedKey) {
  ExpectAccepted({"GET",
                  "/bucket/sp%20ace/%C3%BCml.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                  "AKIAIOSFODNN7EXAMPLE%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
                  "20240301T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="
                  "ebd6fea9b7c283e192c376d80e458dd0076c90f0490c8037b0e3b85bbe9a2f5a",
                  {{"Host", "127.0.0.1:9000"}}});
}

}  // namespace
}  // namespace fsgate::auth
